"""What the mapping asks about the chain, and who answers.

The mapping of a document to writes depends on the chain: the capturer's sites and party GLN, the parties named as
destinations, the batches named as inputs or shipped, the events captured before. The client that signs and the
service that relays must map a document to the same calldata, so they must map it from the same answers:

- the service maps through an `IndexView` (its index and event store) wrapped in a `Recorder`, which keeps every
  question and answer: those are the document's `CaptureFacts`;
- the client gets the facts from the service (`POST /capture/facts`) and maps through a `Replay` of them. The same
  code asking the same questions of the same answers gives the same writes; the service, when the signed capture
  arrives, gathers the facts afresh, maps again and relays only if the signed calldata is what it maps now.

The client trusts the facts no more than any answer of the service: the contract still enforces every rule (holder,
site, mass balance), and what the client signs is its own mapping of its own document.
"""

from __future__ import annotations

import time
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from ledger.domain.errors import ValidationError
from ledger.domain.types import Address, BatchId, Gln, Role
from ledger.epcis.model import BatchFact, CapturedFact, CapturerFact, PartyFact, Status

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.epcis.store import EventStore
    from ledger.index.reader import IndexReader

FACTS_FORMAT = "provenance-ledger/capture-facts@1"
#: Who captured an event, as told to a participant that did not (the mapping only needs "not you").
ANOTHER_CAPTURER = Address("0x" + "0" * 40)


class ChainView(Protocol):
    def now(self) -> float: ...

    def capturer(self, address: Address) -> CapturerFact: ...

    def party(self, gln: Gln) -> PartyFact | None: ...

    def held(self, gtin: str, lot: str, holder: Address) -> tuple[BatchFact, ...]: ...

    def batch(self, batch_id: BatchId) -> BatchFact | None: ...

    def captured(self, event_hash: str, declaration: bool) -> CapturedFact | None: ...


class IndexView:
    """The service's answers to one capturer: from the ledger's index (synced once, when the view is made) and its
    event store, limited to what that capturer may see. The facts travel to whoever asks for them (`POST
    /capture/facts`), so a batch the capturer may not see is answered as unknown, and an event another participant
    captured only as "captured by another participant" (not by whom, nor what it produced)."""

    def __init__(self, ledger: Ledger, store: EventStore, capturer: Address) -> None:
        from ledger.access import Access, Viewer

        self.ledger = ledger
        self.store = store
        self.index: IndexReader = ledger.store
        self._now = max(time.time(), ledger.chain_time())
        ledger.sync()
        found = self.index.participant(capturer)
        roles = frozenset(found.roles) if found is not None and not found.suspended else frozenset()
        self._viewer = Viewer(capturer, roles)
        self._access = Access(ledger)

    def _visible(self, batch_id: str) -> bool:
        return self._access.may_see_batch(self._viewer, batch_id)

    def now(self) -> float:
        return self._now

    def capturer(self, address: Address) -> CapturerFact:
        found = self.index.participant(address)
        if found is None:
            return CapturerFact(address, False, False, False, None, ())
        return CapturerFact(
            address,
            True,
            not found.suspended,
            Role.FACTORY in found.roles,
            found.profile.party_gln,
            tuple(s.gln for s in found.profile.sites),
        )

    def party(self, gln: Gln) -> PartyFact | None:
        owner = self.index.party_owner(gln)
        if owner is None:
            return None
        participant = self.index.participant(owner)
        return PartyFact(gln, Address(owner), participant is not None and not participant.suspended)

    def held(self, gtin: str, lot: str, holder: Address) -> tuple[BatchFact, ...]:
        ids = [i for i, *_ in self.index.find_batch_ids(gtin=gtin, lot=lot, limit=1_000)]
        found = self.index.batches(ids)
        return tuple(
            _fact(b) for i in sorted(ids) if (b := found.get(i)) is not None and b.holder == holder and self._visible(i)
        )

    def batch(self, batch_id: BatchId) -> BatchFact | None:
        found = self.index.batch(batch_id)
        return _fact(found) if found is not None and self._visible(batch_id) else None

    def captured(self, event_hash: str, declaration: bool) -> CapturedFact | None:
        found = self.store.captured(event_hash, declaration)
        if found is None or found.capturer == self._viewer.address:
            return found
        return CapturedFact(event_hash, declaration, "", ANOTHER_CAPTURER, found.status, (), False)


def _fact(batch: Any) -> BatchFact:
    return BatchFact(
        batch.id, batch.gtin, batch.lot, batch.producer, batch.holder, batch.unit, batch.quantity, batch.remaining
    )


class CaptureFacts:
    """The answers one mapping of one document needed, as JSON-able maps (question -> answer)."""

    def __init__(self, now: float, nonce: int | None = None) -> None:
        self.now = now
        self.nonce = nonce
        self.capturers: dict[str, CapturerFact] = {}
        self.parties: dict[str, PartyFact | None] = {}
        self.held: dict[str, tuple[BatchFact, ...]] = {}
        self.batches: dict[str, BatchFact | None] = {}
        self.captured: dict[str, CapturedFact | None] = {}

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FACTS_FORMAT,
            "now": self.now,
            "nonce": self.nonce,
            "capturers": {k: _capturer_json(v) for k, v in self.capturers.items()},
            "parties": {
                k: (None if v is None else {"gln": v.gln, "address": v.address, "active": v.active})
                for k, v in self.parties.items()
            },
            "held": {k: [_batch_json(b) for b in v] for k, v in self.held.items()},
            "batches": {k: (None if v is None else _batch_json(v)) for k, v in self.batches.items()},
            "captured": {k: (None if v is None else _captured_json(v)) for k, v in self.captured.items()},
        }

    @classmethod
    def from_json(cls, data: Any) -> CaptureFacts:
        try:
            if data.get("format") != FACTS_FORMAT:
                raise ValidationError(f"capture facts must be of format {FACTS_FORMAT}", field="facts")
            facts = cls(float(data["now"]), None if data.get("nonce") is None else int(data["nonce"]))
            facts.capturers = {
                k: CapturerFact(
                    Address(v["address"]),
                    bool(v["registered"]),
                    bool(v["active"]),
                    bool(v["factory"]),
                    Gln(v["party_gln"]) if v["party_gln"] else None,
                    tuple(Gln(s) for s in v["sites"]),
                )
                for k, v in data["capturers"].items()
            }
            facts.parties = {
                k: (None if v is None else PartyFact(Gln(v["gln"]), Address(v["address"]), bool(v["active"])))
                for k, v in data["parties"].items()
            }
            facts.held = {k: tuple(_batch_of(b) for b in v) for k, v in data["held"].items()}
            facts.batches = {k: (None if v is None else _batch_of(v)) for k, v in data["batches"].items()}
            facts.captured = {k: (None if v is None else _captured_of(v)) for k, v in data["captured"].items()}
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, ValidationError):
                raise
            raise ValidationError(f"capture facts are malformed: {exc!r}"[:300], field="facts") from None
        return facts


def _capturer_json(v: CapturerFact) -> dict[str, Any]:
    return {
        "address": v.address,
        "registered": v.registered,
        "active": v.active,
        "factory": v.factory,
        "party_gln": v.party_gln,
        "sites": list(v.sites),
    }


def _batch_json(b: BatchFact) -> dict[str, Any]:
    return {
        "id": b.id,
        "gtin": b.gtin,
        "lot": b.lot,
        "producer": b.producer,
        "holder": b.holder,
        "unit": b.unit,
        "quantity": str(b.quantity),
        "remaining": str(b.remaining),
    }


def _batch_of(v: dict[str, Any]) -> BatchFact:
    return BatchFact(
        BatchId(v["id"]),
        v["gtin"],
        v["lot"],
        Address(v["producer"]),
        Address(v["holder"]),
        v["unit"],
        Decimal(v["quantity"]),
        Decimal(v["remaining"]),
    )


def _captured_json(v: CapturedFact) -> dict[str, Any]:
    return {
        "event_hash": v.event_hash,
        "declaration": v.declaration,
        "capture_id": v.capture_id,
        "capturer": v.capturer,
        "status": v.status.value,
        "produced": list(v.produced),
        "committed": v.committed,
    }


def _captured_of(v: dict[str, Any]) -> CapturedFact:
    return CapturedFact(
        v["event_hash"],
        bool(v["declaration"]),
        v["capture_id"],
        Address(v["capturer"]),
        Status(v["status"]),
        tuple(BatchId(b) for b in v["produced"]),
        bool(v["committed"]),
    )


def _held_key(gtin: str, lot: str, holder: str) -> str:
    return f"{gtin}|{holder}|{lot}"


def _captured_key(event_hash: str, declaration: bool) -> str:
    return f"{event_hash}|{'declaration' if declaration else 'event'}"


class Recorder:
    """A view that answers from `inner` and keeps every question and answer in `facts`."""

    def __init__(self, inner: ChainView, nonce: int | None = None) -> None:
        self.inner = inner
        self.facts = CaptureFacts(inner.now(), nonce)

    def now(self) -> float:
        return self.facts.now

    def capturer(self, address: Address) -> CapturerFact:
        found = self.facts.capturers.get(address)
        if found is None:
            found = self.facts.capturers[address] = self.inner.capturer(address)
        return found

    def party(self, gln: Gln) -> PartyFact | None:
        if gln not in self.facts.parties:
            self.facts.parties[gln] = self.inner.party(gln)
        return self.facts.parties[gln]

    def held(self, gtin: str, lot: str, holder: Address) -> tuple[BatchFact, ...]:
        key = _held_key(gtin, lot, holder)
        if key not in self.facts.held:
            self.facts.held[key] = self.inner.held(gtin, lot, holder)
        return self.facts.held[key]

    def batch(self, batch_id: BatchId) -> BatchFact | None:
        if batch_id not in self.facts.batches:
            self.facts.batches[batch_id] = self.inner.batch(batch_id)
        return self.facts.batches[batch_id]

    def captured(self, event_hash: str, declaration: bool) -> CapturedFact | None:
        key = _captured_key(event_hash, declaration)
        if key not in self.facts.captured:
            self.facts.captured[key] = self.inner.captured(event_hash, declaration)
        return self.facts.captured[key]


class Replay:
    """A view that answers only from `facts`: a question they do not answer means the facts are not those of this
    document (or of this capturer)."""

    def __init__(self, facts: CaptureFacts) -> None:
        self.facts = facts

    def _missing(self, what: str) -> ValidationError:
        return ValidationError(
            f"the capture facts do not answer {what}: gather them for this document and capturer again", field="facts"
        )

    def now(self) -> float:
        return self.facts.now

    def capturer(self, address: Address) -> CapturerFact:
        if address not in self.facts.capturers:
            raise self._missing(f"who the capturer {address} is")
        return self.facts.capturers[address]

    def party(self, gln: Gln) -> PartyFact | None:
        if gln not in self.facts.parties:
            raise self._missing(f"which participant has party GLN {gln}")
        return self.facts.parties[gln]

    def held(self, gtin: str, lot: str, holder: Address) -> tuple[BatchFact, ...]:
        key = _held_key(gtin, lot, holder)
        if key not in self.facts.held:
            raise self._missing(f"which batches of GTIN {gtin} lot {lot} {holder} holds")
        return self.facts.held[key]

    def batch(self, batch_id: BatchId) -> BatchFact | None:
        if batch_id not in self.facts.batches:
            raise self._missing(f"whether batch {batch_id} is recorded")
        return self.facts.batches[batch_id]

    def captured(self, event_hash: str, declaration: bool) -> CapturedFact | None:
        key = _captured_key(event_hash, declaration)
        if key not in self.facts.captured:
            raise self._missing(f"whether event {event_hash} was captured")
        return self.facts.captured[key]
