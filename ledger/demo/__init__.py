"""The demo: the apparel chain (`apparel`), the rubber (`rubber`) and battery (`battery`) chains, the real files it
ships (`documents`, `files/`) and the apparel chain captured from EPCIS documents (`epcis`, `epcis_documents/`).

`from ledger.demo import seed_demo, demo_account, DemoWorld, ALL_CHAINS` works; names load on first use, so importing
a demo module (the files) does not load the chain.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger.demo.apparel import ALL_CHAINS, DemoWorld, demo_account, seed_demo

__all__ = ["ALL_CHAINS", "DemoWorld", "demo_account", "seed_demo"]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module 'ledger.demo' has no attribute {name!r}")
    return getattr(import_module("ledger.demo.apparel"), name)
