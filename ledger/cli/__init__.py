"""Command-line interface: `ledger demo`, `ledger node`, ... (console script `ledger`, see `ledger.cli.main`).

Importing this package registers nothing and imports no command: `ledger.cli.main.build_app()` builds the app.
`app` is kept as a name for callers that run the ledger's commands from Python (`CliRunner().invoke(app, ...)`): it
is built on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import typer

    app: typer.Typer

__all__ = ["app"]


def __getattr__(name: str) -> Any:
    if name == "app":
        from ledger.cli.main import build_app

        built = globals()["app"] = build_app()
        return built
    raise AttributeError(f"module 'ledger.cli' has no attribute {name!r}")
