"""What our SQLite stores (the index, the relayer's outbox, the EPCIS event store, the screening lists) share: opening a
file that one connection serves to all of a store's threads (`isolation_level=None`; each store serialises its writes
with its own lock), one write transaction on it, and moving a file that cannot be used out of the way."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def open_database(path: str, schema: str, *, what: str, consequence: str,
                  check: Callable[[sqlite3.Connection], None] | None = None,
                  unusable: tuple[type[Exception], ...] = ()) -> tuple[sqlite3.Connection, Path | None]:
    """Open (or create, with its folder) the database at `path` (":memory:" for none on disk) with `schema` applied
    and `check` passed. A file that is not a database, or fails `check` with one of `unusable`, is moved aside (see
    `move_aside`, which logs `what` and the `consequence`) and a fresh one is opened: a broken file never stops the
    service. Returns the connection and where the broken file went (None if it opened as it was)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    broken: tuple[type[Exception], ...] = (sqlite3.DatabaseError, *unusable)
    try:
        return _connect(path, schema, check), None
    except broken as exc:
        if path == ":memory:":
            raise
        moved = move_aside(Path(path), what, str(exc), consequence)
        return _connect(path, schema, check), moved


def _connect(path: str, schema: str, check: Callable[[sqlite3.Connection], None] | None) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        db.row_factory = sqlite3.Row
        db.executescript(schema)
        if check is not None:
            check(db)
    except BaseException:
        db.close()
        raise
    return db


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
