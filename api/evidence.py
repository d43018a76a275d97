"""The service's document vault and screening lists, kept on `app.state` beside the ledger.

`create_app(settings, ledger, vault=..., lists=...)` puts them there (`ledger serve` does, from the workspace); routes
get them as dependencies. An app without a vault answers the document routes with 501 and runs due diligence without
documents (every cited document counts as not in the vault).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ledger.errors import LedgerError
from ledger.regimes import ScreeningLists
from ledger.vault import Vault


class DocumentsUnavailableError(LedgerError):
    """This deployment has no document vault (501)."""

    code = "documents_unavailable"


# The dependencies are `async` so FastAPI calls them on the event loop instead of handing each to a worker thread
# (they do no I/O): a report pays no thread hop for them.


async def optional_vault(request: Request) -> Vault | None:
    return getattr(request.app.state, "vault", None)


async def get_vault(request: Request) -> Vault:
    vault = await optional_vault(request)
    if vault is None:
        raise DocumentsUnavailableError("this deployment keeps no documents (no vault configured)")
    return vault


async def get_lists(request: Request) -> ScreeningLists | None:
    return getattr(request.app.state, "lists", None)


VaultDep = Annotated[Vault, Depends(get_vault)]
OptionalVaultDep = Annotated[Vault | None, Depends(optional_vault)]
ListsDep = Annotated[ScreeningLists | None, Depends(get_lists)]
