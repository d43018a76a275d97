"""Due-diligence API: FastAPI service over the ledger for buyers, factories and auditors.

`create_app` is imported on first use, so `import api.cli` (the `ledger` command line) stays free of FastAPI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from api.app import create_app

        return create_app
    raise AttributeError(f"module 'api' has no attribute {name!r}")
