"""An EPCIS 2.0 document (JSON / JSON-LD) read from hostile bytes: bounded in size, nesting and event count before
anything else, then parsed, validated against the official schema, and split into its events.

Both `EPCISDocument` (`epcisBody.eventList`) and `EPCISQueryDocument` (`epcisBody.queryResults.resultsBody
.eventList`) are read: a party may capture the results of a query it ran against a partner's repository.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger.domain.errors import CaptureTooLargeError, ValidationError
from ledger.domain.jsonlimits import json_too_deep
from ledger.epcis import schema

#: Largest document, in bytes (UTF-8). A bigger capture is sent in several documents.
MAX_DOCUMENT_BYTES = 8 * 1024 * 1024
#: Most events in one document.
MAX_EVENTS = 10_000
#: Deepest nesting of arrays and objects (sensor reports and extensions nest; nothing legitimate nears this).
MAX_DEPTH = 64
EVENT_TYPES = ("ObjectEvent", "AggregationEvent", "TransactionEvent", "TransformationEvent", "AssociationEvent")
#: The normative JSON-LD context of EPCIS 2.0 (a copy is in data/, for loading offline).
EPCIS_CONTEXT = "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"


class EpcisDocumentError(ValidationError):
    """Bytes that are no EPCIS document this service reads: too large, too deep, not JSON, no event list."""

    code = "epcis_document"


@dataclass(frozen=True, eq=False)
class EpcisDocument:
    """A validated document. `events` are the JSON objects as sent (numbers as floats, for hashing, storing and
    serving them again); `exact_events` are the same events with numbers as `Decimal` (for quantities)."""

    kind: str  # EPCISDocument | EPCISQueryDocument
    digest: str  # SHA-256 of the document's bytes, hex
    context: Any  # the document's @context
    events: tuple[dict[str, Any], ...]
    exact_events: tuple[dict[str, Any], ...] = field(repr=False)

    @property
    def uri(self) -> str:
        """RFC 6920 name of the document's bytes, what a capture commits its root with."""
        return f"ni:///sha-256;{self.digest}"


def _bounded_text(data: bytes | str) -> tuple[bytes, str]:
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else bytes(data)
    if len(raw) > MAX_DOCUMENT_BYTES:
        raise EpcisDocumentError(
            f"the document is {len(raw):,} bytes; at most {MAX_DOCUMENT_BYTES:,} are captured "
            "at once (send it in several documents)",
            field="document",
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise EpcisDocumentError(f"the document is not UTF-8 (byte {exc.start})", field="document") from None
    if json_too_deep(raw, MAX_DEPTH):
        raise EpcisDocumentError(f"the document nests more than {MAX_DEPTH} levels deep", field="document")
    return raw, text


#: Digits an integer in a document may have: more is no quantity or sensor value (and 10**400 overflows the JSON-LD
#: library that computes the event hash).
MAX_INTEGER_DIGITS = 30


def _not_json(constant: str) -> Any:
    """NaN and Infinity are not JSON (RFC 8259), though Python's parser reads them: a stored event holding one could
    never be served again as JSON."""
    raise EpcisDocumentError(f"the document is not JSON: {constant} is no JSON number", field="document")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise EpcisDocumentError(
            f"the document holds an integer of {len(digits.lstrip('-')):,} digits; at most {MAX_INTEGER_DIGITS}",
            field="document",
        )
    return int(digits)


def _parse(text: str, **options: Any) -> Any:
    try:
        return json.loads(text, parse_constant=_not_json, parse_int=_integer, **options)
    except (ValueError, RecursionError) as exc:
        if isinstance(exc, EpcisDocumentError):
            raise
        raise EpcisDocumentError(f"the document is not JSON: {exc}", field="document") from None


def event_list(body: Any) -> list[Any]:
    """The event list of an EPCIS document or query document (an empty list if it has none)."""
    if not isinstance(body, dict) or not isinstance(body.get("epcisBody"), dict):
        return []
    inner = body["epcisBody"]
    if body.get("type") == "EPCISQueryDocument":
        inner = (inner.get("queryResults") or {}).get("resultsBody") or {}
    events = inner.get("eventList") if isinstance(inner, dict) else None
    return events if isinstance(events, list) else []


def load(data: bytes | str, *, max_events: int = MAX_EVENTS, bound: str = "") -> EpcisDocument:
    """Read an EPCIS document: bounded, parsed, validated against the EPCIS 2.0 JSON Schema (naming the path of the
    first problem), with at most `max_events` events (counted before the schema's validation, the costly part;
    `bound` names the setting behind a lower bound, for the message)."""
    raw, text = _bounded_text(data)
    body = _parse(text)
    events = event_list(body)
    check_event_count(len(events), min(max_events, MAX_EVENTS), bound if max_events < MAX_EVENTS else "")
    if not isinstance(body, dict) or body.get("type") not in ("EPCISDocument", "EPCISQueryDocument"):
        kind = body.get("type") if isinstance(body, dict) else type(body).__name__
        raise EpcisDocumentError(
            f"expected an EPCISDocument or EPCISQueryDocument, got {str(kind)[:80]!r}", field="type"
        )
    schema.validate(body)
    exact = event_list(_parse(text, parse_float=Decimal))
    return EpcisDocument(
        body["type"], hashlib.sha256(raw).hexdigest(), body.get("@context"), tuple(events), tuple(exact)
    )


def check_event_count(count: int, max_events: int, bound: str = "") -> None:
    """Refuse (413) a document of more events than are captured at once."""
    if count > max_events:
        raise CaptureTooLargeError(
            f"the document holds {count:,} events; at most {max_events:,} are captured at "
            f"once{f' ({bound})' if bound else ''}: send it in several documents",
            limit=max_events,
            field="epcisBody.eventList",
        )


def load_event_or_document(data: bytes | str) -> EpcisDocument:
    """A document, or one event on its own (what `ledger epcis verify` takes): an event is wrapped into a document
    with its own `@context` (or the EPCIS context)."""
    raw, text = _bounded_text(data)
    body = _parse(text)
    if (
        isinstance(body, dict)
        and body.get("type") not in ("EPCISDocument", "EPCISQueryDocument")
        and "epcisBody" not in body
    ):
        context = body.get("@context", EPCIS_CONTEXT)
        event = {k: v for k, v in body.items() if k != "@context"}
        wrapped = {
            "@context": context,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2000-01-01T00:00:00Z",
            "epcisBody": {"eventList": [event]},
        }
        return load(json.dumps(wrapped))
    return load(raw)


def document_json(
    events: list[dict[str, Any]],
    context: Any,
    *,
    kind: str = "EPCISDocument",
    created: str,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An EPCIS 2.0 document (or query document, `kind`) holding `events`."""
    if kind == "EPCISQueryDocument":
        body: dict[str, Any] = {"queryResults": {"queryName": "SimpleEventQuery", "resultsBody": {"eventList": events}}}
    else:
        body = {"eventList": events}
    return {
        "@context": context,
        "type": kind,
        "schemaVersion": "2.0",
        "creationDate": created,
        "epcisBody": body,
        **(extra or {}),
    }
