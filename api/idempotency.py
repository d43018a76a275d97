"""`Idempotency-Key` for writes: a retry with the same key and body gets the first answer and sends nothing again;
the same key with another body is refused. Only successful writes are remembered, so a refused write can be
corrected and retried under the same key.

Answers live in memory (bounded, oldest dropped first) and, when the service has a workspace, in a SQLite file of it
(`<home>/relayer/idempotency-<chain>-<ledger>.sqlite`), so a retry after a restart still gets the first answer.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from api.schemas.writes import WriteResult

log = logging.getLogger("api.idempotency")


def _open(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    try:
        db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, "
                   "answer TEXT NOT NULL, created_at TEXT DEFAULT CURRENT_TIMESTAMP)")
        db.execute("SELECT COUNT(*) FROM answers").fetchone()
    except BaseException:
        db.close()
        raise
    return db


def _move_aside(path: Path, exc: Exception) -> Path:
    """An answers file that cannot be read is kept for inspection and replaced by an empty one. The service keeps
    running; retries of writes answered before cannot be recognised by key any more (their nonce is used, so a retry
    is refused as a replay instead of being sent twice)."""
    target = path.with_name(f"{path.name}.unreadable-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
    for suffix in ("", "-wal", "-shm", "-journal"):
        source = Path(str(path) + suffix)
        if source.exists():
            source.replace(Path(str(target) + suffix))
    log.warning("idempotency answers file %s is unreadable (%s): moved to %s; earlier answers are not replayed",
                path.name, exc, target.name)
    return target


class IdempotencyKeyReusedError(Exception):
    code = "idempotency_key_reused"


def fingerprint(route: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, max_entries: int = 10_000, path: Path | None = None) -> None:
        self.max_entries = max_entries
        self._answers: OrderedDict[str, tuple[str, WriteResult]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._db: sqlite3.Connection | None = None
        #: Where an unreadable answers file was moved on opening (None if it opened as it was).
        self.moved_aside: Path | None = None
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                self._db = _open(path)
            except sqlite3.DatabaseError as exc:
                self.moved_aside = _move_aside(path, exc)
                self._db = _open(path)

    def _seen(self, key: str) -> tuple[str, WriteResult] | None:
        with self._guard:
            seen = self._answers.get(key)
            if seen is None and self._db is not None:
                row = self._db.execute("SELECT fingerprint, answer FROM answers WHERE key = ?", (key,)).fetchone()
                if row is not None:
                    seen = (row[0], WriteResult.model_validate_json(row[1]))
            return seen

    def _remember(self, key: str, print_: str, answer: WriteResult) -> None:
        with self._guard:
            self._answers[key] = (print_, answer)
            while len(self._answers) > self.max_entries:
                old, _ = self._answers.popitem(last=False)
                self._locks.pop(old, None)
            if self._db is not None:
                self._db.execute("INSERT OR REPLACE INTO answers (key, fingerprint, answer) VALUES (?, ?, ?)",
                                 (key, print_, answer.model_dump_json()))

    def run(self, key: str | None, print_: str, action: Callable[[], WriteResult]) -> tuple[WriteResult, bool]:
        """Run `action` once per key; returns its answer and whether it was replayed from an earlier request."""
        if key is None:
            return action(), False
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # a concurrent retry waits for the first attempt instead of sending again
            seen = self._seen(key)
            if seen is not None:
                if seen[0] != print_:
                    raise IdempotencyKeyReusedError(
                        f"Idempotency-Key {key!r} was already used with another request body or route")
                return seen[1], True
            answer = action()
            self._remember(key, print_, answer)
            return answer, False

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
