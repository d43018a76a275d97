"""`ledger node`: run the workspace's anvil node, keeping its chain state in the workspace."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import typer
from rich.console import Console

from ledger.cli.app import app
from ledger.errors import LedgerError
from ledger.node import rpc_alive, start_anvil

console = Console()


def node_state_file(home: Path) -> Path:
    return home / "node" / "state.json"


@app.command()
def node(
    port: int = typer.Option(8545, envvar="LEDGER_NODE_PORT", help="port on 127.0.0.1"),
    home: Path = typer.Option(Path(".ledger"), envvar="LEDGER_HOME", help="workspace holding the node's state"),
) -> None:
    """Start Foundry's anvil on 127.0.0.1 with its state in the workspace; runs until interrupted."""
    url = f"http://127.0.0.1:{port}"
    if rpc_alive(url):
        console.print(f"a node already answers at {url}")
        raise typer.Exit(1)
    try:
        anvil = start_anvil(port, node_state_file(home), log_file=home / "node" / "anvil.log")
    except LedgerError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    console.print(f"anvil listening on [bold]{anvil.url}[/] (state: {node_state_file(home)}); Ctrl-C stops it")
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    try:
        while not stop and anvil.process.poll() is None:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        anvil.stop()
