"""The `ledger` console script: the ledger's commands plus `ledger serve`, which runs this API.

It lives here, not in `ledger.cli`, because the ledger package never imports the API layer.
"""

from __future__ import annotations

import os
import secrets
import signal
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from ledger.cli.base import InvocationConsole
from ledger.cli.main import build_app as build_ledger_app

if TYPE_CHECKING:
    from api.settings import ApiSettings
    from ledger.client import Ledger
    from ledger.node import AnvilNode
    from ledger.regimes import ScreeningLists

    app: typer.Typer

console = InvocationConsole(stderr=True, soft_wrap=True)

__all__ = ["app", "build_app", "main"]


def build_app() -> typer.Typer:
    """The `ledger` console script's app: the ledger package's commands and `serve`."""
    app = build_ledger_app()
    app.command()(serve)
    return app


def main() -> None:
    """The `ledger` console script."""
    build_app()()


def __getattr__(name: str) -> Any:
    """`app`, built on first use (for `CliRunner().invoke(app, ...)` and console scripts naming `api.cli:app`)."""
    if name == "app":
        built = globals()["app"] = build_app()
        return built
    raise AttributeError(f"module 'api.cli' has no attribute {name!r}")


class Terminated(Exception):
    """SIGTERM arrived: unwind through `serve`'s cleanup, then die of the signal as the caller expects."""


def _terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def serve_settings(settings: ApiSettings, home: Path, host: str, port: int) -> ApiSettings:
    """The API settings `ledger serve` runs with: sign-in messages name this host and port unless API_AUTH_DOMAIN
    says otherwise; without API_AUTH_SECRET, tokens are signed with a secret kept in the workspace (made once,
    readable by its owner only), so they survive restarts."""
    updates: dict[str, object] = {}
    if "auth_domain" not in settings.model_fields_set:
        updates["auth_domain"] = f"{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    from pydantic import SecretStr

    from api.settings import check_secret

    if settings.auth_secret is None:
        path = home / "auth" / "secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        updates["auth_secret"] = SecretStr(check_secret(path.read_text()))
    if settings.auth_used_nonces is None:  # a used sign-in message stays used across restarts
        updates["auth_used_nonces"] = str(home / "auth" / "used-nonces.sqlite")
    return settings.model_copy(update=updates)


def serve(
    rpc_url: str | None = typer.Option(None, "--rpc-url", envvar="LEDGER_RPC_URL",
                                       help="JSON-RPC node; default: the workspace's node (started if not running)"),
    demo: bool = typer.Option(False, "--demo", help="seed the demo supply chains (once per deployment)"),
    demo_chains: str = typer.Option("apparel,rubber,battery", "--demo-chains", envvar="LEDGER_DEMO_CHAINS",
                                    help="which demo chains --demo records (comma-separated)"),
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="HTTP port"),
    home: Path = typer.Option(Path(".ledger"), envvar="LEDGER_HOME", help="workspace: node state, manifests, index"),
    node_port: int = typer.Option(8545, envvar="LEDGER_NODE_PORT", help="port of the workspace's node"),
    redeploy: bool = typer.Option(False, "--redeploy", help="deploy a new contract set when the chain no longer holds "
                                  "the one in the workspace's manifest (nothing recorded before is on it)"),
) -> None:
    """Run the due-diligence API. Deploys the contracts once per chain (manifest in the workspace)."""
    import uvicorn

    from api.app import create_app
    from api.settings import get_settings
    from ledger.client import Ledger
    from ledger.config import LedgerSettings
    from ledger.errors import LedgerError
    from ledger.evidence import adopt as adopt_documents
    from ledger.outbox import Outbox
    from ledger.workspace import demo_batches, open_lists, open_vault, open_workspace_node, seed_demo_once

    settings = LedgerSettings(home=home, rpc_url=rpc_url, node_port=node_port)
    node: AnvilNode | None = None
    ledger: Ledger | None = None
    lists: ScreeningLists | None = None
    # uvicorn handles SIGTERM itself (a graceful shutdown), then restores this handler and raises the signal again;
    # with the default handler the process would die there, before the `finally` below stops the node it started.
    previous = signal.signal(signal.SIGTERM, _terminated)
    terminated = False
    try:
        url = rpc_url
        if url is None:
            url, node = open_workspace_node(home, node_port)
            console.print(f"node: {url} ({'started, state in ' + str(home / 'node') if node else 'reused'})")
        key = settings.operator_key.get_secret_value() if settings.operator_key else None
        ledger = Ledger.connect(url, home, operator_key=key, confirmations=settings.confirmations,
                                log_window=settings.log_window, read_staleness=settings.read_staleness,
                                redeploy=redeploy, node_timeout=settings.node_timeout)
        if ledger.store.moved_aside is not None:
            console.print(f"[yellow]index file was unusable: moved to {ledger.store.moved_aside.name}; rebuilding[/]")
        console.print(f"ledger {ledger.deployment.ledger} on chain {ledger.deployment.chain_id}")
        vault, lists = open_vault(settings), open_lists(home)
        if lists.moved_aside is not None:
            console.print(f"[yellow]screening lists were unreadable: moved to {lists.moved_aside.name}; load them "
                          "again (ledger regimes load-list)[/]")
        console.print(f"documents: {vault.root} (at most {vault.max_bytes:,} bytes each)")
        adopted = adopt_documents(ledger, vault)  # once, for a vault from before uploads were recorded
        if adopted:
            console.print(f"[yellow]{adopted} document(s) stored before uploads were recorded: each given to the "
                          "participant whose record cited it first[/]")
        chosen = [c.strip() for c in demo_chains.split(",") if c.strip()]
        if demo:
            with console.status("seeding the demo supply chain") as status:
                seeded = seed_demo_once(ledger, progress=lambda message: status.update(message), vault=vault,
                                        lists=lists, chains=chosen)
            console.print("demo supply chain " + ("recorded" if seeded else "already recorded"))
            for label, batch_id in demo_batches(ledger, chosen).items():
                console.print(f"  {label}: {batch_id}")
        synced = ledger.sync()
        console.print(f"index at block {synced.indexed_block} ({ledger.store.path})")
        base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
        console.print(f"[bold]interactive docs: {base}/docs[/]")
        if demo:
            console.print("members sign in (Sign-In with Ethereum) for a token, e.g. the demo's brand:\n"
                          f"  TOKEN=$(.venv/bin/ledger login --demo-participant brand --api {base})\n"
                          f"  curl -H \"Authorization: Bearer $TOKEN\" {base}/participants/me/batches\n"
                          "  participants: gin-gujarat, gin-xinjiang, spinning, weaving, garment, brand, auditor "
                          "(apparel); rubber-coop, latex, gloves, rubber-buyer (rubber); lithium-mine, cobalt-mine, "
                          f"refiner, cell-maker, pack-maker (battery); anyone may read {base}/batches/<id>/passport")
        deployment = ledger.deployment
        outbox = Outbox(home / "relayer" / f"outbox-{deployment.chain_id}-{deployment.ledger.lower()}.sqlite")
        if outbox.moved_aside is not None:
            console.print(f"[yellow]relayer outbox was unreadable: moved to {outbox.moved_aside.name}[/]")
        relayer = ledger.use_relayer(outbox, settings.relay_policy())
        open_writes = relayer.outbox.counts()
        console.print(f"relayer {relayer.chain.operator.address} (outbox: "
                      + (", ".join(f"{n} {s}" for s, n in sorted(open_writes.items())) or "empty") + ")")
        api_settings = serve_settings(get_settings(), home, host, port)
        uvicorn.run(create_app(api_settings, ledger, vault=vault, lists=lists), host=host, port=port,
                    log_level="info")
    except LedgerError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    except Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short
        try:
            if ledger is not None:
                ledger.close()
            if lists is not None:
                lists.close()
        finally:
            if node is not None:  # only the node this command started; one it reused keeps running
                node.stop()
                pid_file = home / "node" / "anvil.pid"
                if pid_file.exists() and pid_file.read_text() == str(node.process.pid):
                    os.remove(pid_file)
            signal.signal(signal.SIGTERM, previous)
    if terminated:
        console.print("stopped (SIGTERM)")
        signal.raise_signal(signal.SIGTERM)
