"""What our SQLite stores (the index, the relayer's outbox, the EPCIS event store, the screening lists) share: opening a
file that one connection serves to all of a store's threads (`isolation_level=None`; each store serialises its writes
with its own lock), one write transaction on it, and moving a file that cannot be used out of the way.

Damage is looked for when a file is opened (`PRAGMA quick_check`: a page garbled past the header is found there, not
by the first request that reads it) and caught while running: every statement on a store's connection that finds the
file malformed raises `StoreDamagedError` (503) instead of a bare `sqlite3.DatabaseError` (a 500 with a traceback).
A store that can start afresh passes `reopen`: the first such error moves the file aside (as on opening) and calls
it with where the file went; the store opens a fresh file. Without `reopen` the file is left in place and
logged: the relayer's outbox, whose rows the running relayer refers to by id (a fresh file would hand those ids to
other requests); its next start moves it aside."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Self

from ledger.domain.errors import StoreDamagedError

log = logging.getLogger(__name__)

#: SQLite's primary result codes that say the file's content is damaged (not busy, locked or out of space).
SQLITE_CORRUPT, SQLITE_NOTADB = 11, 26


def is_damage(exc: BaseException) -> bool:
    """`exc` says the database file is malformed or not a database at all."""
    return isinstance(exc, sqlite3.DatabaseError) and (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in (
        SQLITE_CORRUPT,
        SQLITE_NOTADB,
    )


class StoreConnection(sqlite3.Connection):
    """A store's connection: a statement that finds the file damaged raises `StoreDamagedError` (see the module)."""

    what = "SQLite store"
    consequence = ""
    path = ""
    reopen: Callable[[Path], None] | None = None
    watching = False  # set once the file has opened and passed its checks
    reported = False  # damage was found (and handled) once

    def cursor(self, factory: Any = None) -> sqlite3.Cursor:  # type: ignore[override]
        return super().cursor(factory or _Cursor)

    def execute(self, sql: str, parameters: Any = (), /) -> sqlite3.Cursor:
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> sqlite3.Cursor:
        return self.cursor().executemany(sql, parameters)

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        return self.cursor().executescript(script)

    def damaged(self, exc: sqlite3.DatabaseError) -> StoreDamagedError:
        """The error to raise for damage found while running; the first one moves the file aside (`reopen`) or logs
        that it is left in place."""
        with _damage_lock:
            first, self.reported = not self.reported, True
        name = Path(self.path).name
        if first and self.reopen is not None:
            self.reopen(move_aside(Path(self.path), self.what, str(exc), self.consequence))  # a fresh file
            return StoreDamagedError(
                f"the {self.what} {name} was found damaged ({exc}): it was moved aside and replaced, try again"
            )
        if first:
            log.error(
                "%s %s is damaged (%s): left in place; requests that need it answer 503 until the service is "
                "restarted (which moves it aside) or the file is restored",
                self.what,
                name,
                exc,
            )
        return StoreDamagedError(
            f"the {self.what} {name} is damaged ({exc}): the operator is to restart the service or restore the file"
        )


_damage_lock = threading.Lock()


def _raise(cursor: sqlite3.Cursor, exc: sqlite3.DatabaseError) -> None:
    connection = cursor.connection
    if isinstance(connection, StoreConnection) and connection.watching and is_damage(exc):
        raise connection.damaged(exc) from exc
    raise exc


class _Cursor(sqlite3.Cursor):
    """Turns damage found by a statement, or by reading its rows, into `StoreDamagedError`."""

    def execute(self, sql: str, parameters: Any = (), /) -> Self:
        try:
            return super().execute(sql, parameters)
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def executemany(self, sql: str, parameters: Iterable[Any], /) -> Self:
        try:
            return super().executemany(sql, parameters)
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def executescript(self, script: str, /) -> sqlite3.Cursor:
        try:
            return super().executescript(script)
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def fetchmany(self, size: int | None = 1) -> list[Any]:
        try:
            return super().fetchmany(size if size is not None else self.arraysize)
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def fetchall(self) -> list[Any]:
        try:
            return super().fetchall()
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except sqlite3.DatabaseError as exc:
            _raise(self, exc)
            raise


def open_database(
    path: str,
    schema: str,
    *,
    what: str,
    consequence: str,
    check: Callable[[sqlite3.Connection], None] | None = None,
    unusable: tuple[type[Exception], ...] = (),
    reopen: Callable[[Path], None] | None = None,
) -> tuple[sqlite3.Connection, Path | None]:
    """Open (or create, with its folder) the database at `path` (":memory:" for none on disk) with `schema` applied
    and `check` passed. A file that is not a database, fails SQLite's `quick_check` (a page damaged anywhere), or
    fails `check` with one of `unusable`, is moved aside (see `move_aside`, which logs `what` and the `consequence`)
    and a fresh one is opened: a broken file never stops the service. Damage found later raises `StoreDamagedError`
    and runs `reopen` once (see the module). Returns the connection and where the broken file went (None if it
    opened as it was)."""
    if path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    broken: tuple[type[Exception], ...] = (sqlite3.DatabaseError, *unusable)
    try:
        db, moved = _connect(path, schema, check), None
    except broken as exc:
        if path == ":memory:":
            raise
        moved = move_aside(Path(path), what, str(exc), consequence)
        db = _connect(path, schema, check)
    db.what, db.consequence, db.reopen, db.path, db.watching = what, consequence, reopen, path, True
    return db, moved


def _connect(path: str, schema: str, check: Callable[[sqlite3.Connection], None] | None) -> StoreConnection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, factory=StoreConnection)
    try:
        db.row_factory = sqlite3.Row
        if path != ":memory:":
            found = [str(row[0]) for row in db.execute("PRAGMA quick_check").fetchall()]
            if found != ["ok"]:
                raise sqlite3.DatabaseError(f"integrity check failed: {'; '.join(found[:3])}")
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
            if db.in_transaction:
                with suppress(sqlite3.DatabaseError):  # a damaged file: the error that found it is the one to raise
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
