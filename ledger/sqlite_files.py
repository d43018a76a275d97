"""What our SQLite stores (the index, the relayer's outbox, the EPCIS event store) share: one write transaction on a
connection shared by a store's threads (each opens its connection with `isolation_level=None` and serialises writes
with its own lock), and moving a file that cannot be used out of the way."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


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


def move_aside(path: Path, what: str, reason: str, consequence: str) -> Path:
    """Rename a database file that cannot be used (and its WAL and journal files) to `<name>.unreadable-<time>`,
    keeping it for inspection, and log why and what follows; the caller then opens a fresh one."""
    target = path.with_name(f"{path.name}.unreadable-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        source = Path(str(path) + suffix)
        if source.exists():
            source.replace(Path(str(target) + suffix))
    log.warning("%s %s is unusable (%s): moved to %s; %s", what, path.name, reason, target.name, consequence)
    return target
