"""The typed objects of EPCIS capture that cross modules (and, as JSON, the wire): facts about the chain, what the
mapping makes of each event, the planned writes, and a capture job's results.

They live here rather than in `ledger.domain.types` because nothing outside `ledger.epcis` (the index in particular)
reads them: the read model never imports this package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledger.domain.types import Address, BatchId, FlagKind, Gln, NewBatch


class Status(StrEnum):
    """What became of one event of a capture."""

    RECORDED = "recorded"  # its writes are on chain (or planned: a plan says `accepted` through this value)
    ACKNOWLEDGED = "acknowledged"  # nothing to write (a receipt of custody already held): stored and committed
    DUPLICATE = "duplicate"  # captured before (same CBV 2.0 hash): answered with the first result
    REFUSED = "refused"  # not mapped, or a write of it failed: nothing of it is recorded
    PENDING = "pending"  # the job has not reached its writes yet


# -- facts about the chain (what the mapping asks) -------------------------------------------------------------


@dataclass(frozen=True)
class CapturerFact:
    address: Address
    registered: bool
    active: bool
    factory: bool
    party_gln: Gln | None
    sites: tuple[Gln, ...]


@dataclass(frozen=True)
class PartyFact:
    gln: Gln
    address: Address
    active: bool


@dataclass(frozen=True)
class BatchFact:
    id: BatchId
    gtin: str
    lot: str
    producer: Address
    holder: Address
    unit: str
    quantity: Decimal
    remaining: Decimal


@dataclass(frozen=True)
class CapturedFact:
    """An event captured before (by its CBV 2.0 hash and whether it was an error declaration)."""

    event_hash: str
    declaration: bool
    capture_id: str
    capturer: Address
    status: Status
    produced: tuple[BatchId, ...]
    committed: bool


# -- what the mapping makes of an event -------------------------------------------------------------------------


@dataclass(frozen=True)
class Transfer:
    batch_id: BatchId
    to: Address


@dataclass(frozen=True)
class FlagRaise:
    batch_id: BatchId
    kind: FlagKind
    reason: str


@dataclass(frozen=True)
class EventEffect:
    """What one event does to the ledger: batches it records (with their inputs), custody it hands over, flags it
    raises; `touched` are the batches it is about (who may see it follows from them)."""

    records: tuple[NewBatch, ...] = ()
    transfers: tuple[Transfer, ...] = ()
    flags: tuple[FlagRaise, ...] = ()
    produced: tuple[BatchId, ...] = ()
    touched: tuple[BatchId, ...] = ()
    observed: tuple[BatchId, ...] = ()  # of `touched`, those an event that writes nothing observes (not a receipt)
    note: str | None = None

    @property
    def writes_nothing(self) -> bool:
        return not (self.records or self.transfers or self.flags)


@dataclass(frozen=True)
class PlannedEvent:
    """One event as planned: `status` is RECORDED (it has writes), ACKNOWLEDGED, DUPLICATE or REFUSED."""

    position: int
    event_hash: str | None
    declaration: bool
    status: Status
    reason: str | None = None
    effect: EventEffect | None = None
    first: CapturedFact | None = None  # for a duplicate of an earlier capture
    duplicate_of: int | None = None  # for a duplicate of an earlier event of the same document


@dataclass(frozen=True)
class PlannedWrite:
    """One request the capturer signs: the ledger function, its calldata and the events it carries."""

    function: str
    calldata: str
    events: tuple[int, ...]
    created: tuple[BatchId, ...] = ()


@dataclass(frozen=True)
class CapturePlan:
    capturer: Address
    events: tuple[PlannedEvent, ...]
    writes: tuple[PlannedWrite, ...]  # in order; the last is commitEvents when `root` is set
    leaves: tuple[str, ...]  # event hashes under `root`, in leaf order
    root: str | None
    document_uri: str


# -- capture jobs ---------------------------------------------------------------------------------------------------


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # every event has its result
    FAILED = "failed"  # refused as a whole before any write (the signed requests do not match the document)


@dataclass(frozen=True)
class EventResult:
    position: int
    event_hash: str | None
    event_id: str | None
    event_type: str | None
    status: Status
    reason: str | None = None
    produced: tuple[BatchId, ...] = ()
    transactions: tuple[str, ...] = ()
    root: str | None = None
    proof: tuple[str, ...] = ()
    first_capture: str | None = None  # a duplicate's earlier capture

    def to_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "event_hash": self.event_hash,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "status": self.status.value,
            "reason": self.reason,
            "produced": list(self.produced),
            "transactions": list(self.transactions),
            "root": self.root,
            "proof": list(self.proof),
            "first_capture": self.first_capture,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EventResult:
        return cls(
            int(data["position"]),
            data.get("event_hash"),
            data.get("event_id"),
            data.get("event_type"),
            Status(data["status"]),
            data.get("reason"),
            tuple(BatchId(b) for b in data.get("produced", ())),
            tuple(data.get("transactions", ())),
            data.get("root"),
            tuple(data.get("proof", ())),
            data.get("first_capture"),
        )


@dataclass(frozen=True)
class CaptureJob:
    """A capture: its state, per-event results, and the commitment of its events' hashes."""

    id: str
    capturer: Address
    state: JobState
    created_at: float
    document_uri: str
    results: tuple[EventResult, ...] = field(default=())
    root: str | None = None
    commit_tx: str | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    def counts(self) -> dict[str, int]:
        found: dict[str, int] = {}
        for result in self.results:
            found[result.status.value] = found.get(result.status.value, 0) + 1
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "capturer": self.capturer,
            "state": self.state.value,
            "created_at": self.created_at,
            "document_uri": self.document_uri,
            "root": self.root,
            "commit_tx": self.commit_tx,
            "error": self.error,
            "counts": self.counts(),
            "events": [r.to_json() for r in self.results],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CaptureJob:
        return cls(
            data["id"],
            Address(data["capturer"]),
            JobState(data["state"]),
            float(data["created_at"]),
            data["document_uri"],
            tuple(EventResult.from_json(r) for r in data.get("events", ())),
            data.get("root"),
            data.get("commit_tx"),
            data.get("error"),
        )
