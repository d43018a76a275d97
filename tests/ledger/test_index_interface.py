"""The read model behind an interface: the rest of the code reads the index through `IndexReader`, the SQLite
adapter names its columns from one map per table, and the caches are keyed by what the events change."""

import ast
import dataclasses
import sqlite3
from pathlib import Path

from ledger.index import IndexReader, IndexStore
from ledger.index.base import SCHEMA
from ledger.index.batches import BATCH_FIELDS
from ledger.index.events import AGGREGATES, BATCH_RECORD_COLUMNS, COLUMNS, HANDLERS
from ledger.types import Batch

ROOT = Path(__file__).resolve().parents[2]
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


def test_the_sqlite_adapter_answers_every_question_of_the_reader() -> None:
    members = {name for name in dir(IndexReader) if not name.startswith("_")} | set(IndexReader.__annotations__)
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


def test_every_event_the_index_stores_names_the_aggregate_it_changes() -> None:
    assert set(HANDLERS) == set(AGGREGATES)
