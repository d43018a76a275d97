"""Supporting documents and lot master data an event carries, as the ledger records them.

Documents (attached to every batch the event creates; the contract keeps 32-byte hashes and a kind):

- `certificationInfo` (a URI or a list of URIs) -> CERTIFICATE;
- `bizTransactionList` -> by business transaction type (CBV BTT): po -> PURCHASE_ORDER, inv -> INVOICE, desadv ->
  DESPATCH_ADVICE, bol -> BILL_OF_LADING, cert -> CERTIFICATE, any other type or none -> OTHER;
- the ledger's extension `ledger:documents` ([{"kind", "hash"}]) for kinds EPCIS has no type for (plot geolocation,
  audit report, packing list, ...).

A standard reference (a certificate's URI, a PO's URI) is recorded as the SHA-256 of the reference itself (UTF-8), so
anyone holding the event can recompute it; the event, with the reference, is stored by the service and committed by
its hash. Lot master data: `ilmd` `ledger:hsCode` and `ledger:processEmissionsKg` (see `vocabulary`).
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from ledger.domain import rules
from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.types import Document, DocumentKind, Hash32
from ledger.epcis.hashing import sha256_hex
from ledger.epcis.vocabulary import cbv, extension

BTT_KINDS = {
    "po": DocumentKind.PURCHASE_ORDER,
    "inv": DocumentKind.INVOICE,
    "desadv": DocumentKind.DESPATCH_ADVICE,
    "bol": DocumentKind.BILL_OF_LADING,
    "cert": DocumentKind.CERTIFICATE,
}
KIND_BTT = {kind: btt for btt, kind in BTT_KINDS.items()}


def documents(event: dict[str, Any], bound: frozenset[str]) -> tuple[Document, ...]:
    """The typed documents an event names, in order: certificates, business transactions, then the extension's."""
    found: list[Document] = []
    certificates = event.get("certificationInfo")
    for uri in certificates if isinstance(certificates, list) else [certificates] if certificates else []:
        found.append(Document(Hash32(sha256_hex(str(uri))), DocumentKind.CERTIFICATE))
    for item in event.get("bizTransactionList") or []:
        kind = BTT_KINDS.get(cbv(item.get("type"), "btt") or "", DocumentKind.OTHER)
        found.append(Document(Hash32(sha256_hex(str(item["bizTransaction"]))), kind))
    listed = extension(event, "documents", bound)
    if listed is not None:
        if not isinstance(listed, list):
            raise ValidationError("ledger:documents must be a list of {kind, hash}", field="ledger:documents")
        for item in listed:
            try:
                kind = DocumentKind(item["kind"])
                found.append(Document(v.hash32(item["hash"], "ledger:documents.hash"), kind))
            except (KeyError, TypeError, ValueError):
                raise ValidationError(
                    f"ledger:documents entry {v.shown(item)} needs a kind (one of "
                    f"{', '.join(k.value for k in DocumentKind)}) and a 0x hash",
                    field="ledger:documents",
                ) from None
    if len(found) > rules.MAX_DOCUMENTS:
        raise ValidationError(
            f"the event names {len(found)} documents; a batch records at most {rules.MAX_DOCUMENTS}", field="documents"
        )
    return tuple(found)


def hs_code(event: dict[str, Any], bound: frozenset[str]) -> str:
    value = extension(event.get("ilmd"), "hsCode", bound)
    if value is None:
        raise ValidationError(
            "the event gives no HS code for the batches it creates: put the 6-digit code in ilmd "
            'as ledger:hsCode (with "ledger": "urn:provenance-ledger:epcis:" in @context)',
            field="ilmd",
        )
    return v.hs_code(str(value))


def process_emissions(event: dict[str, Any], bound: frozenset[str]) -> Decimal | None:
    value = extension(event.get("ilmd"), "processEmissionsKg", bound)
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(
            f"ledger:processEmissionsKg must be a number, got {v.shown(value)}", field="ledger:processEmissionsKg"
        ) from None
    return v.quantity(number, "ledger:processEmissionsKg", allow_zero=True, maximum_milli=rules.MAX_EMISSIONS_GRAMS)


def reason(event: dict[str, Any], bound: frozenset[str], default: str) -> str:
    value = extension(event, "reason", bound)
    text = value if isinstance(value, str) and value.strip() else default
    return v.text(text, "ledger:reason", max_bytes=rules.MAX_TEXT_BYTES)
