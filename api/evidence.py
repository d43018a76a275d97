"""The service's document vault and screening lists, kept on `app.state` beside the ledger.

`create_app(settings, ledger, vault=..., lists=...)` puts them there (`ledger serve` does, from the workspace); routes
get them as dependencies. An app without a vault answers the document routes with 501 and runs due diligence without
documents (every cited document counts as not in the vault).
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

from fastapi import Depends, Request

from ledger import LedgerError, ScreeningLists, UploadBudgetError, Vault


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


class UploadBudget:
    """How many document bytes each participant may still upload today (UTC), in this process: the vault keeps what
    it is given forever, so what one member may fill it with is bounded."""

    def __init__(self, bytes_per_day: int) -> None:
        self.bytes_per_day = bytes_per_day
        self._used: dict[str, tuple[int, int]] = {}  # address -> (day number, bytes)
        self._lock = threading.Lock()

    def spend(self, address: str, size: int, now: float | None = None) -> None:
        """Count `size` bytes against the participant's day, or refuse them with `UploadBudgetError`."""
        moment = time.time() if now is None else now
        day = int(moment // 86_400)
        with self._lock:
            used = self._used.get(address, (day, 0))
            spent = used[1] if used[0] == day else 0
            if spent + size > self.bytes_per_day:
                raise UploadBudgetError(
                    f"this participant may upload {self.bytes_per_day:,} bytes of documents a day; {spent:,} are "
                    f"used and this upload is {size:,}",
                    retry_after=max(1, int((day + 1) * 86_400 - moment)),
                )
            self._used[address] = (day, spent + size)


async def get_upload_budget(request: Request) -> UploadBudget:
    return request.app.state.upload_budget  # type: ignore[no-any-return]


VaultDep = Annotated[Vault, Depends(get_vault)]
UploadBudgetDep = Annotated[UploadBudget, Depends(get_upload_budget)]
OptionalVaultDep = Annotated[Vault | None, Depends(optional_vault)]
ListsDep = Annotated[ScreeningLists | None, Depends(get_lists)]
