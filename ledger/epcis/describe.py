"""What the event store indexes of a captured event, for queries and exports: its type, time, bizStep and
bizLocation, the product classes and instance-level EPCs it names, and the batches it is about, by role."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ledger.domain.errors import ValidationError
from ledger.domain.types import BatchId
from ledger.epcis.keys import class_key, location_gln
from ledger.epcis.model import PlannedEvent
from ledger.epcis.store import NewEvent
from ledger.epcis.vocabulary import cbv

QUANTITY_LISTS = ("quantityList", "inputQuantityList", "outputQuantityList", "childQuantityList")
EPC_LISTS = ("epcList", "inputEPCList", "outputEPCList", "childEPCs")


def event_seconds(event: dict[str, Any]) -> float | None:
    try:
        return datetime.fromisoformat(str(event.get("eventTime"))).timestamp()
    except ValueError:
        return None


def location_of(event: dict[str, Any]) -> str | None:
    """The bizLocation as a GLN when it names one, else as written."""
    raw = (event.get("bizLocation") or {}).get("id") if isinstance(event.get("bizLocation"), dict) else None
    if raw is None:
        return None
    try:
        return location_gln(str(raw))
    except ValidationError:
        return str(raw)


def classes_of(event: dict[str, Any]) -> tuple[tuple[str, str | None], ...]:
    found: dict[tuple[str, str | None], None] = {}
    for name in QUANTITY_LISTS:
        for element in event.get(name) or []:
            try:
                key = class_key(str(element.get("epcClass")))
            except (ValidationError, AttributeError):
                continue
            found[(key.gtin, key.lot)] = None
    return tuple(found)


def epcs_of(event: dict[str, Any]) -> tuple[str, ...]:
    found = [str(e) for name in EPC_LISTS for e in event.get(name) or []]
    if event.get("parentID"):
        found.append(str(event["parentID"]))
    return tuple(dict.fromkeys(found))


def batches_of(planned: PlannedEvent) -> tuple[tuple[BatchId, str], ...]:
    effect = planned.effect
    if effect is None:
        return ()
    roles: dict[tuple[BatchId, str], None] = {}
    for batch_id in effect.produced:
        roles[(batch_id, "produced")] = None
    for record in effect.records:
        for use in record.inputs:
            roles[(use.batch_id, "consumed")] = None
    for transfer in effect.transfers:
        roles[(transfer.batch_id, "shipped")] = None
    for flag in effect.flags:
        roles[(flag.batch_id, "flagged")] = None
    if effect.writes_nothing:
        for batch_id in effect.touched:
            roles[(batch_id, "observed" if batch_id in effect.observed else "received")] = None
    return tuple(roles)


def describe(planned: PlannedEvent, event: dict[str, Any]) -> NewEvent:
    assert planned.event_hash is not None
    event_id = event.get("eventID")
    return NewEvent(
        event_hash=planned.event_hash,
        declaration=planned.declaration,
        position=planned.position,
        event_type=str(event.get("type")),
        event_time=event_seconds(event),
        biz_step=cbv(event.get("bizStep"), "bizstep"),
        biz_location=location_of(event),
        event_id=str(event_id) if event_id is not None else None,
        event=event,
        batches=batches_of(planned),
        classes=classes_of(event),
        epcs=epcs_of(event),
    )
