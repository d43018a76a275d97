"""The SQLite adapter of the index: the aggregates' reads and the sync state's write path over one SQLite file.

Only `ledger.index` uses this module; the rest of the code reads through `ledger.index.reader.IndexReader` (or the
`Ledger`). A PostgreSQL adapter is a second store over the same aggregate modules with its own `Dialect` and
connection opener.
"""

from __future__ import annotations

from pathlib import Path

from ledger.index.anchors import Anchors
from ledger.index.base import SCHEMA, SCHEMA_VERSION, SqlIndex
from ledger.index.base import Incompatible as _Incompatible
from ledger.index.batches import Batches
from ledger.index.caches import BATCH_CACHE_SIZE, DISCLOSURE_CACHE_WEIGHT, milli
from ledger.index.disclosures import Disclosures
from ledger.index.lineage import Lineage, Upstream
from ledger.index.participants import Participants
from ledger.index.reader import IndexWriter
from ledger.index.sync_state import RECENT_BLOCKS, TABLES, SyncState
from ledger.sqlite_files import move_aside as move_file_aside

__all__ = [
    "BATCH_CACHE_SIZE",
    "DISCLOSURE_CACHE_WEIGHT",
    "RECENT_BLOCKS",
    "SCHEMA",
    "SCHEMA_VERSION",
    "TABLES",
    "IndexStore",
    "SqlIndex",
    "Upstream",
    "_Incompatible",
    "milli",
    "move_aside",
]


class IndexStore(SyncState, Batches, Lineage, Participants, Disclosures, Anchors):
    """One SQLite database per chain and deployment. Thread-safe: one connection behind a lock."""


def move_aside(path: Path, reason: str) -> Path:
    """Move an index file that cannot be used out of the way: the index is a cache of the chain, rebuilt from it."""
    return move_file_aside(path, "index file", reason, "rebuilding it from the chain")


def _conforms(store: IndexStore) -> IndexWriter:
    return store  # mypy checks here that the SQLite adapter is an `IndexWriter` (so an `IndexReader`)
