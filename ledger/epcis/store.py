"""The service's store of EPCIS captures: every captured event as it was sent (with its document's `@context`),
its CBV 2.0 hash, what it produced (batch ids, transactions), the root its hash is committed under and its proof;
and every capture job with its per-event results.

SQLite, in the service's workspace (`<home>/epcis/events-<chain>-<ledger>.sqlite`; in memory for an in-memory
ledger). Unlike the index, this store is no cache of the chain: the events themselves are only here (the chain holds
their hashes), so it is never moved aside or rebuilt; back it up with the workspace.

Over 400 lines on purpose: one SQLite store whose tables (events, jobs, commitments) are written together in one
transaction per capture; its SQL stays in one file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ledger.domain.types import Address, BatchId
from ledger.epcis.model import CapturedFact, CaptureJob, EventResult, JobState, Status
from ledger.sqlite_files import immediate, open_database

if TYPE_CHECKING:
    from ledger.client import Ledger

SCHEMA = """
PRAGMA journal_mode = WAL;
PRAGMA synchronous = NORMAL;
CREATE TABLE IF NOT EXISTS captures (
    id TEXT PRIMARY KEY, submission TEXT NOT NULL UNIQUE, capturer TEXT NOT NULL, state TEXT NOT NULL,
    created_at REAL NOT NULL, document_uri TEXT NOT NULL, document TEXT NOT NULL, requests TEXT NOT NULL,
    results TEXT NOT NULL, plan TEXT, root TEXT, commit_tx TEXT, error TEXT);
CREATE INDEX IF NOT EXISTS captures_state ON captures(state);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, event_hash TEXT NOT NULL, declaration INTEGER NOT NULL,
    capture_id TEXT NOT NULL, position INTEGER NOT NULL, capturer TEXT NOT NULL, status TEXT NOT NULL,
    event_type TEXT NOT NULL, event_time REAL, biz_step TEXT, biz_location TEXT, event_id TEXT,
    event TEXT NOT NULL, context TEXT NOT NULL, produced TEXT NOT NULL, transactions TEXT NOT NULL,
    root TEXT, proof TEXT,
    UNIQUE (event_hash, declaration));
CREATE INDEX IF NOT EXISTS events_capture ON events(capture_id);
-- the batches an event is about (role: produced, consumed, shipped, received, flagged)
CREATE TABLE IF NOT EXISTS event_batches (seq INTEGER NOT NULL, batch_id TEXT NOT NULL, role TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_batches_batch ON event_batches(batch_id);
CREATE INDEX IF NOT EXISTS event_batches_seq ON event_batches(seq);
-- what query parameters match: classes (GTIN, lot) and instance-level EPCs
CREATE TABLE IF NOT EXISTS event_classes (seq INTEGER NOT NULL, gtin TEXT NOT NULL, lot TEXT);
CREATE INDEX IF NOT EXISTS event_classes_gtin ON event_classes(gtin);
CREATE TABLE IF NOT EXISTS event_epcs (seq INTEGER NOT NULL, epc TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS event_epcs_epc ON event_epcs(epc);
"""


@dataclass(frozen=True)
class StoredEvent:
    """A captured event as stored: the event's JSON as sent and its document's `@context`, its hash, and what it
    produced on chain."""

    seq: int
    event_hash: str
    declaration: bool
    capture_id: str
    position: int
    capturer: Address
    status: Status
    event_type: str
    event_time: float | None
    biz_step: str | None
    biz_location: str | None
    event: dict[str, Any]
    context: Any
    produced: tuple[BatchId, ...]
    transactions: tuple[str, ...]
    root: str | None
    proof: tuple[str, ...]


@dataclass(frozen=True)
class EventHead:
    """Where a stored event sorts and what it wrote, without the event."""

    seq: int
    event_time: float | None
    transactions: tuple[str, ...]


@dataclass(frozen=True)
class NewEvent:
    """What the capture job stores for an event it is about to record (status pending until its writes land)."""

    event_hash: str
    declaration: bool
    position: int
    event_type: str
    event_time: float | None
    biz_step: str | None
    biz_location: str | None
    event_id: str | None
    event: dict[str, Any]
    batches: tuple[tuple[BatchId, str], ...]  # (batch, role)
    classes: tuple[tuple[str, str | None], ...]  # (gtin, lot)
    epcs: tuple[str, ...]


class EventStore:
    """Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path | str = ":memory:") -> None:
        self.path = str(path)
        #: Where an unreadable event store was moved on opening (None if it opened as it was).
        self.moved_aside: Path | None
        self._db, self.moved_aside = self._open()
        self._lock = threading.RLock()

    def _open(self) -> tuple[sqlite3.Connection, Path | None]:
        # damage found while running is handled as on opening: the file is moved aside and a fresh one used
        return open_database(
            self.path,
            SCHEMA,
            what="EPCIS event store",
            consequence="events captured before are served as the chain's facts give them until the file is restored",
            check=lambda db: db.execute("SELECT COUNT(*) FROM events").fetchone(),
            reopen=self._reopen,
        )

    def _reopen(self, moved: Path) -> None:
        self._db, _ = self._open()
        self.moved_aside = moved

    @classmethod
    def for_ledger(cls, ledger: Ledger) -> EventStore:
        """The store beside the ledger's index: `<home>/epcis/events-<chain>-<ledger>.sqlite`, or in memory for an
        in-memory index."""
        if ledger.store.path == ":memory:":
            return cls(":memory:")
        home = Path(ledger.store.path).parent.parent
        deployment = ledger.deployment
        return cls(home / "epcis" / f"events-{deployment.chain_id}-{deployment.ledger.lower()}.sqlite")

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    # -- jobs ---------------------------------------------------------------------------------------------------------

    def add_job(
        self,
        submission: str,
        capturer: Address,
        document_uri: str,
        document: str,
        requests: list[dict[str, Any]],
        results: Sequence[EventResult],
    ) -> tuple[CaptureJob, bool]:
        """A new queued job, or the job of the same submission if it was sent before (and False)."""
        with self._tx() as db:
            row = db.execute("SELECT id FROM captures WHERE submission = ?", (submission,)).fetchone()
            if row is not None:
                found = self.job(row["id"])
                assert found is not None
                return found, False
            job_id = uuid.uuid4().hex
            db.execute(
                "INSERT INTO captures (id, submission, capturer, state, created_at, document_uri, document, "
                "requests, results) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    submission,
                    capturer,
                    JobState.QUEUED.value,
                    time.time(),
                    document_uri,
                    document,
                    json.dumps(requests),
                    json.dumps([r.to_json() for r in results]),
                ),
            )
        job = self.job(job_id)
        assert job is not None
        return job, True

    def job_of_submission(self, submission: str) -> CaptureJob | None:
        """The job of a submission (by its digest) sent before, if any."""
        rows = self._rows("SELECT id FROM captures WHERE submission = ?", (submission,))
        return self.job(rows[0]["id"]) if rows else None

    def unfinished_count(self, capturer: Address) -> int:
        """How many of a capturer's jobs are queued or running."""
        rows = self._rows(
            "SELECT COUNT(*) AS n FROM captures WHERE capturer = ? AND state IN (?, ?)",
            (capturer, JobState.QUEUED.value, JobState.RUNNING.value),
        )
        return int(rows[0]["n"])

    def job(self, job_id: str) -> CaptureJob | None:
        rows = self._rows("SELECT * FROM captures WHERE id = ?", (job_id,))
        if not rows:
            return None
        r = rows[0]
        return CaptureJob(
            r["id"],
            Address(r["capturer"]),
            JobState(r["state"]),
            float(r["created_at"]),
            r["document_uri"],
            tuple(EventResult.from_json(x) for x in json.loads(r["results"])),
            r["root"],
            r["commit_tx"],
            r["error"],
        )

    def job_input(self, job_id: str) -> tuple[str, list[dict[str, Any]]]:
        """The document text and signed requests a job was submitted with."""
        row = self._rows("SELECT document, requests FROM captures WHERE id = ?", (job_id,))[0]
        return row["document"], json.loads(row["requests"])

    def set_plan(self, job_id: str, writes: list[dict[str, Any]]) -> None:
        """The writes a job relays (function, events carried, batches created), fixed when the job starts: a job
        resumed after a restart relays what it planned, never a plan made against the chain as it is by then."""
        with self._tx() as db:
            db.execute("UPDATE captures SET plan = ? WHERE id = ?", (json.dumps(writes), job_id))

    def job_plan(self, job_id: str) -> list[dict[str, Any]] | None:
        rows = self._rows("SELECT plan FROM captures WHERE id = ?", (job_id,))
        return json.loads(rows[0]["plan"]) if rows and rows[0]["plan"] else None

    def unfinished_jobs(self) -> list[str]:
        rows = self._rows(
            "SELECT id FROM captures WHERE state IN (?, ?) ORDER BY created_at",
            (JobState.QUEUED.value, JobState.RUNNING.value),
        )
        return [r["id"] for r in rows]

    def update_job(
        self,
        job_id: str,
        *,
        state: JobState | None = None,
        results: Sequence[EventResult] | None = None,
        root: str | None = None,
        commit_tx: str | None = None,
        error: str | None = None,
    ) -> None:
        sets: list[str] = []
        params: list[Any] = []
        for column, value in (
            ("state", state.value if state else None),
            ("results", json.dumps([r.to_json() for r in results]) if results is not None else None),
            ("root", root),
            ("commit_tx", commit_tx),
            ("error", error),
        ):
            if value is not None:
                sets.append(f"{column} = ?")
                params.append(value)
        if sets:
            with self._tx() as db:
                db.execute(f"UPDATE captures SET {', '.join(sets)} WHERE id = ?", (*params, job_id))

    # -- events -------------------------------------------------------------------------------------------------------

    def add_pending(self, capture_id: str, capturer: Address, context: Any, events: Iterable[NewEvent]) -> None:
        """Store the events a job is about to record (pending): a second capture of one of them meanwhile is told
        it is being captured."""
        context_json = json.dumps(context)
        with self._tx() as db:
            for e in events:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO events (event_hash, declaration, capture_id, position, capturer, status, "
                    "event_type, event_time, biz_step, biz_location, event_id, event, context, produced, "
                    "transactions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '[]', '[]')",
                    (
                        e.event_hash,
                        int(e.declaration),
                        capture_id,
                        e.position,
                        capturer,
                        Status.PENDING.value,
                        e.event_type,
                        e.event_time,
                        e.biz_step,
                        e.biz_location,
                        e.event_id,
                        json.dumps(e.event),
                        context_json,
                    ),
                )
                if cursor.rowcount == 0:
                    continue
                seq = cursor.lastrowid
                db.executemany("INSERT INTO event_batches VALUES (?, ?, ?)", [(seq, b, r) for b, r in e.batches])
                db.executemany("INSERT INTO event_classes VALUES (?, ?, ?)", [(seq, g, lot) for g, lot in e.classes])
                db.executemany("INSERT INTO event_epcs VALUES (?, ?)", [(seq, epc) for epc in e.epcs])

    def settle(self, capture_id: str, outcomes: Iterable[tuple[int, Status, Sequence[str], Sequence[str]]]) -> None:
        """Events whose writes landed (recorded / acknowledged, with the batches produced and the transactions), or
        failed (refused: the event is forgotten): (position, status, produced, transactions) each."""
        with self._tx() as db:
            for position, status, produced, transactions in outcomes:
                row = db.execute(
                    "SELECT seq FROM events WHERE capture_id = ? AND position = ?", (capture_id, position)
                ).fetchone()
                if row is None:
                    continue
                if status == Status.REFUSED:
                    for table in ("events", "event_batches", "event_classes", "event_epcs"):
                        db.execute(f"DELETE FROM {table} WHERE seq = ?", (row["seq"],))
                    continue
                db.execute(
                    "UPDATE events SET status = ?, produced = ?, transactions = ? WHERE seq = ?",
                    (status.value, json.dumps(list(produced)), json.dumps(list(transactions)), row["seq"]),
                )

    def commit(self, root: str, proofs: Mapping[str, Sequence[str]]) -> None:
        """Event hashes committed under `root`, each with its proof (their non-declaration rows)."""
        with self._tx() as db:
            db.executemany(
                "UPDATE events SET root = ?, proof = ? WHERE event_hash = ? AND declaration = 0",
                [(root, json.dumps(list(p)), h) for h, p in proofs.items()],
            )

    def captured(self, event_hash: str, declaration: bool) -> CapturedFact | None:
        rows = self._rows(
            "SELECT * FROM events WHERE event_hash = ? AND declaration = ?", (event_hash, int(declaration))
        )
        if not rows:
            return None
        r = rows[0]
        return CapturedFact(
            r["event_hash"],
            bool(r["declaration"]),
            r["capture_id"],
            Address(r["capturer"]),
            Status(r["status"]),
            tuple(BatchId(b) for b in json.loads(r["produced"])),
            r["root"] is not None,
        )

    def event(self, event_hash: str, declaration: bool = False) -> StoredEvent | None:
        rows = self._rows(
            "SELECT * FROM events WHERE event_hash = ? AND declaration = ?", (event_hash, int(declaration))
        )
        return _stored(rows[0]) if rows else None

    def heads_of_batches(self, batch_ids: Sequence[str], roles: Sequence[str]) -> list[EventHead]:
        """Settled events about any of `batch_ids` in `roles`, in capture order, without the events themselves (a
        lineage sorts and pages thousands of events: only a page's are read whole, with `events_by_seq`)."""
        found: dict[int, EventHead] = {}
        ids = list(dict.fromkeys(batch_ids))
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            sql = (
                f"SELECT e.seq, e.event_time, e.transactions FROM events e JOIN event_batches b ON b.seq = e.seq "
                f"WHERE b.batch_id IN ({','.join('?' * len(chunk))}) AND e.status != ? "
                f"AND b.role IN ({','.join('?' * len(roles))})"
            )
            for row in self._rows(sql, [*chunk, Status.PENDING.value, *roles]):
                found[int(row["seq"])] = EventHead(
                    int(row["seq"]), row["event_time"], tuple(json.loads(row["transactions"]))
                )
        return [found[k] for k in sorted(found)]

    def events_by_seq(self, seqs: Sequence[int]) -> list[StoredEvent]:
        """The events with these sequence numbers, in that order (those that exist)."""
        found: dict[int, StoredEvent] = {}
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            for row in self._rows(f"SELECT * FROM events WHERE seq IN ({','.join('?' * len(chunk))})", chunk):
                found[int(row["seq"])] = _stored(row)
        return [found[s] for s in seqs if s in found]

    def batches_of(self, seqs: Sequence[int]) -> dict[int, list[tuple[str, str]]]:
        """The (batch, role) pairs of each event."""
        found: dict[int, list[tuple[str, str]]] = {}
        for start in range(0, len(seqs), 500):
            chunk = list(seqs[start : start + 500])
            for row in self._rows(
                f"SELECT seq, batch_id, role FROM event_batches WHERE seq IN ({','.join('?' * len(chunk))})", chunk
            ):
                found.setdefault(int(row["seq"]), []).append((row["batch_id"], row["role"]))
        return found

    def search(self, where: Sequence[str], params: Sequence[Any], after: int, limit: int) -> list[StoredEvent]:
        """Settled events after sequence `after` matching every SQL condition of `where` (on `e`), in order."""
        sql = "SELECT e.* FROM events e WHERE e.seq > ? AND e.status != ?"
        for clause in where:
            sql += f" AND ({clause})"
        rows = self._rows(sql + " ORDER BY e.seq LIMIT ?", [after, Status.PENDING.value, *params, limit])
        return [_stored(r) for r in rows]


def _stored(r: sqlite3.Row) -> StoredEvent:
    return StoredEvent(
        int(r["seq"]),
        r["event_hash"],
        bool(r["declaration"]),
        r["capture_id"],
        int(r["position"]),
        Address(r["capturer"]),
        Status(r["status"]),
        r["event_type"],
        r["event_time"],
        r["biz_step"],
        r["biz_location"],
        json.loads(r["event"]),
        json.loads(r["context"]),
        tuple(BatchId(b) for b in json.loads(r["produced"])),
        tuple(json.loads(r["transactions"])),
        r["root"],
        tuple(json.loads(r["proof"])) if r["proof"] else (),
    )
