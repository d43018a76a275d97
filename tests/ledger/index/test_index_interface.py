"""The read model behind an interface: the rest of the code reads the index through `IndexReader`, the SQLite
adapter names its columns from one map per table, and the caches are keyed by what the events change."""

import ast
import dataclasses
import sqlite3
from pathlib import Path

from ledger.chain.codec import record_members
from ledger.domain.types import Batch
from ledger.index import IndexStore, IndexWriter
from ledger.index.base import SCHEMA
from ledger.index.batches import BATCH_FIELDS
from ledger.index.events import AGGREGATES, BATCH_RECORD_COLUMNS, BATCH_RECORD_ELSEWHERE, COLUMNS, HANDLERS

ROOT = Path(__file__).resolve().parents[3]
INDEX = ROOT / "ledger" / "index"


def _imports(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    found: list[tuple[str, tuple[str, ...]]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found += [(alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, tuple(alias.name for alias in node.names)))
    return found


def test_no_module_outside_the_index_imports_the_sqlite_adapter() -> None:
    inner = {f"ledger.index.{p.stem}" for p in INDEX.glob("*.py") if p.stem not in ("__init__", "reader", "sync")}
    offending = []
    for package in ("ledger", "api"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if INDEX in path.parents:
                continue
            for module, names in _imports(path):
                if module in inner:
                    offending.append((str(path.relative_to(ROOT)), module))
                elif module == "ledger.index" and "IndexStore" in names and path != ROOT / "ledger" / "client.py":
                    offending.append((str(path.relative_to(ROOT)), "ledger.index.IndexStore"))  # the Ledger's only
    assert offending == []


def test_the_sqlite_adapter_answers_every_question_of_the_reader_and_the_syncer() -> None:
    members = {name for name in dir(IndexWriter) if not name.startswith("_")}
    members |= {name for kind in IndexWriter.__mro__ for name in getattr(kind, "__annotations__", {})}
    assert {"apply", "roll_back", "batch", "participant", "path"} <= members
    store = IndexStore(":memory:")
    try:
        assert [name for name in sorted(members) if not hasattr(store, name)] == []
    finally:
        store.close()


def test_every_insert_names_the_columns_of_its_table() -> None:
    db = sqlite3.connect(":memory:")
    db.executescript(SCHEMA)
    for table, columns in COLUMNS.items():
        assert [r[1] for r in db.execute(f"PRAGMA table_info({table})")] == list(columns), table


def test_every_field_of_a_batch_has_a_home_in_the_index() -> None:
    assert set(BATCH_FIELDS) == {f.name for f in dataclasses.fields(Batch)}
    assert set(BATCH_RECORD_COLUMNS) <= set(COLUMNS["batches"])


def test_the_index_stores_every_member_of_the_chain_record_the_codec_maps() -> None:
    stored = [member for member, _ in BATCH_RECORD_COLUMNS.values()] + list(BATCH_RECORD_ELSEWHERE)
    assert sorted(stored) == sorted(record_members())


def test_every_event_the_index_stores_names_the_aggregate_it_changes() -> None:
    assert set(HANDLERS) == set(AGGREGATES)


def _batch_event(n: int, block: int, inputs: tuple[int, ...] = ()) -> tuple[str, dict[str, object], dict[str, object]]:
    record = {
        "gtin": 9506000134352,
        "lot": b"LOT%d" % n,
        "hsCode": 400122,
        "quantity": 10_000,
        "unit": b"KGM",
        "facility": 9506000000001,
        "producedAt": 1_700_000_000,
        "processEmissions": 0,
        "emissionsReported": False,
        "documents": [],
        "inputs": [{"batchId": bytes([i]) * 32, "quantity": 4_000} for i in inputs],
    }
    meta = {
        "tx_hash": "0x" + "ab" * 32,
        "block_number": block,
        "log_index": 0,
        "block_hash": "0x" + "cd" * 32,
        "timestamp": 1_700_000_000 + block,
    }
    return "BatchRecorded", {"batchId": bytes([n]) * 32, "producer": "0x" + "11" * 20, "record": record}, meta


def test_the_caches_follow_each_applied_window_and_a_rollback() -> None:
    store = IndexStore(":memory:")
    a, b = "0x" + "01" * 32, "0x" + "02" * 32
    try:
        store.apply([_batch_event(1, 1)], 1, "0x" + "cd" * 32, 1_700_000_001)
        before = store.batch(a)
        assert before is not None and before.remaining == 10 and store.consumers(a) == []
        store.apply([_batch_event(2, 2, inputs=(1,))], 2, "0x" + "cd" * 32, 1_700_000_002)
        after = store.batch(a)
        assert after is not None and after.remaining == 6  # the cached batch was dropped by the window that used it
        assert store.consumers(a) == [b] and store.inputs_of(b) == [a]
        store.roll_back(1, "0x" + "cd" * 32)
        rolled = store.batch(a)
        assert rolled is not None and rolled.remaining == 10 and store.batch(b) is None and store.consumers(a) == []
    finally:
        store.close()
