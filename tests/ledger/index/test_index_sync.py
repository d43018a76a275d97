"""The event index on a real node (anvil): resume after a kill, reorg rollback, confirmations depth."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.deploy import save_manifest
from ledger.client import Ledger
from ledger.domain.types import Gln, Gtin, InputUse, NewBatch, ParticipantProfile, Role, Site
from ledger.index import Indexer, IndexStore
from tests.conftest import ChainUnderTest, account

pytestmark = pytest.mark.anvil

GLN = Gln("4000001000005")
GTIN = Gtin("04012345000009")
NOW = datetime(2025, 6, 1, tzinfo=UTC)
EVENT_TABLES = (
    "participants",
    "sites",
    "roles",
    "statuses",
    "batches",
    "inputs",
    "documents",
    "custody",
    "flags",
    "anchors",
    "disclosure_versions",
    "attestations",
    "revocations",
)


@pytest.fixture
def anvil_ledger(anvil_chain: ChainUnderTest) -> Iterator[Ledger]:
    """An empty ledger on anvil with an in-memory index, rolled back afterwards."""
    with anvil_chain.chain.isolated():
        instance = anvil_chain.ledger()
        yield instance
        instance.close()


def make_factory(ledger: Ledger, label: str = "index factory", gln: Gln = GLN) -> LocalAccount:
    factory = account(label)
    ledger.register_participant(
        factory.address, ParticipantProfile("Index Mill", "DE", (Site(gln, "DE-BE"),)), [Role.FACTORY]
    )
    return factory


def make_buyer(ledger: Ledger, label: str) -> LocalAccount:
    buyer = account(label)
    ledger.register_participant(buyer.address, ParticipantProfile(f"{label} AB", "SE"), [])
    return buyer


def new_batch(lot: str, inputs: tuple[InputUse, ...] = ()) -> NewBatch:
    return NewBatch(GTIN, lot, "520100", Decimal(100), "KGM", GLN, NOW, inputs=inputs)


def record_history(ledger: Ledger, rounds: int = 6) -> None:
    """Several blocks of mixed events: bulk records with lineage, custody transfers and a flag."""
    factory = make_factory(ledger)
    buyer = make_buyer(ledger, "index buyer")
    previous: list[str] = []
    for r in range(rounds):
        inputs = tuple(InputUse(p, Decimal(1)) for p in previous[:2])  # type: ignore[arg-type]
        ids, _ = ledger.record_batches(factory, [new_batch(f"R{r}-{i}", inputs if i == 0 else ()) for i in range(4)])
        ledger.transfer_custody(factory, ids[3], buyer.address)
        previous = ids
    from ledger.domain.types import FlagKind

    ledger.flag_batch(factory, previous[0], FlagKind.QUALITY_HOLD, "moisture")


def dump(path_or_store: IndexStore) -> dict[str, list[tuple[object, ...]]]:
    """Every event table's rows, sorted (the rowid order may legitimately differ)."""
    db = path_or_store._db
    out = {}
    for table in EVENT_TABLES:
        rows = db.execute(f"SELECT * FROM {table}").fetchall()
        out[table] = sorted(tuple(r) for r in rows)
    return out


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from ledger.chain.connection import Chain
    from ledger.chain.deploy import load_manifest
    from ledger.index import Indexer, IndexStore
    from ledger.index.events import HANDLERS

    url, manifest, db, kill_after = sys.argv[1], Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    store = IndexStore(db)
    seen = 0
    original = HANDLERS["BatchRecorded"]

    def dying(db_, a, m, changes):
        global seen
        original(db_, a, m, changes)
        seen += 1
        if seen == kill_after:  # in the middle of a window's transaction, before its COMMIT
            os.kill(os.getpid(), signal.SIGKILL)

    HANDLERS["BatchRecorded"] = dying
    Indexer(Chain.connect(url), load_manifest(manifest), store, window=2).sync()
    print("not killed")
""")


def test_a_killed_indexer_resumes_with_no_missing_or_duplicate_rows(anvil_ledger: Ledger, tmp_path: Path) -> None:
    record_history(anvil_ledger)
    manifest = tmp_path / "deployment.json"
    save_manifest(anvil_ledger.deployment, manifest)
    db = tmp_path / "index.sqlite"
    url = anvil_ledger.chain.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, url, str(manifest), str(db), "10"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).parents[3],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[3])},
        check=False,
    )
    assert killed.returncode == -9, killed.stdout + killed.stderr

    with sqlite3.connect(db) as raw:
        partial = raw.execute("SELECT COUNT(*) FROM batches").fetchone()[0]
        checkpoint = int(raw.execute("SELECT value FROM meta WHERE key = 'checkpoint'").fetchone()[0])
    assert 0 < partial < 24 and partial % 4 == 0  # whole windows only: the killed window left nothing behind
    assert checkpoint < anvil_ledger.chain.head

    resumed = IndexStore(db)
    status = Indexer(anvil_ledger.chain, anvil_ledger.deployment, resumed, window=2).sync()
    assert status.indexed_block == anvil_ledger.chain.head
    fresh = IndexStore(":memory:")
    Indexer(anvil_ledger.chain, anvil_ledger.deployment, fresh, window=10_000).sync()
    assert dump(resumed) == dump(fresh)
    assert len(dump(resumed)["batches"]) == 24


def test_a_restarted_process_resumes_from_its_checkpoint(anvil_ledger: Ledger, tmp_path: Path) -> None:
    record_history(anvil_ledger, rounds=3)
    db = tmp_path / "index.sqlite"
    middle = anvil_ledger.chain.head - 4
    first = IndexStore(db)
    Indexer(anvil_ledger.chain, anvil_ledger.deployment, first, window=1).sync(to_block=middle)
    assert first.checkpoint == middle
    first.close()
    late = make_factory(anvil_ledger, "late factory", Gln("4000002000004"))
    anvil_ledger.record_batches(
        late, [NewBatch(GTIN, "LATE-1", "520100", Decimal(1), "KGM", Gln("4000002000004"), NOW)]
    )
    second = IndexStore(db)
    status = Indexer(anvil_ledger.chain, anvil_ledger.deployment, second, window=3).sync()
    assert status.indexed_block == anvil_ledger.chain.head
    fresh = IndexStore(":memory:")
    Indexer(anvil_ledger.chain, anvil_ledger.deployment, fresh).sync()
    assert dump(second) == dump(fresh)


def test_a_reorg_rolls_back_replaced_blocks_and_indexes_the_new_ones(anvil_ledger: Ledger) -> None:
    chain = anvil_ledger.chain
    factory = make_factory(anvil_ledger)
    (kept,), _ = anvil_ledger.record_batches(factory, [new_batch("KEPT")])
    anvil_ledger.sync()
    fork = chain.snapshot()
    (orphan,), _ = anvil_ledger.record_batches(factory, [new_batch("ORPHAN")])
    anvil_ledger.transfer_custody(factory, kept, make_buyer(anvil_ledger, "taker").address)
    assert anvil_ledger.batch(orphan).lot == "ORPHAN"
    assert anvil_ledger.batch(kept).custody
    orphaned_head = chain.head

    chain.revert_to(fork)  # the blocks after the fork are replaced by other blocks at the same heights
    (replacement,), _ = anvil_ledger.record_batches(factory, [new_batch("REPLACEMENT")])
    while chain.head < orphaned_head:
        chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    status = anvil_ledger.sync()

    assert status.reorgs == 1
    assert anvil_ledger.store.batch(orphan) is None
    assert anvil_ledger.batch(replacement).lot == "REPLACEMENT"
    assert anvil_ledger.batch(kept).custody == ()
    assert anvil_ledger.store.participant(account("taker").address) is None
    fresh = IndexStore(":memory:")
    Indexer(chain, anvil_ledger.deployment, fresh).sync()
    assert dump(anvil_ledger.store) == dump(fresh)


def test_a_reorg_to_a_shorter_chain_is_followed_too(anvil_ledger: Ledger) -> None:
    chain = anvil_ledger.chain
    factory = make_factory(anvil_ledger)
    anvil_ledger.sync()
    fork = chain.snapshot()
    ids, _ = anvil_ledger.record_batches(factory, [new_batch("GONE-1"), new_batch("GONE-2")])
    anvil_ledger.record_batches(factory, [new_batch("GONE-3")])
    anvil_ledger.sync()
    chain.revert_to(fork)
    status = anvil_ledger.sync()
    assert status.reorgs == 1 and status.indexed_block == chain.head
    assert all(anvil_ledger.store.batch(i) is None for i in ids)


def test_the_index_stays_the_confirmation_depth_behind_the_head(anvil_ledger: Ledger) -> None:
    chain = anvil_ledger.chain
    factory = make_factory(anvil_ledger)
    indexer = Indexer(chain, anvil_ledger.deployment, IndexStore(":memory:"), confirmations=3)
    (batch_id,), receipt = anvil_ledger.record_batches(factory, [new_batch("CONFIRM-1")])
    status = indexer.sync()
    assert status.indexed_block == chain.head - 3 < receipt.block_number
    assert indexer.store.batch(batch_id) is None
    for expected_missing in (True, True, False):
        chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        status = indexer.sync()
        assert status.indexed_block == chain.head - 3
        assert (indexer.store.batch(batch_id) is None) is expected_missing
    assert status.lag == 3


def test_sync_status_reports_head_indexed_block_and_lag(anvil_ledger: Ledger) -> None:
    make_factory(anvil_ledger)
    status = anvil_ledger.sync()
    assert (status.chain_head, status.indexed_block, status.lag) == (anvil_ledger.chain.head,) * 2 + (0,)
    json.dumps({"head": status.chain_head, "indexed": status.indexed_block, "lag": status.lag})
