"""One EPCIS event -> its effect on the ledger, or a refusal with the reason. Every rule of the mapping is here
(docs/epcis.md, "Mapping: EPCIS -> ledger"); an event is refused whole or mapped whole, never half.

- ObjectEvent ADD, bizStep commissioning or creating_class_instance, with a `quantityList` of lot-level classes
  (LGTIN URN or Digital Link with /10/) -> one batch per class, at the capturer's site named by bizLocation.
- TransformationEvent (`inputQuantityList` -> `outputQuantityList`) -> the output batches, each consuming its share of
  every input (`allocation`), all in one `recordBatches` call: the contract enforces mass balance on each input.
- ObjectEvent or TransactionEvent with bizStep shipping (and a destination party) -> custody of each batch named to
  the participant with that party GLN; bizStep receiving -> a receipt: the capturer must already hold the batches.
- ObjectEvent with disposition non_conformant or recalled -> a quality hold or recall flag (the producer only).
- An event with an `errorDeclaration` -> a quality hold on the batches the declared event produced, with the
  declared reason and the corrective events.
- A quantity without `uom` is a count (H87, pieces); units are never converted: an input or shipment in another unit
  than its batch is refused naming both.
- Any other valid event (an observation, an inspection, a sensor reading, an aggregation or association) changes
  nothing on chain: it is acknowledged, stored and its hash committed like the others, about the batches it names
  (each must be one the capturer produced or holds; an event naming none is refused).
Anything the rules forbid (instance-level EPCs where a batch is made or moved, an unknown party or site, a declared
hash id that is not the event's hash) is refused with the reason.

Over 400 lines on purpose: every rule of the EPCIS -> ledger mapping is here, so an event is judged by one reading
of one file (refused whole or mapped whole).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.chain.codec import batch_id_of
from ledger.domain import rules
from ledger.domain.errors import ValidationError
from ledger.domain.types import Address, BatchId, Document, FlagKind, Gln, InputUse, NewBatch
from ledger.epcis import evidence
from ledger.epcis.allocation import AllocationError, shares
from ledger.epcis.describe import QUANTITY_LISTS
from ledger.epcis.hashing import Hashed, declared_id_problem
from ledger.epcis.keys import ClassKey, class_key, location_gln
from ledger.epcis.model import BatchFact, CapturedFact, EventEffect, FlagRaise, PlannedEvent, Status, Transfer
from ledger.epcis.overlay import Overlay, apply
from ledger.epcis.reading import Amount, Refusal, event_time, party_of, quantities
from ledger.epcis.vocabulary import cbv
from ledger.writes.batches import validate_batch

COMMISSIONING = frozenset({"commissioning", "creating_class_instance"})
#: Most batches one event may create (they go into one `recordBatches` call).
MAX_BATCHES_PER_EVENT = 100
#: Calldata of one `recordBatches` write: a request is signed for 300k + 80 gas per byte
#: (`ledger.chain.signing.gas_for`), which stays under the relayer's default cap of 12M gas per request.
MAX_WRITE_BYTES = 90_000


def record_bytes(record: NewBatch) -> int:
    """ABI-encoded bytes of one record in a `recordBatches` call (its words, two array heads, the arrays)."""
    return 32 * (16 + 2 * len(record.inputs) + 2 * len(record.documents))


def _site(event: dict[str, Any], ctx: Overlay) -> Gln:
    location = (event.get("bizLocation") or {}).get("id")
    if not location:
        raise Refusal("the event names no bizLocation: the site where the batches were made")
    try:
        gln = location_gln(str(location))
    except ValidationError as exc:
        raise Refusal(f"bizLocation: {exc}") from None
    if gln not in ctx.capturer.sites:
        raise Refusal(
            f"bizLocation {gln} is not one of the capturing participant's sites "
            f"({', '.join(ctx.capturer.sites) or 'it has none'})"
        )
    return gln


def _require_factory(ctx: Overlay) -> None:
    if not ctx.capturer.factory:
        raise Refusal("the capturing participant has no FACTORY role: only factories record batches")


# -- the mappings ---------------------------------------------------------------------------------------------------


def _new_batch(
    ctx: Overlay,
    key: ClassKey,
    quantity: Decimal,
    unit: str,
    site: Gln,
    produced_at: datetime,
    hs_code: str,
    inputs: tuple[InputUse, ...],
    documents: Any,
    emissions: Decimal | None,
    where: str,
) -> NewBatch:
    assert key.lot is not None
    batch_id = batch_id_of(ctx.address, key.gtin, key.lot)
    if (key.gtin, key.lot) in ctx.created or ctx.batch(batch_id) is not None:
        raise Refusal(f"{where}: batch GTIN {key.gtin} lot {key.lot} is already recorded by the capturing participant")
    batch = NewBatch(key.gtin, key.lot, hs_code, quantity, unit, site, produced_at, inputs, documents, emissions)
    try:
        return validate_batch(batch, now=ctx.now)
    except ValidationError as exc:
        raise Refusal(f"{where}: {exc}") from None


def _emission_shares(emissions: Decimal | None, amounts: list[Amount]) -> list[Decimal | None]:
    if emissions is None:
        return [None] * len(amounts)
    if len({unit for *_, unit in amounts}) > 1:
        raise Refusal("ledger:processEmissionsKg cannot be shared among batches in different units")
    try:
        return list(shares(emissions, [q for _, q, _ in amounts])) if emissions else [Decimal(0)] * len(amounts)
    except AllocationError as exc:
        raise Refusal(f"ledger:processEmissionsKg: {exc}") from None


def _what_is_made(
    event: dict[str, Any], ctx: Overlay, batches: int
) -> tuple[Gln, str, tuple[Document, ...], Decimal | None]:
    """What a batch-making event says of its batches: the site, HS code, documents and process emissions."""
    if batches > MAX_BATCHES_PER_EVENT:
        raise Refusal(f"the event creates {batches} batches; at most {MAX_BATCHES_PER_EVENT} per event")
    site = _site(event, ctx)
    try:
        return (
            site,
            evidence.hs_code(event, ctx.bound),
            evidence.documents(event, ctx.bound),
            evidence.process_emissions(event, ctx.bound),
        )
    except ValidationError as exc:
        raise Refusal(str(exc)) from None


def commission(event: dict[str, Any], ctx: Overlay, produced_at: datetime) -> EventEffect:
    _require_factory(ctx)
    amounts = quantities(event, "quantityList", "epcList", "batches commissioned")
    site, hs_code, documents, emissions = _what_is_made(event, ctx, len(amounts))
    records = []
    for index, ((key, quantity, unit), share) in enumerate(
        zip(amounts, _emission_shares(emissions, amounts), strict=True)
    ):
        records.append(
            _new_batch(
                ctx, key, quantity, unit, site, produced_at, hs_code, (), documents, share, f"quantityList[{index}]"
            )
        )
    return _created(ctx, tuple(records))


def transform(event: dict[str, Any], ctx: Overlay, produced_at: datetime) -> EventEffect:
    _require_factory(ctx)
    outputs = quantities(event, "outputQuantityList", "outputEPCList", "outputs")
    inputs = quantities(event, "inputQuantityList", "inputEPCList", "inputs")
    site, hs_code, documents, emissions = _what_is_made(event, ctx, len(outputs))
    units = sorted({unit for *_, unit in outputs})
    if len(units) > 1:
        raise Refusal(
            f"the outputs are in different units ({', '.join(units)}): the inputs cannot be shared among "
            "them by quantity; capture one transformation per unit"
        )
    consumed: dict[BatchId, Decimal] = {}
    order: list[BatchFact] = []
    for index, (key, quantity, unit) in enumerate(inputs):
        where = f"inputQuantityList[{index}]"
        batch = ctx.held(key, ctx.address, where)
        if unit != batch.unit:
            raise Refusal(
                f"{where}: the event consumes {quantity} {unit} of batch {batch.id} (GTIN {key.gtin} lot "
                f"{key.lot}), which is recorded in {batch.unit}: units are never converted"
            )
        if batch.id not in consumed:
            order.append(batch)
        consumed[batch.id] = consumed.get(batch.id, Decimal(0)) + quantity
    if len(order) > rules.MAX_INPUTS:
        raise Refusal(f"the event consumes {len(order)} batches; a batch records at most {rules.MAX_INPUTS} inputs")
    weights = [q for _, q, _ in outputs]
    split: dict[BatchId, list[Decimal]] = {}
    for batch in order:
        if consumed[batch.id] > batch.remaining:
            raise Refusal(
                f"the event consumes {consumed[batch.id]} {batch.unit} of batch {batch.id} (GTIN "
                f"{batch.gtin} lot {batch.lot}), which has {batch.remaining} {batch.unit} left"
            )
        try:
            split[batch.id] = shares(consumed[batch.id], weights)
        except AllocationError as exc:
            raise Refusal(f"input batch {batch.id}: {exc}") from None
    records = []
    for index, ((key, quantity, unit), share) in enumerate(
        zip(outputs, _emission_shares(emissions, outputs), strict=True)
    ):
        uses = tuple(InputUse(b.id, split[b.id][index]) for b in order)
        records.append(
            _new_batch(
                ctx,
                key,
                quantity,
                unit,
                site,
                produced_at,
                hs_code,
                uses,
                documents,
                share,
                f"outputQuantityList[{index}]",
            )
        )
    return _created(ctx, tuple(records))


def _created(ctx: Overlay, records: tuple[NewBatch, ...]) -> EventEffect:
    size = sum(record_bytes(r) for r in records)
    if size > MAX_WRITE_BYTES:
        raise Refusal(
            f"the batches the event creates take {size:,} bytes of calldata; one transaction carries at "
            f"most {MAX_WRITE_BYTES:,} (split the event)"
        )
    ids = tuple(batch_id_of(ctx.address, b.gtin, b.lot) for b in records)
    consumed = tuple(dict.fromkeys(u.batch_id for b in records for u in b.inputs))
    return EventEffect(records=records, produced=ids, touched=ids + consumed)


def _shipped(event: dict[str, Any], ctx: Overlay, holder: Address, verb: str) -> list[BatchFact]:
    found = []
    for index, (key, quantity, unit) in enumerate(quantities(event, "quantityList", "epcList", f"batches {verb}")):
        where = f"quantityList[{index}]"
        batch = ctx.held(key, holder, where)
        if unit != batch.unit:
            raise Refusal(
                f"{where}: the event {verb} {quantity} {unit} of batch {batch.id}, which is recorded in "
                f"{batch.unit}: units are never converted"
            )
        if quantity != batch.remaining:
            raise Refusal(
                f"{where}: the event {verb} {quantity} {unit} of batch {batch.id}, which has "
                f"{batch.remaining} {batch.unit} left: custody passes for a whole batch"
            )
        found.append(batch)
    return found


def ship(event: dict[str, Any], ctx: Overlay) -> EventEffect:
    source = party_of(event.get("sourceList"), "source")
    if source is not None and source != ctx.capturer.party_gln:
        raise Refusal(
            f"source party {source} is not the capturing participant's party GLN "
            f"({ctx.capturer.party_gln or 'it has none'}): only the holder hands over custody"
        )
    destination = party_of(event.get("destinationList"), "destination")
    if destination is None:
        raise Refusal(
            "the shipment names no owning_party or possessing_party in destinationList: custody goes to a party"
        )
    if destination == ctx.capturer.party_gln:
        raise Refusal(f"the destination party {destination} is the capturing participant itself")
    party = ctx.view.party(destination)
    if party is None:
        raise Refusal(f"destination party {destination} is no registered participant's party GLN")
    if not party.active:
        raise Refusal(f"destination party {destination} ({party.address}) is suspended")
    batches = _shipped(event, ctx, ctx.address, "ships")
    return EventEffect(
        transfers=tuple(Transfer(b.id, party.address) for b in batches), touched=tuple(b.id for b in batches)
    )


def receive(event: dict[str, Any], ctx: Overlay) -> EventEffect:
    destination = party_of(event.get("destinationList"), "destination")
    if destination is not None and destination != ctx.capturer.party_gln:
        raise Refusal(
            f"destination party {destination} is not the capturing participant's party GLN "
            f"({ctx.capturer.party_gln or 'it has none'})"
        )
    try:
        batches = _shipped(event, ctx, ctx.address, "receives")
    except Refusal as refusal:
        # whether the shipper still holds the lot is not the receiver's to know until custody passes: a hint only
        if "no batch" in str(refusal) and party_of(event.get("sourceList"), "source") is not None:
            raise Refusal(f"{refusal}: custody passes when the holder captures its shipping event") from None
        raise
    return EventEffect(
        touched=tuple(b.id for b in batches),
        note="custody was already with the capturing participant: the receipt is recorded as an event only",
    )


def disposition_flag(event: dict[str, Any], ctx: Overlay, disposition: str) -> EventEffect:
    kind = FlagKind.RECALL if disposition == "recalled" else FlagKind.QUALITY_HOLD
    flags = []
    for index, (key, _quantity, _unit) in enumerate(quantities(event, "quantityList", "epcList", "batches flagged")):
        assert key.lot is not None
        batch = ctx.batch(batch_id_of(ctx.address, key.gtin, key.lot))
        if batch is None:
            raise Refusal(
                f"quantityList[{index}]: the capturing participant produced no batch of GTIN {key.gtin} "
                f"lot {key.lot}: only a batch's producer flags it"
            )
        default = (
            f"EPCIS: disposition {disposition} ({cbv(event.get('bizStep'), 'bizstep') or 'no bizStep'}) at "
            f"{event.get('eventTime')}"
        )
        try:
            flags.append(FlagRaise(batch.id, kind, evidence.reason(event, ctx.bound, default)))
        except ValidationError as exc:
            raise Refusal(str(exc)) from None
    return EventEffect(flags=tuple(flags), touched=tuple(f.batch_id for f in flags))


def observe(event: dict[str, Any], ctx: Overlay) -> EventEffect:
    """A valid event that changes nothing the ledger records (an observation, an inspection, a sensor reading, a
    packing): stored and committed like the others, about the batches it names, each of which must be one the
    capturer produced or holds (who may see one of them may see the event). Classes without a lot and
    instance-level EPCs name no batch; an event that names none is refused (no one could be shown it)."""
    found: dict[BatchId, None] = {}
    for name in QUANTITY_LISTS:
        for index, element in enumerate(event.get(name) or []):
            try:
                key = class_key(str(element.get("epcClass")))
            except (ValidationError, AttributeError):
                continue
            if key.lot is None:
                continue
            where = f"{name}[{index}]"
            batch = ctx.batch(batch_id_of(ctx.address, key.gtin, key.lot))
            if batch is None:
                try:
                    batch = ctx.held(key, ctx.address, where)
                except Refusal as refusal:
                    if "no batch" not in str(refusal):
                        raise
                    raise Refusal(
                        f"{where}: the capturing participant neither produced nor holds a batch of GTIN "
                        f"{key.gtin} lot {key.lot}: an event that changes nothing on chain is stored "
                        "about one's own batches"
                    ) from None
            found[batch.id] = None
    if not found:
        raise Refusal(
            f"the {event.get('type')} changes nothing the ledger records and names no batch (a class with "
            "a lot the capturing participant produced or holds): it could be shown to no one"
        )
    ids = tuple(found)
    return EventEffect(
        touched=ids, observed=ids, note="stored and its hash committed: it changes nothing the ledger records on chain"
    )


def declaration(event: dict[str, Any], ctx: Overlay, event_hash: str) -> EventEffect:
    declared = event["errorDeclaration"]
    earlier = ctx.seen.get((event_hash, False))
    if earlier is not None:
        produced = ctx.produced.get(earlier, ())
    else:
        first = ctx.view.captured(event_hash, False)
        if first is None:
            raise Refusal(f"it declares an error in event {event_hash}, which was never captured")
        if first.capturer != ctx.address:
            raise Refusal(f"it declares an error in event {event_hash}, which another participant captured")
        produced = first.produced
    if not produced:
        raise Refusal(f"the declared event {event_hash} produced no batch; only a batch's producer flags it")
    reason = cbv(declared.get("reason"), "er") or "no reason given"
    corrective = [str(i) for i in declared.get("correctiveEventIDs") or []]
    text = f"EPCIS error declaration ({reason}) of event {event_hash} at {declared.get('declarationTime')}"
    if corrective:
        text += "; corrective events: " + ", ".join(corrective)
    if len(text.encode()) > rules.MAX_TEXT_BYTES:
        text = text.encode()[: rules.MAX_TEXT_BYTES - 3].decode(errors="ignore") + "..."
    return EventEffect(flags=tuple(FlagRaise(b, FlagKind.QUALITY_HOLD, text) for b in produced), touched=produced)


def effect_of(event: dict[str, Any], ctx: Overlay, event_hash: str) -> EventEffect:
    """What the event does, or `Refusal`."""
    kind = event.get("type")
    produced_at = event_time(event, ctx.now)
    if "errorDeclaration" in event:
        return declaration(event, ctx, event_hash)
    step = cbv(event.get("bizStep"), "bizstep")
    action = event.get("action")
    if kind == "TransformationEvent":
        return transform(event, ctx, produced_at)
    if kind in ("ObjectEvent", "TransactionEvent"):
        if kind == "ObjectEvent" and action == "ADD" and step in COMMISSIONING:
            return commission(event, ctx, produced_at)
        if step == "shipping":
            return ship(event, ctx)
        if step == "receiving":
            return receive(event, ctx)
        disposition = cbv(event.get("disposition"), "disposition")
        if kind == "ObjectEvent" and action == "OBSERVE" and disposition in ("non_conformant", "recalled"):
            return disposition_flag(event, ctx, disposition)
        return observe(event, ctx)
    if kind in ("AggregationEvent", "AssociationEvent"):
        return observe(event, ctx)
    raise Refusal(f"event type {str(kind)[:80]!r} is not one the ledger maps")


# -- one event, in the context of its document ------------------------------------------------------------------


def duplicate(ctx: Overlay, position: int, event_hash: str, declared: bool) -> PlannedEvent | None:
    """The answer for an event captured before (earlier in this document, or by an earlier capture)."""
    earlier = ctx.seen.get((event_hash, declared))
    if earlier is not None:
        return PlannedEvent(
            position,
            event_hash,
            declared,
            Status.DUPLICATE,
            f"the same event (CBV 2.0 hash) as event #{earlier} of this document",
            duplicate_of=earlier,
        )
    first: CapturedFact | None = ctx.view.captured(event_hash, declared)
    if first is None:
        return None
    if first.capturer != ctx.address:
        return PlannedEvent(
            position,
            event_hash,
            declared,
            Status.REFUSED,
            "another participant captured this event (the same CBV 2.0 hash)",
        )
    if first.status == Status.PENDING:
        return PlannedEvent(
            position,
            event_hash,
            declared,
            Status.REFUSED,
            f"this event is being captured by capture {first.capture_id}: see its results",
        )
    return PlannedEvent(
        position,
        event_hash,
        declared,
        Status.DUPLICATE,
        f"captured before by capture {first.capture_id}: answered with its first result",
        first=first,
    )


def map_event(ctx: Overlay, position: int, event: dict[str, Any], hashed: Hashed) -> PlannedEvent:
    declared = isinstance(event, dict) and "errorDeclaration" in event
    if hashed.value is None:
        return PlannedEvent(
            position, None, declared, Status.REFUSED, f"its CBV 2.0 event hash cannot be computed: {hashed.problem}"
        )
    wrong_id = declared_id_problem(event, hashed)
    if wrong_id is not None:
        return PlannedEvent(position, hashed.value, declared, Status.REFUSED, wrong_id)
    if not ctx.capturer.registered:
        return PlannedEvent(
            position,
            hashed.value,
            declared,
            Status.REFUSED,
            f"the capturer {ctx.address} is not a registered participant",
        )
    if not ctx.capturer.active:
        return PlannedEvent(
            position, hashed.value, declared, Status.REFUSED, f"the capturer {ctx.address} is suspended"
        )
    answered = duplicate(ctx, position, hashed.value, declared)
    if answered is not None:
        return answered
    try:
        effect = effect_of(event, ctx, hashed.value)
    except (Refusal, ValidationError) as refusal:  # a rule's own ValidationError is a reason too
        return PlannedEvent(position, hashed.value, declared, Status.REFUSED, str(refusal))
    apply(ctx, position, effect)
    ctx.seen[(hashed.value, declared)] = position
    status = Status.ACKNOWLEDGED if effect.writes_nothing else Status.RECORDED
    return PlannedEvent(position, hashed.value, declared, status, effect.note, effect)
