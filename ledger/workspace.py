"""The workspace's node and the demo's one-time seeding: what `ledger serve` (in `api.cli`) builds on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from ledger.chain.node import AnvilNode, rpc_alive, start_anvil
from ledger.client import Ledger
from ledger.config import LedgerSettings
from ledger.documents.vault import Vault
from ledger.domain.errors import NotFoundError, ValidationError
from ledger.regimes.screening import ScreeningLists


def open_workspace_node(home: Path, port: int) -> tuple[str, AnvilNode | None]:
    """The URL of the workspace's node: reuse one answering on `port`, else start anvil with its state in `home`.
    Returns the node too when this call started it (the caller stops it)."""
    url = f"http://127.0.0.1:{port}"
    if rpc_alive(url):
        return url, None
    node = start_anvil(port, home / "node" / "state.json", log_file=home / "node" / "anvil.log")
    (home / "node" / "anvil.pid").write_text(str(node.process.pid))
    return url, node


def open_vault(settings: LedgerSettings) -> Vault:
    """The document vault: `LEDGER_DOCUMENTS_DIR`, else `<home>/documents`."""
    return Vault(settings.documents_path(), max_bytes=settings.document_max_bytes)


def open_lists(home: Path) -> ScreeningLists:
    """The screening lists the operator loaded, per version: `<home>/screening/lists.sqlite`."""
    return ScreeningLists(home / "screening" / "lists.sqlite")


def _seeded(ledger: Ledger, key: str) -> bool:
    from ledger.demo.apparel import demo_account

    try:
        ledger.participant(demo_account(key).address)
    except NotFoundError:
        return False
    return True


#: A participant registered first by each demo chain: the chain is recorded once it is registered.
CHAIN_MARKERS = {"apparel": "gin-gujarat", "rubber": "rubber-coop", "battery": "lithium-mine"}


def demo_seeded(ledger: Ledger) -> bool:
    return all(_seeded(ledger, key) for key in CHAIN_MARKERS.values())


def seed_demo_once(
    ledger: Ledger,
    progress: Callable[[str], None] | None = None,
    *,
    vault: Vault | None = None,
    lists: ScreeningLists | None = None,
    chains: Sequence[str] = tuple(CHAIN_MARKERS),
) -> bool:
    """Record each of the demo `chains` this deployment lacks (apparel, rubber, battery), and put the demo's
    documents in the vault and the sample UFLPA list among the screening lists (both write-once). True if a chain
    was seeded now."""
    from ledger.demo.apparel import seed_demo

    unknown = sorted(set(chains) - set(CHAIN_MARKERS))
    if unknown:
        raise ValidationError(
            f"unknown demo chain {unknown[0]!r}; known: {', '.join(CHAIN_MARKERS)}", field="demo_chains"
        )
    missing = [chain for chain, key in CHAIN_MARKERS.items() if chain in chains and not _seeded(ledger, key)]
    seed_demo(ledger, progress=progress, chains=missing, vault=vault, lists=lists)
    return bool(missing)


def demo_batches(ledger: Ledger, chains: Sequence[str] = tuple(CHAIN_MARKERS)) -> dict[str, str]:
    """The demo's finished-goods batches, each with the verdict it is designed to get."""
    from ledger.demo.apparel import GTIN_SHIRT, demo_account
    from ledger.demo.battery import GTIN_PACK
    from ledger.demo.rubber import GTIN_GLOVES

    garment, gloves, packs = (demo_account(k).address for k in ("garment", "gloves", "pack-maker"))
    found = {
        "apparel": {
            "passing (garments-a)": ledger.batch_id_of(garment, GTIN_SHIRT, "HG-DG-25-A-1201"),
            "flagged (garments-b)": ledger.batch_id_of(garment, GTIN_SHIRT, "HG-DG-25-B-1202"),
        },
        "rubber": {
            "EUDR compliant (gloves-a)": ledger.batch_id_of(gloves, GTIN_GLOVES, "SMG-26-A-1501"),
            "EUDR failing (gloves-b)": ledger.batch_id_of(gloves, GTIN_GLOVES, "SMG-26-B-1502"),
        },
        "battery": {
            "footprint declared (packs-a)": ledger.batch_id_of(packs, GTIN_PACK, "BES-26-A-0901"),
            "footprint missing (packs-b)": ledger.batch_id_of(packs, GTIN_PACK, "BES-26-B-0902"),
        },
    }
    return {label: batch_id for chain in chains for label, batch_id in found[chain].items()}
