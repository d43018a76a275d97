"""`ledger node`: run the workspace's anvil node, keeping its chain state in the workspace."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import typer

from ledger.cli.base import InvocationConsole

console = InvocationConsole()


def register_commands(app: typer.Typer) -> None:
    """`ledger node`."""
    app.command()(node)


def node_state_file(home: Path) -> Path:
    return home / "node" / "state.json"


def node(
    port: int = typer.Option(8545, envvar="LEDGER_NODE_PORT", help="port on 127.0.0.1"),
    home: Path = typer.Option(Path(".ledger"), envvar="LEDGER_HOME", help="workspace holding the node's state"),
) -> None:
    """Start Foundry's anvil on 127.0.0.1 with its state in the workspace; runs until interrupted."""
    from ledger.chain.node import rpc_alive, start_anvil

    url = f"http://127.0.0.1:{port}"
    if rpc_alive(url):
        console.print(f"a node already answers at {url}")
        raise typer.Exit(1)
    anvil = start_anvil(port, node_state_file(home), log_file=home / "node" / "anvil.log")
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
