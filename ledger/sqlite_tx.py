"""One write transaction on a SQLite connection shared by a store's threads (the index, the relayer's outbox, the
EPCIS event store): each opens its connection with `isolation_level=None` and serialises writes with its own lock."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def immediate(db: sqlite3.Connection, lock: threading.Lock | threading.RLock) -> Iterator[sqlite3.Connection]:
    """`BEGIN IMMEDIATE` under `lock` (the write lock is taken up front, so a reader in another process never makes
    the transaction fail halfway); committed when the block ends, rolled back on any exception."""
    with lock:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
