"""Command-line interface: `ledger demo`, `ledger node`, ... (console script `ledger`)."""

from ledger.cli import admin as _admin  # noqa: F401  (registers commands)
from ledger.cli import anchor as _anchor  # noqa: F401
from ledger.cli import demo as _demo  # noqa: F401  (registers commands)
from ledger.cli import documents as _documents  # noqa: F401
from ledger.cli import epcis as _epcis  # noqa: F401
from ledger.cli import export as _export  # noqa: F401
from ledger.cli import login as _login  # noqa: F401
from ledger.cli import node as _node  # noqa: F401
from ledger.cli import regimes as _regimes  # noqa: F401
from ledger.cli import sign as _sign  # noqa: F401
from ledger.cli.app import app

__all__ = ["app"]
