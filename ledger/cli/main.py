"""The `ledger` command line, built explicitly: `build_app()` makes the Typer app and registers each command module's
commands (no registration by import side effect). `api.cli` builds on it to add `serve`."""

from __future__ import annotations

import typer

from ledger.cli import admin, anchor, demo, documents, epcis, export, login, node, regimes, sign
from ledger.cli.base import command_group

#: The command modules (`ledger --help` lists their commands in this order, then their groups).
MODULES = (admin, anchor, demo, documents, epcis, export, login, node, regimes, sign)


def build_app() -> typer.Typer:
    """A new `ledger` app with every command of the ledger package registered."""
    app = command_group(name="ledger", help="Supply-chain provenance and ESG ledger.")
    for module in MODULES:
        module.register_commands(app)
    return app


def main() -> None:
    """Run the ledger package's commands (the console script runs `api.cli.main`, which adds `serve`)."""
    build_app()()
