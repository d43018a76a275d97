"""The small seam between the index's SQL and one database: what SQLite and PostgreSQL spell differently.

Everything else the index runs is SQL the two agree on (named columns, `?` placeholders translated by `sql`,
row-value comparisons, `WITH RECURSIVE`, `SAVEPOINT`). A PostgreSQL adapter is a second `Dialect` (upsert as
`INSERT ... ON CONFLICT (key) DO UPDATE`, `%s` placeholders, `BEGIN` with the table locks it needs) and a connection
opener, not a rewrite of the store.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import cache
from typing import Protocol

from ledger.sqlite_files import immediate


class Dialect(Protocol):
    """What one database spells its own way."""

    #: The column that orders a table's rows as they were inserted (SQLite's `rowid`; a serial column elsewhere).
    insertion_order: str

    def sql(self, text: str) -> str:
        """`text` (written with `?` placeholders) in this database's parameter style."""
        ...

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """An insert of `columns` into `table` that replaces the row with the same `key`."""
        ...

    def transaction(
        self, db: sqlite3.Connection, lock: threading.Lock | threading.RLock
    ) -> AbstractContextManager[sqlite3.Connection]:
        """A write transaction under `lock`, taking the write lock up front; committed at the end of the block,
        rolled back on any exception."""
        ...

    def savepoint(self, db: sqlite3.Connection, name: str) -> AbstractContextManager[None]:
        """A savepoint inside the current transaction, rolled back (and the exception raised) if the block fails."""
        ...


def insert(table: str, columns: Sequence[str]) -> str:
    """A plain insert of named columns (the same SQL on every database the index supports)."""
    return _insert(table, tuple(columns))


@cache
def _insert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


class SqliteDialect:
    """SQLite: `?` placeholders, `INSERT OR REPLACE`, `BEGIN IMMEDIATE`, `rowid`."""

    insertion_order = "rowid"

    def sql(self, text: str) -> str:
        return text

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        return _sqlite_upsert(table, tuple(columns))

    def transaction(
        self, db: sqlite3.Connection, lock: threading.Lock | threading.RLock
    ) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(db, lock)

    @contextmanager
    def savepoint(self, db: sqlite3.Connection, name: str) -> Iterator[None]:
        db.execute(f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            db.execute(f"ROLLBACK TO {name}")
            db.execute(f"RELEASE {name}")
            raise
        db.execute(f"RELEASE {name}")


@cache
def _sqlite_upsert(table: str, columns: tuple[str, ...]) -> str:
    return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"


SQLITE = SqliteDialect()
