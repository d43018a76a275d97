"""Reading an EPCIS event as the mapping needs it: its time, its lot-level quantities (class, quantity, unit), its
parties; each problem raised as a `Refusal` naming where it is."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ledger.domain import rules
from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.types import Gln
from ledger.epcis.keys import ClassKey, class_key, party_gln
from ledger.epcis.vocabulary import cbv

#: The unit of a quantity given without `uom`: EPCIS counts instances.
COUNT_UNIT = "H87"
PARTY_TYPES = ("possessing_party", "owning_party")  # custody follows possession, then ownership
Amount = tuple[ClassKey, Decimal, str]


class Refusal(Exception):
    """Why an event is not mapped (its message is the reason)."""


def event_time(event: dict[str, Any], now: float) -> datetime:
    text = event.get("eventTime")
    if not isinstance(text, str):
        raise Refusal("the event has no eventTime")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        from dateutil import parser

        try:
            moment = parser.isoparse(text)
        except ValueError:
            raise Refusal(f"eventTime {text[:40]!r} is not an ISO 8601 time") from None
    try:
        return v.timestamp(moment, "eventTime", now=now)
    except ValidationError as exc:
        raise Refusal(f"{exc} (tolerance {rules.MAX_FUTURE_SECONDS} s)" if "future" in str(exc) else str(exc)) from None


def class_of(element: Any, where: str) -> ClassKey:
    uri = element.get("epcClass") if isinstance(element, dict) else None
    try:
        key = class_key(str(uri))
    except ValidationError as exc:
        raise Refusal(f"{where}: {exc}") from None
    if key.lot is None:
        raise Refusal(
            f"{where}: {str(uri)[:100]} names no lot; the ledger records batches (a GTIN and a lot): give "
            "an LGTIN (urn:epc:class:lgtin:...) or a Digital Link URI with /10/{lot}"
        )
    return key


def amount(element: dict[str, Any], where: str) -> tuple[Decimal, str]:
    raw = element.get("quantity")
    if raw is None:
        raise Refusal(f"{where}: {str(element.get('epcClass'))[:100]} has no quantity")
    uom = element.get("uom")
    unit = uom if isinstance(uom, str) else COUNT_UNIT
    try:
        quantity = v.quantity(Decimal(str(raw)), "quantity")
        v.unit(unit)
    except ValidationError as exc:
        raise Refusal(f"{where}: {exc}") from None
    return quantity, unit


def quantities(event: dict[str, Any], name: str, instance_field: str, what: str) -> list[Amount]:
    elements = event.get(name) or []
    if not elements:
        if event.get(instance_field):
            raise Refusal(
                f"the {what} are instance-level EPCs only ({instance_field}, no {name}): the ledger records "
                "batches from class-level quantities (an LGTIN with a quantity)"
            )
        raise Refusal(f"the event names no {what} ({name})")
    found = []
    for index, element in enumerate(elements):
        where = f"{name}[{index}]"
        key = class_of(element, where)
        quantity, unit = amount(element, where)
        found.append((key, quantity, unit))
    return found


def party_of(entries: Any, name: str) -> Gln | None:
    """The party GLN of a source or destination list: the possessing party, else the owning party."""
    by_type: dict[str, str] = {}
    for entry in entries or []:
        kind = cbv(entry.get("type"), "sdt")
        if kind in PARTY_TYPES and kind not in by_type:
            by_type[kind] = entry.get(name)
    for kind in PARTY_TYPES:
        if kind in by_type:
            try:
                return party_gln(str(by_type[kind]))
            except ValidationError as exc:
                raise Refusal(f"{name}List {kind}: {exc}") from None
    return None
