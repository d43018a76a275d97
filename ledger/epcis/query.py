"""GET /events: the EPCIS 2.0 query parameters that fit the ledger, over the stored events, as an
EPCISQueryDocument of the events the caller may see.

Parameters (several values of one parameter separated by `|`, or the parameter repeated):
`eventType`, `GE_eventTime`, `LT_eventTime`, `EQ_bizStep`, `EQ_bizLocation`, `MATCH_epcClass` (an LGTIN or Digital
Link of one lot, or an SGTIN pattern / GTIN-only Digital Link for every lot), `MATCH_anyEPC` (instance-level EPCs,
an SGTIN pattern ending in `*` for every serial), `EQ_eventID` (a declared eventID or the event's CBV 2.0
hash: every event is served with one), `perPage`, `nextPageToken`. Any other parameter is
refused (EPCIS's QueryParameterException). Events come in capture order; an event is visible when a batch it makes,
moves or flags is (`may_see`): an input it consumes does not make it visible (a sibling branch of a lineage is not
shown to whoever may see the shared input). Each call reads a bounded number of stored events: a page may hold fewer
than `perPage` events and still carry a `nextPageToken`.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ledger.domain.errors import ValidationError
from ledger.epcis.document import EPCIS_CONTEXT, document_json
from ledger.epcis.keys import class_key, location_gln
from ledger.epcis.store import EventStore, StoredEvent
from ledger.epcis.vocabulary import NAMESPACE, PREFIX, cbv

if TYPE_CHECKING:
    from ledger.client import Ledger

DEFAULT_PER_PAGE = 30
MAX_PER_PAGE = 500
#: Stored events one call reads at most, per event it returns.
SCAN_FACTOR = 10
MAX_VALUES = 50
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent")
PARAMETERS = (
    "eventType",
    "GE_eventTime",
    "LT_eventTime",
    "EQ_bizStep",
    "EQ_bizLocation",
    "MATCH_epcClass",
    "MATCH_anyEPC",
    "EQ_eventID",
    "perPage",
    "nextPageToken",
)


@dataclass(frozen=True)
class EventQuery:
    event_types: tuple[str, ...] = ()
    ge_event_time: datetime | None = None
    lt_event_time: datetime | None = None
    biz_steps: tuple[str, ...] = ()
    biz_locations: tuple[str, ...] = ()
    epc_classes: tuple[str, ...] = ()
    any_epcs: tuple[str, ...] = ()
    event_ids: tuple[str, ...] = ()
    per_page: int = DEFAULT_PER_PAGE
    next_page_token: str | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str | Sequence[str]]) -> EventQuery:
        """From query parameters as a web framework gives them (a value or a list of values per name)."""
        unknown = sorted(set(params) - set(PARAMETERS))
        if unknown:
            raise ValidationError(
                f"query parameter {unknown[0][:60]!r} is not supported; supported: {', '.join(PARAMETERS)}",
                field=unknown[0][:60],
            )

        def values(name: str) -> tuple[str, ...]:
            raw = params.get(name)
            items = [raw] if isinstance(raw, str) else list(raw or [])
            found = tuple(v for item in items for v in str(item).split("|") if v)
            if len(found) > MAX_VALUES:
                raise ValidationError(f"{name} takes at most {MAX_VALUES} values", field=name)
            return found

        def one(name: str) -> str | None:
            found = values(name)
            if len(found) > 1:
                raise ValidationError(f"{name} takes one value", field=name)
            return found[0] if found else None

        unknown_types = sorted(set(values("eventType")) - set(EVENT_TYPES))
        if unknown_types:
            raise ValidationError(
                f"eventType {unknown_types[0][:60]!r} is not an EPCIS 2.0 event type; one of {', '.join(EVENT_TYPES)}",
                field="eventType",
            )
        per_page = one("perPage")
        if per_page is not None and (not per_page.isdigit() or not 1 <= int(per_page) <= MAX_PER_PAGE):
            raise ValidationError(f"perPage must be 1 to {MAX_PER_PAGE}", field="perPage")
        return cls(
            values("eventType"),
            _time(one("GE_eventTime"), "GE_eventTime"),
            _time(one("LT_eventTime"), "LT_eventTime"),
            values("EQ_bizStep"),
            values("EQ_bizLocation"),
            values("MATCH_epcClass"),
            values("MATCH_anyEPC"),
            values("EQ_eventID"),
            int(per_page) if per_page else DEFAULT_PER_PAGE,
            one("nextPageToken"),
        )


def _time(text: str | None, name: str) -> datetime | None:
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError(f"{name} must be an ISO 8601 time with a zone, got {text[:40]!r}", field=name) from None
    if moment.tzinfo is None:
        raise ValidationError(f"{name} must carry a time zone", field=name)
    return moment


def _token(seq: int) -> str:
    return base64.urlsafe_b64encode(f"events:{seq}".encode()).decode().rstrip("=")


def _after(token: str | None) -> int:
    if token is None:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        kind, seq = text.split(":")
        if kind == "events" and seq.isascii() and seq.isdigit() and len(seq) <= 18:  # a SQLite INTEGER
            return int(seq)
    except (ValueError, UnicodeDecodeError):
        pass
    raise ValidationError("nextPageToken is not one this service gave", field="nextPageToken")


def _conditions(query: EventQuery) -> tuple[list[str], list[Any]]:
    where: list[str] = []
    params: list[Any] = []

    def any_of(column: str, values: Sequence[Any]) -> None:
        where.append(f"{column} IN ({','.join('?' * len(values))})")
        params.extend(values)

    if query.event_types:
        any_of("e.event_type", query.event_types)
    if query.ge_event_time is not None:
        where.append("e.event_time >= ?")
        params.append(query.ge_event_time.timestamp())
    if query.lt_event_time is not None:
        where.append("e.event_time < ?")
        params.append(query.lt_event_time.timestamp())
    if query.biz_steps:
        any_of("e.biz_step", [cbv(s, "bizstep") for s in query.biz_steps])
    if query.biz_locations:
        any_of("e.biz_location", [_location(loc) for loc in query.biz_locations])
    if query.event_ids:  # an event's declared id, or its CBV 2.0 hash (every event has one, declared or not)
        marks = ",".join("?" * len(query.event_ids))
        where.append(f"e.event_id IN ({marks}) OR e.event_hash IN ({marks})")
        params.extend([*query.event_ids, *query.event_ids])
    if query.epc_classes:
        clauses = []
        for pattern in query.epc_classes:
            try:
                key = class_key(pattern)
            except ValidationError as exc:
                raise ValidationError(f"MATCH_epcClass: {exc}", field="MATCH_epcClass") from None
            clauses.append("(c.gtin = ?" + (" AND c.lot = ?)" if key.lot is not None else ")"))
            params.extend([key.gtin] + ([key.lot] if key.lot is not None else []))
        where.append("EXISTS (SELECT 1 FROM event_classes c WHERE c.seq = e.seq AND (" + " OR ".join(clauses) + "))")
    if query.any_epcs:
        clauses = []
        for pattern in query.any_epcs:
            if pattern.startswith("urn:epc:idpat:sgtin:") and pattern.endswith(".*"):
                clauses.append("x.epc LIKE ? ESCAPE '\\'")
                prefix = "urn:epc:id:sgtin:" + pattern.removeprefix("urn:epc:idpat:sgtin:")[:-1]
                params.append(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
            else:
                clauses.append("x.epc = ?")
                params.append(pattern)
        where.append("EXISTS (SELECT 1 FROM event_epcs x WHERE x.seq = e.seq AND (" + " OR ".join(clauses) + "))")
    return where, params


def _location(value: str) -> str:
    if value.isdigit():
        return value
    try:
        return location_gln(value)
    except ValidationError:
        return value


def served(events: Sequence[StoredEvent]) -> tuple[list[Any], list[dict[str, Any]]]:
    """A context for serving stored events as they were captured, and the events: their documents' contexts merged
    (a prefix that two documents bind differently is renamed in one of them, in keys and values alike, which leaves
    every CBV 2.0 hash as it was), the ledger's namespace bound to `ledger:`. An event captured without an eventID
    is served with its CBV 2.0 hash as its eventID (the hash leaves eventID out, so it stays the same)."""
    context: list[Any] = [EPCIS_CONTEXT]
    bound: dict[str, str] = {PREFIX: NAMESPACE}
    found: list[dict[str, Any]] = []
    for stored in events:
        renames: dict[str, str] = {}
        for item in stored.context if isinstance(stored.context, list) else [stored.context]:
            if isinstance(item, str):
                if item not in context:
                    context.append(item)
            elif isinstance(item, dict):
                for prefix, iri in item.items():
                    if prefix not in bound:
                        bound[prefix] = iri
                    elif bound[prefix] != iri:
                        renamed = next((p for p, i in bound.items() if i == iri), None) or _fresh(prefix, bound)
                        bound.setdefault(renamed, iri)
                        renames[prefix] = renamed
        event = _renamed(stored.event, renames) if renames else stored.event
        if "eventID" not in event:  # served by its CBV 2.0 hash, which the eventID does not change
            event = {**event, "eventID": stored.event_hash}
        found.append(event)
    context.append(bound)
    return context, found


def proofs(events: Sequence[StoredEvent], ledger: Ledger) -> dict[str, Any]:
    """The document-level `ledger:proofs` of the committed events: what `ledger epcis verify` checks on chain."""
    committed = {s.event_hash: {"root": s.root, "proof": list(s.proof)} for s in events if s.root and not s.declaration}
    if not committed:
        return {}
    return {
        f"{PREFIX}:proofs": {
            "ledger": ledger.deployment.ledger,
            "chainId": ledger.deployment.chain_id,
            "events": committed,
        }
    }


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _fresh(prefix: str, bound: dict[str, Any]) -> str:
    n = 2
    while f"{prefix}{n}" in bound:
        n += 1
    return f"{prefix}{n}"


def _renamed(node: Any, renames: dict[str, str]) -> Any:
    """A JSON value with compact IRIs of renamed prefixes rewritten, in keys and in string values."""
    if isinstance(node, dict):
        return {_rename(k, renames): _renamed(v, renames) for k, v in node.items()}
    if isinstance(node, list):
        return [_renamed(item, renames) for item in node]
    return _rename(node, renames) if isinstance(node, str) else node


def _rename(text: str, renames: dict[str, str]) -> str:
    prefix, sep, rest = text.partition(":")
    return f"{renames[prefix]}:{rest}" if sep and prefix in renames else text


@dataclass(frozen=True)
class QueryPage:
    """One page: the EPCISQueryDocument, and the token of the next page when more may follow (the EPCIS REST binding
    gives it in a `Link: <...?nextPageToken=...>; rel="next"` header: the document has no field for it)."""

    document: dict[str, Any]
    next_page_token: str | None


def query_events(ledger: Ledger, store: EventStore, query: EventQuery, may_see: Callable[[str], bool]) -> QueryPage:
    """The visible events matching `query`, one page of them."""
    where, params = _conditions(query)
    after = _after(query.next_page_token)
    budget = query.per_page * SCAN_FACTOR + 1
    found: list[StoredEvent] = []
    last = after
    exhausted = False
    # one visible event past a full page is looked for (within the budget): a full page is the last one when none
    # follows, and a `rel="next"` never leads to an empty page that the scan could have seen was empty
    while len(found) <= query.per_page and budget > 0:
        rows = store.search(where, params, last, min(budget, 500))
        if not rows:
            exhausted = True
            break
        batches = store.batches_of([r.seq for r in rows])
        for row in rows:
            budget -= 1
            if any(may_see(b) for b, role in batches.get(row.seq, []) if role != "consumed"):
                found.append(row)
                if len(found) > query.per_page:
                    break
            last = row.seq
    found = found[: query.per_page]
    context, events = served(found)
    document = document_json(
        events, context, kind="EPCISQueryDocument", created=now_text(), extra=proofs(found, ledger)
    )
    return QueryPage(document, None if exhausted else _token(last))
