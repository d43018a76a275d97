"""GET /batches/{id}/epcis: a batch's upstream lineage as an EPCIS 2.0 document, for batches recorded through EPCIS
and natively alike.

Every batch of the trace the caller may see contributes the events that made and moved it:
- captured through EPCIS: the events as captured (commissioning or transformation, shipments, receipts, flags),
  with the proofs of their committed hashes;
- recorded natively: events synthesised from the ledger's records: an ObjectEvent ADD commissioning for a raw
  batch, a TransformationEvent (inputs with the quantity consumed) for one with inputs, an ObjectEvent OBSERVE
  shipping per custody transfer. Identifiers are GS1 Digital Link URIs (classes `/01/{gtin}/10/{lot}`, sites
  `/414/{gln}`, parties `/417/{party gln}`); what EPCIS has no field for goes in the ledger's extension namespace
  (`ledger:batch`, `ledger:hsCode`, `ledger:documents`, ...). Each synthesised event's `eventID` is its CBV 2.0 hash.
Events are ordered by time. A lineage larger than the trace bounds is cut where the trace is (`ledger:truncated`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.epcis.document import EPCIS_CONTEXT, document_json
from ledger.epcis.hashing import hash_events
from ledger.epcis.keys import digital_link, location_uri, party_uri
from ledger.epcis.query import now_text, proofs, served
from ledger.epcis.reading import COUNT_UNIT
from ledger.epcis.store import EventStore, StoredEvent
from ledger.epcis.vocabulary import NAMESPACE, PREFIX
from ledger.errors import NotFoundError
from ledger.types import Batch, CustodyTransfer

if TYPE_CHECKING:
    from ledger.client import Ledger

ROLES_MADE = ("produced",)
ROLES_MOVED = ("shipped", "received", "flagged")


def _time(moment: datetime | None) -> str:
    """An EPCIS time (UTC, milliseconds); a recorded time past the calendar shows as its last instant."""
    if moment is None:
        return "9999-12-31T23:59:59.999Z"
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def quantity_element(gtin: str, lot: str, quantity: Decimal, unit: str) -> dict[str, Any]:
    element: dict[str, Any] = {"epcClass": digital_link(gtin, lot), "quantity": _number(quantity)}
    if unit != COUNT_UNIT:
        element["uom"] = unit
    return element


def _ext(name: str) -> str:
    return f"{PREFIX}:{name}"


def made_event(batch: Batch, inputs: dict[str, Batch]) -> dict[str, Any]:
    """The commissioning (raw batch) or transformation (batch with inputs) that recorded `batch`."""
    ilmd: dict[str, Any] = {_ext("hsCode"): batch.hs_code}
    if batch.process_emissions_kg is not None:
        ilmd[_ext("processEmissionsKg")] = _number(batch.process_emissions_kg)
    event: dict[str, Any] = {"type": "ObjectEvent" if batch.is_raw_material else "TransformationEvent",
                             "eventTime": _time(batch.produced_at),
                             "eventTimeZoneOffset": "+00:00"}
    if batch.is_raw_material:
        event.update({"action": "ADD", "bizStep": "commissioning", "disposition": "active",
                      "bizLocation": {"id": location_uri(batch.facility)},
                      "quantityList": [quantity_element(batch.gtin, batch.lot, batch.quantity, batch.unit)]})
    else:
        event["inputQuantityList"] = [
            quantity_element(source.gtin, source.lot, use.quantity, source.unit)
            for use in batch.inputs if (source := inputs.get(use.batch_id)) is not None]
        event.update({"outputQuantityList": [quantity_element(batch.gtin, batch.lot, batch.quantity, batch.unit)],
                      "bizStep": "commissioning", "disposition": "active",
                      "bizLocation": {"id": location_uri(batch.facility)}})
    event["ilmd"] = ilmd
    event[_ext("batch")] = batch.id
    event[_ext("producer")] = batch.producer
    event[_ext("transaction")] = batch.recorded.tx_hash
    if batch.documents:
        event[_ext("documents")] = [{"kind": d.kind.value, "hash": d.hash} for d in batch.documents]
    return event


def moved_event(batch: Batch, transfer: CustodyTransfer, parties: Mapping[str, str | None]) -> dict[str, Any]:
    """The shipment of one custody transfer (the quantity left when custody passed)."""
    event: dict[str, Any] = {
        "type": "ObjectEvent", "eventTime": _time(transfer.tx.block_time), "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE", "bizStep": "shipping", "disposition": "in_transit",
        "quantityList": [quantity_element(batch.gtin, batch.lot, transfer.remaining, batch.unit)]}
    source, destination = parties.get(transfer.from_address), parties.get(transfer.to_address)
    if source:
        event["sourceList"] = [{"type": "possessing_party", "source": party_uri(source)}]
    if destination:
        event["destinationList"] = [{"type": "possessing_party", "destination": party_uri(destination)}]
    event[_ext("batch")] = batch.id
    event[_ext("from")] = transfer.from_address
    event[_ext("to")] = transfer.to_address
    event[_ext("transaction")] = transfer.tx.tx_hash
    return event


def lineage_document(ledger: Ledger, store: EventStore, batch_id: str, may_see: Callable[[str], bool]
                     ) -> dict[str, Any]:
    """The batch's lineage as an EPCISDocument (see the module's docstring); NotFoundError for a batch the caller
    may not see."""
    trace = ledger.trace(batch_id)
    if not may_see(trace.root):
        raise NotFoundError(f"no batch {batch_id}")
    batches = {n.batch.id: n.batch for n in trace.nodes if may_see(n.batch.id)}
    ids = list(batches)
    stored = store.events_of_batches(ids, ROLES_MADE + ROLES_MOVED)  # not the consumption of a lineage batch by
    # a batch outside the lineage: a sibling branch is not this batch's history
    roles = store.batches_of([s.seq for s in stored])
    captured_made = {b for s in stored for b, role in roles.get(s.seq, []) if role in ROLES_MADE}
    captured_moves = {(b, tx) for s in stored for b, role in roles.get(s.seq, []) if role == "shipped"
                      for tx in s.transactions}
    inputs = ledger.store.batches([u.batch_id for b in batches.values() for u in b.inputs])
    parties: dict[str, str | None] = {p.address: p.profile.party_gln for p in ledger.participants()}
    synthesised: list[dict[str, Any]] = []
    for batch in batches.values():
        if batch.id not in captured_made:
            synthesised.append(made_event(batch, inputs))
        for transfer in batch.custody:
            if (batch.id, transfer.tx.tx_hash) not in captured_moves:
                synthesised.append(moved_event(batch, transfer, parties))
    for event, hashed in zip(synthesised, hash_events(synthesised, [EPCIS_CONTEXT, {PREFIX: NAMESPACE}]),
                             strict=True):
        if hashed.value is not None:
            event["eventID"] = hashed.value
    ordered = _by_time(stored, synthesised)
    context, served_events = served([s for s, _ in ordered if s is not None])
    replay = iter(served_events)
    events = [next(replay) if s is not None else e for s, e in ordered]
    extra: dict[str, Any] = {_ext("root"): trace.root, **proofs(stored, ledger)}
    if trace.truncated:
        extra[_ext("truncated")] = {"by": trace.truncated_by.value if trace.truncated_by else None,
                                    "continueFrom": list(trace.continue_from)}
    return document_json([e for e in events if e is not None], context, created=now_text(), extra=extra)


def _by_time(stored: list[StoredEvent], synthesised: list[dict[str, Any]]
             ) -> list[tuple[StoredEvent | None, dict[str, Any] | None]]:
    def seconds(text: Any) -> float:
        try:
            return datetime.fromisoformat(str(text)).timestamp()
        except ValueError:
            return 0.0

    items: list[tuple[float, int, StoredEvent | None, dict[str, Any] | None]] = []
    for n, s in enumerate(stored):
        items.append((s.event_time if s.event_time is not None else 0.0, n, s, None))
    for n, e in enumerate(synthesised):
        items.append((seconds(e["eventTime"]), len(stored) + n, None, e))
    items.sort(key=lambda item: (item[0], item[1]))
    return [(s, e) for _, _, s, e in items]
