"""The SQL index's shared part: the connection behind one lock, the dialect, the caches, and the helpers every
aggregate's reads use. The aggregates (`batches`, `lineage`, `participants`, `disclosures`, `documents`,
`anchors`, `sync_state`) are mixins over this base; `ledger.index.store.IndexStore` puts them together."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from ledger.chain.codec import from_timestamp
from ledger.domain.types import TxHash, TxRef
from ledger.index.caches import TIMESTAMP_CACHE_SIZE, Caches
from ledger.index.dialect import SQLITE, Dialect
from ledger.sqlite_files import open_database

SCHEMA = (Path(__file__).parent / "schema.sql").read_text()
#: Bumped when a table changes shape; an index file of another version is moved aside and rebuilt from the chain.
SCHEMA_VERSION = "3"


class Incompatible(Exception):
    """An index file written by another schema version."""


class SqlIndex:
    """One SQLite database per chain and deployment. Thread-safe: one connection behind a lock."""

    dialect: Dialect = SQLITE

    def __init__(self, path: Path | str = ":memory:", *, genesis: str | None = None) -> None:
        """Open (or create) the index at `path`. `genesis` is the hash of block 0 of the deployment's chain: an index
        file written for another chain (same addresses on a reset development chain) is moved aside, as is one that
        cannot be read or is of another schema version; the index is a cache and is rebuilt from the chain."""
        self.path = str(path)
        self.genesis = genesis
        #: Where an unreadable or outdated index file was moved on opening (None if the file opened as it was).
        self.moved_aside: Path | None
        self._db, self.moved_aside = self._open()
        self._lock = threading.RLock()
        self.caches = Caches()

    def _open(self) -> tuple[sqlite3.Connection, Path | None]:
        return open_database(
            self.path,
            SCHEMA,
            what="index file",
            consequence="rebuilding it from the chain",
            check=self._check,
            unusable=(Incompatible,),
            reopen=self._reopen,
        )

    def _reopen(self, moved: Path) -> None:
        """Damage found while running (the file is moved aside by then): a fresh index, rebuilt from the chain by the
        next sync, and nothing remembered from the damaged one."""
        with self._lock:
            self._db, _ = self._open()
            self.moved_aside = moved
            self.caches = Caches()

    def _check(self, db: sqlite3.Connection) -> None:
        """The file is an index of this schema version for this chain (else `Incompatible`: rebuilt)."""
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            if db.execute("SELECT 1 FROM meta WHERE key = 'checkpoint'").fetchone() is not None:
                raise Incompatible("index written by an older version of the ledger")
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row["value"] != SCHEMA_VERSION:
            raise Incompatible(f"index schema {row['value']}, this version needs {SCHEMA_VERSION}")
        if self.genesis is not None:
            known = db.execute("SELECT value FROM meta WHERE key = 'genesis'").fetchone()
            if known is None:
                db.execute("INSERT INTO meta VALUES ('genesis', ?)", (self.genesis,))
            elif known["value"] != self.genesis:
                raise Incompatible("index written for another chain (its genesis block differs)")

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self.dialect.transaction(self._db, self._lock)

    @contextmanager
    def consistent(self) -> Iterator[None]:
        """Hold off writes so that several reads see one state of the index."""
        with self._lock:
            yield

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(self.dialect.sql(sql), params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(self.dialect.sql(sql), params).fetchone()

    def _tx_ref(self, row: sqlite3.Row) -> TxRef:
        number = int(row["block_number"])
        timestamps = self.caches.timestamps
        stamp = timestamps.get(number)
        if stamp is None:
            found = self._one("SELECT timestamp FROM blocks WHERE number = ?", (number,))
            stamp = int(found["timestamp"]) if found else 0
            if len(timestamps) > TIMESTAMP_CACHE_SIZE:
                timestamps.clear()
            timestamps[number] = stamp
        return TxRef(TxHash(row["tx_hash"]), number, from_timestamp(stamp), int(row["log_index"]))
