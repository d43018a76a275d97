"""The relayer's outbox: every relayed write, recorded before it is broadcast and followed until it is mined.

One row per signed request (a signer's forwarder nonce is used by one request only), with the idempotency key the
caller gave (scoped to the signer), the raw transaction and its hash, and what became of it. A retry with the same
key, a restart after a crash, or a request whose transaction is still pending all find the row and give the first
answer; nothing is ever sent twice. SQLite, in memory or in a file of the service's workspace.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from pathlib import Path

from ledger.sqlite_files import immediate, open_database

log = logging.getLogger("ledger.outbox")

PREPARED = "prepared"  # raw transaction built and stored; the broadcast may or may not have reached the node
PENDING = "pending"  # broadcast, no receipt yet
MINED = "mined"  # mined, succeeded
FAILED = "failed"  # mined, reverted (paid): the contract changed between the dry run and the block
DROPPED = "dropped"  # will never be mined by us: expired, or the request was executed by someone else
OPEN = (PREPARED, PENDING)

SCHEMA = """
PRAGMA journal_mode = WAL;
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY, signer TEXT NOT NULL, signer_nonce TEXT NOT NULL, idempotency_key TEXT,
    fingerprint TEXT NOT NULL, function TEXT NOT NULL, created TEXT NOT NULL, deadline INTEGER NOT NULL,
    relayer TEXT NOT NULL, relayer_nonce INTEGER, raw_tx TEXT, tx_hash TEXT,
    earlier_hashes TEXT NOT NULL DEFAULT '[]', gas_limit INTEGER NOT NULL, max_fee INTEGER NOT NULL,
    tip INTEGER NOT NULL, status TEXT NOT NULL, block_number INTEGER, gas_used INTEGER, error TEXT,
    created_at REAL NOT NULL, sent_at REAL, updated_at REAL NOT NULL,
    UNIQUE (signer, signer_nonce));
CREATE UNIQUE INDEX IF NOT EXISTS entries_key ON entries(signer, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS entries_status ON entries(status);
CREATE INDEX IF NOT EXISTS entries_signer_time ON entries(signer, created_at);
CREATE INDEX IF NOT EXISTS entries_status_block ON entries(status, block_number);
"""


@dataclass(frozen=True)
class Entry:
    """One relayed request and its transaction."""

    id: int
    signer: str
    signer_nonce: int
    idempotency_key: str | None
    fingerprint: str
    function: str
    created: tuple[str, ...]
    deadline: int
    relayer: str
    relayer_nonce: int | None
    raw_tx: str | None
    tx_hash: str | None
    earlier_hashes: tuple[str, ...]
    gas_limit: int
    max_fee: int
    tip: int
    status: str
    block_number: int | None
    gas_used: int | None
    error: str | None
    created_at: float
    sent_at: float | None

    @property
    def open(self) -> bool:
        return self.status in OPEN

    @property
    def hashes(self) -> tuple[str, ...]:
        """Every transaction hash this request was sent under (replacements keep the same relayer nonce)."""
        return (*self.earlier_hashes, *([self.tx_hash] if self.tx_hash else []))


class Outbox:
    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = str(path)
        #: Where an unreadable outbox file was moved on opening (None if it opened as it was).
        self.moved_aside: Path | None
        # An unreadable file is kept for inspection and replaced by an empty one: the service goes on, but retries of
        # writes relayed before cannot be recognised by key any more (their nonces are used on chain: a retry is
        # refused as a replay, never sent twice). Damage found while running is not handled so (no `reopen`): the
        # running relayer refers to its rows by id, which a fresh file would hand to other requests; writes answer 503
        # and the file is moved aside at the next start.
        self._db, self.moved_aside = open_database(
            self.path,
            SCHEMA,
            what="relayer outbox",
            consequence="earlier answers are not replayed",
            check=lambda db: db.execute("SELECT COUNT(*) FROM entries").fetchone(),
        )
        self._lock = threading.RLock()

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def _one(self, sql: str, params: tuple[object, ...]) -> Entry | None:
        with self._lock:
            row = self._db.execute(sql, params).fetchone()
        return _entry(row) if row is not None else None

    def by_key(self, signer: str, key: str) -> Entry | None:
        return self._one("SELECT * FROM entries WHERE signer = ? AND idempotency_key = ?", (signer, key))

    def by_nonce(self, signer: str, nonce: int) -> Entry | None:
        return self._one("SELECT * FROM entries WHERE signer = ? AND signer_nonce = ?", (signer, str(nonce)))

    def get(self, entry_id: int) -> Entry:
        found = self._one("SELECT * FROM entries WHERE id = ?", (entry_id,))
        if found is None:
            raise KeyError(entry_id)
        return found

    def add(self, entry: Entry) -> Entry:
        """Record a request before anything is broadcast; returns it with its row id."""
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO entries (signer, signer_nonce, idempotency_key, fingerprint, function, created, deadline, "
                "relayer, relayer_nonce, raw_tx, tx_hash, earlier_hashes, gas_limit, max_fee, tip, status, "
                "block_number, gas_used, error, created_at, sent_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    entry.signer,
                    str(entry.signer_nonce),
                    entry.idempotency_key,
                    entry.fingerprint,
                    entry.function,
                    json.dumps(list(entry.created)),
                    entry.deadline,
                    entry.relayer,
                    entry.relayer_nonce,
                    entry.raw_tx,
                    entry.tx_hash,
                    json.dumps(list(entry.earlier_hashes)),
                    entry.gas_limit,
                    entry.max_fee,
                    entry.tip,
                    entry.status,
                    entry.block_number,
                    entry.gas_used,
                    entry.error,
                    now,
                    entry.sent_at,
                    now,
                ),
            )
        return replace(entry, id=int(cursor.lastrowid or 0), created_at=now)

    def update(self, entry: Entry) -> Entry:
        with self._tx() as db:
            db.execute(
                "UPDATE entries SET relayer_nonce = ?, raw_tx = ?, tx_hash = ?, earlier_hashes = ?, gas_limit = ?, "
                "max_fee = ?, tip = ?, status = ?, block_number = ?, gas_used = ?, error = ?, sent_at = ?, "
                "updated_at = ? WHERE id = ?",
                (
                    entry.relayer_nonce,
                    entry.raw_tx,
                    entry.tx_hash,
                    json.dumps(list(entry.earlier_hashes)),
                    entry.gas_limit,
                    entry.max_fee,
                    entry.tip,
                    entry.status,
                    entry.block_number,
                    entry.gas_used,
                    entry.error,
                    entry.sent_at,
                    time.time(),
                    entry.id,
                ),
            )
        return entry

    def remove(self, entry_id: int) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))

    def open_entries(self) -> list[Entry]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM entries WHERE status IN (?, ?) ORDER BY id", OPEN).fetchall()
        return [_entry(r) for r in rows]

    def mined_after(self, block_number: int) -> list[Entry]:
        """Entries mined in a block after `block_number`, in the order their relayer nonces were taken."""
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM entries WHERE status = ? AND block_number > ? ORDER BY relayer_nonce, id",
                (MINED, block_number),
            ).fetchall()
        return [_entry(r) for r in rows]

    def gas_since(self, signer: str, since: float) -> int:
        """Gas `signer`'s requests cost since `since` (unix time): used by mined ones, reserved by open ones."""
        with self._lock:
            row = self._db.execute(
                "SELECT COALESCE(SUM(CASE WHEN status IN (?, ?) THEN gas_limit ELSE COALESCE(gas_used, 0) END), 0) "
                "FROM entries WHERE signer = ? AND created_at >= ?",
                (*OPEN, signer, since),
            ).fetchone()
        return int(row[0])

    def usage(self, since: float) -> dict[str, tuple[int, int]]:
        """Per signer since `since`: (requests, gas used or reserved)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT signer, COUNT(*), COALESCE(SUM(CASE WHEN status IN (?, ?) THEN gas_limit "
                "ELSE COALESCE(gas_used, 0) END), 0) FROM entries WHERE created_at >= ? GROUP BY signer",
                (*OPEN, since),
            ).fetchall()
        return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM entries GROUP BY status").fetchall()
        return {str(r[0]): int(r[1]) for r in rows}


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        id=int(row["id"]),
        signer=row["signer"],
        signer_nonce=int(row["signer_nonce"]),
        idempotency_key=row["idempotency_key"],
        fingerprint=row["fingerprint"],
        function=row["function"],
        created=tuple(json.loads(row["created"])),
        deadline=int(row["deadline"]),
        relayer=row["relayer"],
        relayer_nonce=row["relayer_nonce"],
        raw_tx=row["raw_tx"],
        tx_hash=row["tx_hash"],
        earlier_hashes=tuple(json.loads(row["earlier_hashes"])),
        gas_limit=int(row["gas_limit"]),
        max_fee=int(row["max_fee"]),
        tip=int(row["tip"]),
        status=row["status"],
        block_number=row["block_number"],
        gas_used=row["gas_used"],
        error=row["error"],
        created_at=float(row["created_at"]),
        sent_at=row["sent_at"],
    )
