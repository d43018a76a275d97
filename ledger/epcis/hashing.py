"""CBV 2.0 event hashes (`ni:///sha-256;<hex>?ver=CBV2.0`), computed by the algorithm's reference implementation,
`epcis-event-hash-generator`, offline.

The reference implementation reads a whole document and hashes each of its events; it uses JSON-LD expansion
(PyLD) to turn bare CBV values (`"shipping"`) into their Web URIs first. Two things are arranged around it here:

- **Offline.** JSON-LD contexts are loaded from the copy of the EPCIS 2.0 context in `data/` (its published URLs);
  any other remote context is refused, never fetched. Inline contexts work as usual.
- **One event, one hash.** The library collects the CBV URIs of the whole document and then rewrites any string of
  any event that ends like one of them, so an event's hash could depend on its neighbours (an extension value
  `"shipping"` is rewritten only if another event of the document has bizStep shipping). Here each event is hashed
  as if it stood alone in a document with its document's `@context`: the same hash whichever document carries it
  (a capture, a query result, a lineage export), and the reference result for every example of the standard. The
  document is still expanded once, and the expansion split by event, so hashing stays linear and cheap.

The library keeps module-level state (namespaces, the join string): calls are serialised by a lock.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import threading
from functools import cache
from importlib.resources import files
from typing import Any, NamedTuple

from epcis_event_hash_generator import hash_generator, json_to_py
from epcis_event_hash_generator.json_xml_model_mismatch_correction import deep_structure_correction
from pyld import jsonld
from pyld.context_resolver import ContextResolver

from ledger.domain.errors import ValidationError
from ledger.epcis.document import EPCIS_CONTEXT, EpcisDocument

#: URLs under which GS1 publishes the EPCIS 2.0 context: all served from the copy in data/.
CONTEXT_URLS = frozenset(
    {
        EPCIS_CONTEXT,
        "https://gs1.github.io/EPCIS/epcis-context.jsonld",
        "https://ref.gs1.org/standards/epcis/epcis-context.jsonld",
    }
)
HASH = re.compile(r"^ni:///sha-256;([0-9a-f]{64})\?ver=CBV2\.0$")
_EPCIS = "https://ref.gs1.org/epcis/"
_LOCK = threading.Lock()


class Hashed(NamedTuple):
    """An event's CBV 2.0 hash, or why it could not be computed."""

    value: str | None
    problem: str | None = None


def digest_of(event_hash: str) -> str:
    """The SHA-256 inside a CBV 2.0 hash, as 0x-hex: the `bytes32 eventHash` the contract commits."""
    match = HASH.match(event_hash)
    if match is None:
        raise ValidationError(
            f"{event_hash[:100]!r} is not a CBV 2.0 event hash (ni:///sha-256;...?ver=CBV2.0)", field="eventHash"
        )
    return "0x" + match.group(1)


def hash_of_digest(digest: str) -> str:
    return f"ni:///sha-256;{digest.removeprefix('0x').lower()}?ver=CBV2.0"


def declared_id_problem(event: Any, hashed: Hashed) -> str | None:
    """Why the event's declared `eventID` cannot stand, or None. An eventID that is a hash name (`ni:`, RFC 6920)
    claims to be the event's CBV 2.0 hash: it must be exactly that (hex in any case), else the event would be served
    under one hash while the chain commits another. Any other eventID (`urn:uuid:...`) is the capturer's own name."""
    declared = event.get("eventID") if isinstance(event, dict) else None
    if not isinstance(declared, str) or declared[:3].lower() != "ni:":
        return None
    match = re.match(HASH.pattern, declared, re.IGNORECASE)
    if hashed.value is not None and match is not None and f"0x{match.group(1).lower()}" == digest_of(hashed.value):
        return None
    return (
        f"its eventID {declared[:120]!r} is not its CBV 2.0 hash ({hashed.value or 'which cannot be computed'}): "
        "declare the hash the CBV 2.0 algorithm gives, another kind of id (urn:uuid:...), or none"
    )


@cache
def _epcis_context() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files("ledger.epcis").joinpath("data", "epcis-context.jsonld").read_text())
    return data


def _offline_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url in CONTEXT_URLS:
        return {
            "contentType": "application/ld+json",
            "contextUrl": None,
            "documentUrl": url,
            "document": _epcis_context(),
        }
    raise jsonld.JsonLdError(
        f"the JSON-LD context {url[:200]} is not available offline (only the EPCIS 2.0 "
        "context and inline contexts are)",
        "jsonld.LoadDocumentError",
        code="loading document failed",
    )


class _MemoResolver(ContextResolver):  # type: ignore[misc]
    """PyLD's context resolver, remembering which context object resolved to what: PyLD keys every object context
    by its canonical JSON, recomputed each time an event enters a scoped context (a dozen times per event); the
    answer for one object never changes, so it is computed once per document."""

    def __init__(self) -> None:
        super().__init__({}, _offline_loader)
        self._known: dict[int, tuple[Any, Any]] = {}

    def resolve(self, active_ctx: Any, context: Any, base: Any, cycles: Any = None) -> list[Any]:
        if isinstance(context, dict) and "@context" in context:
            context = context["@context"]
        resolved: list[Any] = []
        for item in context if isinstance(context, list) else [context]:
            if not isinstance(item, dict):
                resolved.extend(super().resolve(active_ctx, [item], base, cycles))
                continue
            known = self._known.get(id(item))
            if known is None or known[0] is not item:
                known = (item, super().resolve(active_ctx, [item], base, cycles))
                self._known[id(item)] = known
            resolved.extend(known[1])
        return resolved


def _namespaces(context: Any) -> dict[str, str]:
    """The prefixes the library would collect from the document's `@context` (it reads a list of contexts); only
    plain `prefix: IRI` entries (term definitions with `@type` and the like name no namespace)."""
    found: dict[str, str] = {}
    if isinstance(context, list):
        for item in context:
            if isinstance(item, str):
                found[item] = "{" + item + "}"
            elif isinstance(item, dict):
                found.update({k: "{" + v + "}" for k, v in item.items() if isinstance(v, str)})
    return found


def _strings(node: Any, into: set[str]) -> None:
    if isinstance(node, str):
        if node.startswith(("https://ref.gs1.org/cbv", "https://gs1.org/voc")):
            into.add(node)
    elif isinstance(node, list):
        for item in node:
            _strings(item, into)
    elif isinstance(node, dict):
        for value in node.values():
            _strings(value, into)


def _expanded_events(context: Any, events: list[dict[str, Any]]) -> list[Any]:
    """Each event's JSON-LD expansion, from one expansion of the document (or one per event if the expanded document
    does not line up with its events)."""
    options = {"documentLoader": _offline_loader, "contextResolver": _MemoResolver()}
    document = {"@context": context, "type": "EPCISDocument", "epcisBody": {"eventList": events}}
    try:
        expanded = jsonld.expand(document, options)
        found = expanded[0][_EPCIS + "epcisBody"][0][_EPCIS + "eventList"]
        if len(found) == 1 and isinstance(found[0], dict) and "@list" in found[0]:
            found = found[0]["@list"]
        if len(found) == len(events) and all(_EPCIS + "eventTime" in node or "@type" in node for node in found):
            return list(found)
    except (jsonld.JsonLdError, KeyError, IndexError, TypeError):
        pass
    one_by_one: list[Any] = []
    for event in events:
        try:
            one_by_one.append(
                jsonld.expand(
                    {"@context": context, "type": "EPCISDocument", "epcisBody": {"eventList": [event]}}, dict(options)
                )
            )
        except jsonld.JsonLdError as exc:
            one_by_one.append(exc)
    return one_by_one


def _why(exc: BaseException) -> str:
    """The innermost cause of a PyLD error (PyLD wraps the loader's error in a generic one)."""
    while True:
        inner = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
        if not isinstance(inner, BaseException):
            return str(exc.args[0] if exc.args else exc)
        exc = inner


def _hash_one(event: dict[str, Any], expanded: Any, namespaces: dict[str, str]) -> Hashed:
    if isinstance(expanded, Exception):
        return Hashed(None, f"its JSON-LD could not be expanded: {_why(expanded)[:300]}")
    values: set[str] = set()
    _strings(expanded, values)
    try:
        replaced = json_to_py._replace_bare_string_values(copy.deepcopy(event), values)
        json_to_py._namespaces = dict(namespaces)
        simple = deep_structure_correction(json_to_py._json_to_py(replaced))
        prehashes = hash_generator.derive_prehashes_from_events(("EventList", "", [simple]))
    except Exception as exc:  # a third-party library on hostile input: any failure is this event's problem
        return Hashed(None, f"the CBV 2.0 hash algorithm failed on it ({type(exc).__name__}: {str(exc)[:200]})")
    if len(prehashes) != 1:  # the library logs and drops an event it cannot canonicalise
        return Hashed(None, "the CBV 2.0 hash algorithm could not canonicalise it")
    return Hashed(hash_generator.calculate_hashes_from_pre_hashes(prehashes)[0])


def event_hashes(document: EpcisDocument) -> tuple[Hashed, ...]:
    """The CBV 2.0 hash of every event of the document, in order (see the module's docstring)."""
    return hash_events(list(document.events), document.context)


def hash_events(events: list[dict[str, Any]], context: Any) -> tuple[Hashed, ...]:
    """The CBV 2.0 hash of each event (plain JSON, numbers as floats) under the document context `context`."""
    if not events:
        return ()
    with _LOCK:
        expanded = _expanded_events(context, events)
        namespaces = _namespaces(context)
        saved = json_to_py._namespaces
        try:
            return tuple(_hash_one(event, node, namespaces) for event, node in zip(events, expanded, strict=True))
        finally:
            json_to_py._namespaces = saved


def leaf_of(event_hash: str) -> bytes:
    """The Merkle leaf of an event hash, as `verifyEvent` computes it: keccak256(keccak256(abi.encode(bytes32)))."""
    from eth_utils import keccak

    return keccak(keccak(bytes.fromhex(digest_of(event_hash)[2:])))


def sha256_hex(text: str) -> str:
    """0x-hex SHA-256 of a text (UTF-8): how a document reference (a certificate URI, a PO) becomes a document
    hash."""
    return "0x" + hashlib.sha256(text.encode("utf-8")).hexdigest()
