"""CBV 2.0 vocabulary values in any of the spellings EPCIS 2.0 allows (bare `shipping`, the EPCIS 1.x URN
`urn:epcglobal:cbv:bizstep:shipping`, the Web URI `https://ref.gs1.org/cbv/BizStep-shipping`), and the ledger's own
extension fields.

The ledger's extensions live in one namespace, `urn:provenance-ledger:epcis:` (bind it to a prefix in the
document's `@context`, e.g. `"ledger": "urn:provenance-ledger:epcis:"`); any prefix bound to it is read:

    ilmd  ledger:hsCode              6-digit HS code of the batches the event creates (required: the ledger records it)
    ilmd  ledger:processEmissionsKg  kg CO2e of the production step (shared among co-products like the inputs)
    event ledger:documents           [{"kind": "<DocumentKind>", "hash": "0x..."}]: documents EPCIS has no type for
    event ledger:reason              the reason of a quality hold or recall (disposition non_conformant / recalled)
"""

from __future__ import annotations

from typing import Any

NAMESPACE = "urn:provenance-ledger:epcis:"
PREFIX = "ledger"

_FORMS = {
    "bizstep": ("urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-"),
    "disposition": ("urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-"),
    "btt": ("urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-"),
    "sdt": ("urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-"),
    "er": ("urn:epcglobal:cbv:er:", "https://ref.gs1.org/cbv/ER-"),
}


def cbv(value: Any, kind: str) -> str | None:
    """The bare CBV name of a value of vocabulary `kind` (bizstep, disposition, btt, sdt, er); a non-CBV value (a
    private URI) is returned as it is; None when absent."""
    if not isinstance(value, str):
        return None
    for prefix in _FORMS[kind]:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def prefixes(context: Any) -> frozenset[str]:
    """The prefixes a document's `@context` binds to the ledger's namespace (one may bind several)."""
    found: set[str] = set()
    for item in context if isinstance(context, list) else [context]:
        if isinstance(item, dict):
            found.update(k for k, v in item.items() if v == NAMESPACE)
    return frozenset(found)


def extension(obj: Any, name: str, bound: frozenset[str]) -> Any:
    """The value of the ledger's extension `name` in `obj` (under any bound prefix, or the full IRI), or None."""
    if not isinstance(obj, dict):
        return None
    if NAMESPACE + name in obj:
        return obj[NAMESPACE + name]
    for prefix in bound:
        key = f"{prefix}:{name}"
        if key in obj:
            return obj[key]
    return None


def context_with_namespace(context: Any) -> list[Any]:
    """`context` as a list that also binds `ledger:` to the ledger's namespace (for documents the ledger writes)."""
    items = list(context) if isinstance(context, list) else [context]
    if PREFIX not in prefixes(items) and not any(isinstance(i, dict) and PREFIX in i for i in items):
        items.append({PREFIX: NAMESPACE})
    return items
