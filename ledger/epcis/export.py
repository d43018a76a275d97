"""GET /batches/{id}/epcis: a batch's upstream lineage as an EPCIS 2.0 document, for batches recorded through EPCIS
and natively alike.

Every batch of the trace the caller may see contributes the events that made and moved it:
- captured through EPCIS: the events as captured (commissioning or transformation, shipments, receipts, flags,
  observations), with the proofs of their committed hashes;
- recorded natively: events synthesised from the ledger's records: an ObjectEvent ADD commissioning for a raw
  batch, a TransformationEvent (inputs with the quantity consumed) for one with inputs, an ObjectEvent OBSERVE
  shipping per custody transfer, an ObjectEvent OBSERVE inspecting per flag raised without EPCIS (disposition
  non_conformant for a quality hold, recalled for a recall, conformant for a release; the reason in
  `ledger:reason`). Identifiers are GS1 Digital Link URIs (classes `/01/{gtin}/10/{lot}`, sites `/414/{gln}`,
  parties `/417/{party gln}`); what EPCIS has no field for goes in the ledger's extension namespace
  (`ledger:batch`, `ledger:hsCode`, `ledger:documents`, ...). Each synthesised event's `eventID` is its CBV 2.0 hash.
Events are ordered by time and served a page at a time (`perPage`, `nextPageToken`). A lineage larger than the
trace bounds (`API_MAX_TRACE_NODES`, `API_MAX_TRACE_DEPTH`) is cut where the trace is: `ledger:truncated` names the
bound and the batches to continue from (export each of them), as the trace's `truncated_by` and `continue_from` do.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import Batch, CustodyTransfer, Flag, FlagKind, Trace
from ledger.epcis.document import EPCIS_CONTEXT, document_json
from ledger.epcis.hashing import hash_events
from ledger.epcis.keys import digital_link, location_uri, party_uri
from ledger.epcis.query import MAX_PER_PAGE, now_text, proofs, served
from ledger.epcis.reading import COUNT_UNIT
from ledger.epcis.store import EventStore, StoredEvent
from ledger.epcis.vocabulary import NAMESPACE, PREFIX
from ledger.trace import MAX_NODES

if TYPE_CHECKING:
    from ledger.client import Ledger

ROLES_MADE = ("produced",)
ROLES_MOVED = ("shipped", "received", "flagged", "observed")
#: Events per page of a lineage export unless the caller asks for another number (up to MAX_PER_PAGE).
DEFAULT_PER_PAGE = 100
#: The disposition that stands for each flag (the one a capture maps to that flag).
DISPOSITIONS = {FlagKind.QUALITY_HOLD: "non_conformant", FlagKind.RECALL: "recalled", FlagKind.RELEASE: "conformant"}

#: Where the export carries each field of `Batch` (the events of `made_event`, `moved_event` and `flag_event`), or
#: why it does not: one line per field, so a field added to `Batch` without a place here fails
#: `tests/api/test_batch_fields.py` (see docs/architecture.md).
BATCH_IN_EPCIS: dict[str, str] = {
    "id": "made event: ledger:batch (and ledger:batch of every event about the batch)",
    "producer": "made event: ledger:producer",
    "gtin": "made event: epcClass of quantityList / outputQuantityList (GS1 Digital Link /01/{gtin}/10/{lot})",
    "lot": "made event: epcClass of quantityList / outputQuantityList (GS1 Digital Link /01/{gtin}/10/{lot})",
    "hs_code": "made event: ilmd ledger:hsCode",
    "quantity": "made event: quantity of quantityList / outputQuantityList",
    "unit": "made event: uom of quantityList / outputQuantityList (absent for a count, H87)",
    "facility": "made event: bizLocation id (/414/{gln})",
    "produced_at": "made event: eventTime",
    "produced_at_unix": "made event: eventTime (a time past the calendar as its last instant)",
    "inputs": "made event: inputQuantityList (epcClass of each input, quantity consumed)",
    "documents": "made event: ledger:documents (kind, hash)",
    "process_emissions_kg": "made event: ilmd ledger:processEmissionsKg (absent if not reported)",
    "recorded": "made event: ledger:transaction",
    "custody": "one shipping event per transfer: ledger:from, ledger:to, ledger:transaction",
    "holder": "the last shipping event's ledger:to (the producer if none)",
    "flags": "one inspecting event per flag: ledger:flag, ledger:reason, ledger:transaction",
    "remaining": "not exported: the quantity less what the transformations consuming the batch list as inputs",
    "index_problems": "not exported: what this service's index could not read is no fact of the batch",
}


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
    event: dict[str, Any] = {
        "type": "ObjectEvent" if batch.is_raw_material else "TransformationEvent",
        "eventTime": _time(batch.produced_at),
        "eventTimeZoneOffset": "+00:00",
    }
    if batch.is_raw_material:
        event.update(
            {
                "action": "ADD",
                "bizStep": "commissioning",
                "disposition": "active",
                "bizLocation": {"id": location_uri(batch.facility)},
                "quantityList": [quantity_element(batch.gtin, batch.lot, batch.quantity, batch.unit)],
            }
        )
    else:
        event["inputQuantityList"] = [
            quantity_element(source.gtin, source.lot, use.quantity, source.unit)
            for use in batch.inputs
            if (source := inputs.get(use.batch_id)) is not None
        ]
        event.update(
            {
                "outputQuantityList": [quantity_element(batch.gtin, batch.lot, batch.quantity, batch.unit)],
                "bizStep": "commissioning",
                "disposition": "active",
                "bizLocation": {"id": location_uri(batch.facility)},
            }
        )
    event["ilmd"] = ilmd
    event[_ext("batch")] = batch.id
    event[_ext("producer")] = batch.producer
    event[_ext("transaction")] = batch.recorded.tx_hash
    if batch.documents:
        event[_ext("documents")] = [{"kind": d.kind.value, "hash": d.hash} for d in batch.documents]
    return event


def flag_event(batch: Batch, flag: Flag) -> dict[str, Any]:
    """A flag raised on chain (quality hold, recall, release) as the inspection that would capture it: an ObjectEvent
    OBSERVE with the disposition a capture maps to that flag and the reason in `ledger:reason`."""
    return {
        "type": "ObjectEvent",
        "eventTime": _time(flag.tx.block_time),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": DISPOSITIONS[flag.kind],
        "quantityList": [quantity_element(batch.gtin, batch.lot, batch.quantity, batch.unit)],
        _ext("batch"): batch.id,
        _ext("flag"): flag.kind.value,
        _ext("reason"): flag.reason,
        _ext("transaction"): flag.tx.tx_hash,
    }


def moved_event(batch: Batch, transfer: CustodyTransfer, parties: Mapping[str, str | None]) -> dict[str, Any]:
    """The shipment of one custody transfer (the quantity left when custody passed)."""
    event: dict[str, Any] = {
        "type": "ObjectEvent",
        "eventTime": _time(transfer.tx.block_time),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "quantityList": [quantity_element(batch.gtin, batch.lot, transfer.remaining, batch.unit)],
    }
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


@dataclass(frozen=True)
class LineagePage:
    """One page of a lineage export: the EPCISDocument, and the token of the next page when more events follow
    (given in a `Link: <...?nextPageToken=...>; rel="next"` header, as the EPCIS REST binding pages queries)."""

    document: dict[str, Any]
    next_page_token: str | None


@dataclass(frozen=True)
class _Item:
    """An event of the lineage before it is built: where it sorts (time, kind, a key unique within the lineage) and
    what it is (a stored event, or what to synthesise it from)."""

    time: float
    rank: int  # 0 captured, 1 made, 2 moved, 3 flagged: the order of synthesised events at one instant
    key: str
    seq: int | None = None  # a captured event's, read whole only if it is on the page
    stored: StoredEvent | None = None
    batch: Batch | None = None
    transfer: CustodyTransfer | None = None
    flag: Flag | None = None

    @property
    def position(self) -> tuple[float, int, str]:
        return (self.time, self.rank, self.key)


def lineage_page(
    ledger: Ledger,
    store: EventStore,
    batch_id: str,
    may_see: Callable[[str], bool],
    *,
    max_depth: int = 64,
    max_nodes: int = MAX_NODES,
    per_page: int = DEFAULT_PER_PAGE,
    page_token: str | None = None,
) -> LineagePage:
    """One page of the batch's lineage as an EPCISDocument (see the module's docstring); NotFoundError for a batch
    the caller may not see. The trace is bounded like `GET /batches/{id}/trace` (`max_depth`, `max_nodes`: a cut
    lineage says so in `ledger:truncated`, with the batches to continue from); the events are ordered by time and
    paged, `per_page` at a time: only a page's events are built, hashed and served."""
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ValidationError(f"perPage must be 1 to {MAX_PER_PAGE}", field="perPage")
    after = _after(page_token)
    trace = ledger.trace(batch_id, max_depth, max_nodes)
    if not may_see(trace.root):
        raise NotFoundError(f"no batch {batch_id}")
    # who may see a batch may see every batch upstream of it (ledger.access: a holder downstream sees it), so the
    # trace's batches need no check of their own: asking for each of thousands would cost more than the export
    batches = {n.batch.id: n.batch for n in trace.nodes}
    heads = store.heads_of_batches(list(batches), ROLES_MADE + ROLES_MOVED)  # not the consumption of a lineage
    # batch by a batch outside the lineage: a sibling branch is not this batch's history
    roles = store.batches_of([h.seq for h in heads])
    captured = {(b, role, tx) for h in heads for b, role in roles.get(h.seq, []) for tx in h.transactions}
    made = {b for h in heads for b, role in roles.get(h.seq, []) if role in ROLES_MADE}
    items = [_Item(h.event_time if h.event_time is not None else 0.0, 0, f"{h.seq:020d}", seq=h.seq) for h in heads]
    for batch in batches.values():
        if batch.id not in made:
            items.append(_Item(_seconds(batch.produced_at), 1, batch.id, batch=batch))
        for transfer in batch.custody:
            if (batch.id, "shipped", transfer.tx.tx_hash) not in captured:
                items.append(
                    _Item(
                        _seconds(transfer.tx.block_time),
                        2,
                        f"{batch.id}:{transfer.tx.tx_hash}",
                        batch=batch,
                        transfer=transfer,
                    )
                )
        for n, flag in enumerate(batch.flags):
            if (batch.id, "flagged", flag.tx.tx_hash) not in captured:
                items.append(
                    _Item(_seconds(flag.tx.block_time), 3, f"{batch.id}:{flag.tx.tx_hash}:{n}", batch=batch, flag=flag)
                )
    items.sort(key=lambda item: item.position)
    following = [item for item in items if after is None or item.position > after]
    page, more = following[:per_page], len(following) > per_page
    events = {s.seq: s for s in store.events_by_seq([i.seq for i in page if i.seq is not None])}
    page = [replace(i, stored=events.get(i.seq)) if i.seq is not None else i for i in page]
    document = _document(ledger, [i for i in page if i.seq is None or i.stored is not None], trace)
    return LineagePage(document, _token(page[-1].position) if more else None)


def _document(ledger: Ledger, page: list[_Item], trace: Trace) -> dict[str, Any]:
    inputs = ledger.store.batches(
        [
            u.batch_id
            for item in page
            if item.batch is not None and item.transfer is None and item.flag is None
            for u in item.batch.inputs
        ]
    )
    parties: dict[str, str | None] = {}
    if any(item.transfer is not None for item in page):
        parties = {p.address: p.profile.party_gln for p in ledger.participants()}
    synthesised: list[dict[str, Any]] = []
    for item in page:
        if item.batch is None:
            continue
        if item.transfer is not None:
            synthesised.append(moved_event(item.batch, item.transfer, parties))
        elif item.flag is not None:
            synthesised.append(flag_event(item.batch, item.flag))
        else:
            synthesised.append(made_event(item.batch, inputs))
    for event, hashed in zip(synthesised, hash_events(synthesised, [EPCIS_CONTEXT, {PREFIX: NAMESPACE}]), strict=True):
        if hashed.value is not None:
            event["eventID"] = hashed.value
    stored = [item.stored for item in page if item.stored is not None]
    context, served_events = served(stored)
    replay, made = iter(served_events), iter(synthesised)
    events = [next(replay) if item.stored is not None else next(made) for item in page]
    extra: dict[str, Any] = {_ext("root"): trace.root, **proofs(stored, ledger)}
    if trace.truncated:
        extra[_ext("truncated")] = {
            "by": trace.truncated_by.value if trace.truncated_by else None,
            "continueFrom": list(trace.continue_from),
        }
    return document_json(events, context, created=now_text(), extra=extra)


def _seconds(moment: datetime | None) -> float:
    """Where an event sorts: a recorded time past the calendar sorts last, as `_time` shows it."""
    return moment.timestamp() if moment is not None else 253402300800.0


def _token(position: tuple[float, int, str]) -> str:
    return base64.urlsafe_b64encode(json.dumps(["lineage", *position]).encode()).decode().rstrip("=")


def _after(token: str | None) -> tuple[float, int, str] | None:
    if token is None:
        return None
    try:
        found = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        kind, moment, rank, key = found
        if kind == "lineage" and isinstance(moment, float | int) and isinstance(rank, int) and isinstance(key, str):
            return (float(moment), rank, key)
    except (ValueError, TypeError):
        pass
    raise ValidationError("nextPageToken is not one this service gave for a lineage", field="nextPageToken")
