"""FastAPI dependencies: the ledger and the settings live on `app.state`, set by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from api.settings import ApiSettings
from ledger.client import Ledger


def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
SettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
