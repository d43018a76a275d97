"""The workspace's node and the demo's one-time seeding: what `ledger serve` (in `api.cli`) builds on."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ledger.client import Ledger
from ledger.errors import NotFoundError
from ledger.node import AnvilNode, rpc_alive, start_anvil


def open_workspace_node(home: Path, port: int) -> tuple[str, AnvilNode | None]:
    """The URL of the workspace's node: reuse one answering on `port`, else start anvil with its state in `home`.
    Returns the node too when this call started it (the caller stops it)."""
    url = f"http://127.0.0.1:{port}"
    if rpc_alive(url):
        return url, None
    node = start_anvil(port, home / "node" / "state.json", log_file=home / "node" / "anvil.log")
    (home / "node" / "anvil.pid").write_text(str(node.process.pid))
    return url, node


def demo_seeded(ledger: Ledger) -> bool:
    from ledger.demo import DEMO_PARTICIPANTS

    try:
        ledger.participant(DEMO_PARTICIPANTS[0].account.address)
    except NotFoundError:
        return False
    return True


def seed_demo_once(ledger: Ledger, progress: Callable[[str], None] | None = None) -> bool:
    """Record the demo supply chain unless this deployment has it already. True if it was seeded now."""
    from ledger.demo import seed_demo

    if demo_seeded(ledger):
        return False
    seed_demo(ledger, progress=progress)
    return True


def demo_batches(ledger: Ledger) -> dict[str, str]:
    """The demo's two finished-goods batches: the one that passes due diligence and the one that fails."""
    from ledger.demo import GTIN_SHIRT, demo_account

    garment = demo_account("garment").address
    return {"passing (garments-a)": ledger.batch_id_of(garment, GTIN_SHIRT, "HG-DG-25-A-1201"),
            "flagged (garments-b)": ledger.batch_id_of(garment, GTIN_SHIRT, "HG-DG-25-B-1202")}
