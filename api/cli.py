"""The `ledger` console script: the ledger's commands plus `ledger serve`, which runs this API.

It lives here, not in `ledger.cli`, because the ledger package never imports the API layer.
"""

from __future__ import annotations

import secrets
import signal
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any

import typer

from ledger import InvocationConsole
from ledger import build_cli_app as build_ledger_app

if TYPE_CHECKING:
    from api.settings import ApiSettings
    from ledger import Service

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
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # once: a second SIGTERM must not cut the cleanup short
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
    rpc_url: str | None = typer.Option(
        None,
        "--rpc-url",
        envvar="LEDGER_RPC_URL",
        help="JSON-RPC node; default: the workspace's node (started if not running)",
    ),
    demo: bool = typer.Option(False, "--demo", help="seed the demo supply chains (once per deployment)"),
    demo_chains: str = typer.Option(
        "apparel,rubber,battery",
        "--demo-chains",
        envvar="LEDGER_DEMO_CHAINS",
        help="which demo chains --demo records (comma-separated)",
    ),
    host: str = typer.Option("127.0.0.1", help="interface to listen on"),
    port: int = typer.Option(8000, help="HTTP port"),
    home: Path = typer.Option(Path(".ledger"), envvar="LEDGER_HOME", help="workspace: node state, manifests, index"),
    node_port: int = typer.Option(8545, envvar="LEDGER_NODE_PORT", help="port of the workspace's node"),
    redeploy: bool = typer.Option(
        False,
        "--redeploy",
        help="deploy a new contract set when the chain no longer holds "
        "the one in the workspace's manifest (nothing recorded before is on it)",
    ),
) -> None:
    """Run the due-diligence API. Deploys the contracts once per chain (manifest in the workspace)."""
    import uvicorn

    from api.app import create_app
    from api.settings import get_settings
    from ledger import LedgerError, LedgerSettings, Service

    chosen = [c.strip() for c in demo_chains.split(",") if c.strip()]
    service: Service | None = None
    # uvicorn handles SIGTERM itself (a graceful shutdown), then restores this handler and raises the signal again;
    # with the default handler the process would die there, before the service is closed (and the node it started).
    previous = signal.signal(signal.SIGTERM, _terminated)
    terminated = False
    try:
        service = Service.open(
            LedgerSettings(home=home, rpc_url=rpc_url, node_port=node_port),
            redeploy=redeploy,
            say=_say,
            before_relaying=_demo_seeder(chosen) if demo else None,
        )
        _print_welcome(host, port, demo)
        uvicorn.run(
            create_app(serve_settings(get_settings(), home, host, port), service=service),
            host=host,
            port=port,
            log_level="info",
        )
    except LedgerError as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from exc
    except Terminated:
        terminated = True
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second SIGTERM must not cut the cleanup short
        try:
            if service is not None:
                service.close()  # stops the node only if this command started it; one it reused keeps running
        finally:
            signal.signal(signal.SIGTERM, previous)
    if terminated:
        console.print("stopped (SIGTERM)")
        signal.raise_signal(signal.SIGTERM)


def _say(message: str, *, warning: bool = False) -> None:
    console.print(f"[yellow]{message}[/]" if warning else message)


def _demo_seeder(chains: list[str]) -> Callable[[Service], None]:
    """Record the demo `chains` the deployment lacks (before the relayer takes its budget), and name their batches."""

    def seed(service: Service) -> None:
        from ledger import demo_batches, seed_demo_once

        with console.status("seeding the demo supply chain") as status:
            seeded = seed_demo_once(
                service.ledger,
                progress=lambda message: status.update(message),
                vault=service.vault,
                lists=service.lists,
                chains=chains,
            )
        console.print("demo supply chain " + ("recorded" if seeded else "already recorded"))
        for label, batch_id in demo_batches(service.ledger, chains).items():
            console.print(f"  {label}: {batch_id}")

    return seed


def _print_welcome(host: str, port: int, demo: bool) -> None:
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    console.print(f"[bold]interactive docs: {base}/docs[/]")
    if demo:
        console.print(
            "members sign in (Sign-In with Ethereum) for a token, e.g. the demo's brand:\n"
            f"  TOKEN=$(.venv/bin/ledger login --demo-participant brand --api {base})\n"
            f'  curl -H "Authorization: Bearer $TOKEN" {base}/participants/me/batches\n'
            "  participants: gin-gujarat, gin-xinjiang, spinning, weaving, garment, brand, auditor "
            "(apparel); rubber-coop, latex, gloves, rubber-buyer (rubber); lithium-mine, cobalt-mine, "
            f"refiner, cell-maker, pack-maker (battery); anyone may read {base}/batches/<id>/passport"
        )
