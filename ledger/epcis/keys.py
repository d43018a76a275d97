"""GS1 keys as EPCIS writes them: EPC URNs (TDS 2.0), GS1 Digital Link URIs and element strings, read into the
ledger's GTIN, lot and GLN.

Digital Link URIs and element strings ((01)...(10)... as printed under a barcode, or the raw scanned string) are
parsed by `biip`. An EPC URN carries its key split at the company prefix and without a check digit
(`urn:epc:class:lgtin:4012345.012345.998877`); it is turned into the GS1 element string it stands for (TDS 2.0
section 6) and that string goes through `biip` too. The keys found are then checked by `ledger.domain.validation`, the
one home of the GTIN, GLN and lot rules (check digits; a lot of 1 to 20 characters of GS1's character set 82): a key
read from an EPCIS document is refused with the words a native write would get.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qsl, unquote

from biip import ParseError
from biip.gs1_digital_link_uris import GS1DigitalLinkURI
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message

from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.types import Gln, Gtin
from ledger.domain.validation import gs1_check_digit, shown

DIGITAL_LINK_BASE = "https://id.gs1.org"


#: Characters of a GTIN as the API takes it: a Digital Link URI or element string with its lot fits.
MAX_LABEL_CHARS = 200


class GS1KeyError(ValidationError):
    """An identifier that is no valid GS1 key of the kind expected."""

    code = "gs1_key"


@dataclass(frozen=True)
class ClassKey:
    """A product class: a GTIN and, at lot level, a lot (None: every lot of the GTIN, e.g. `urn:epc:idpat:sgtin:
    4012345.012345.*` or a Digital Link URI without `/10/`)."""

    gtin: Gtin
    lot: str | None


@dataclass(frozen=True)
class InstanceKey:
    """One serialised item (SGTIN): a GTIN and a serial."""

    gtin: Gtin
    serial: str


# -- element strings and Digital Link (biip) --------------------------------------------------------------------


def _gtin_of(element: GS1ElementString, source: str) -> Gtin:
    try:
        return v.gtin(element.value)
    except ValidationError as exc:
        raise GS1KeyError(f"{shown(source)}: {exc}", field="gtin") from None


def _gln_of(element: GS1ElementString, source: str) -> Gln:
    try:
        return v.gln(element.value)
    except ValidationError as exc:
        raise GS1KeyError(f"{shown(source)}: {exc}", field="gln") from None


def _elements(value: str, field: str = "gs1_key") -> dict[str, GS1ElementString]:
    """The element strings of a Digital Link URI, a bracketed element string or a raw scanned one, by AI."""
    text = value.strip()
    try:
        if text.startswith(("http://", "https://")):
            found = GS1DigitalLinkURI.parse(text).element_strings
        elif text.startswith("("):
            found = GS1Message.parse_hri(text).element_strings
        else:
            found = GS1Message.parse(text.removeprefix("]d2").removeprefix("]C1").removeprefix("]Q3")).element_strings
    except ParseError as exc:
        raise GS1KeyError(f"{shown(value)} is no GS1 key this ledger reads: {_reason(exc)}", field=field) from None
    return {element.ai.ai: element for element in found}


def _reason(exc: ParseError) -> str:
    text = str(exc)
    if "GS1 AI (10)" in text:
        return f"a lot (AI 10) is 1 to 20 characters of GS1's character set 82 ({text})"
    return text


def _lot(value: str, source: str) -> str:
    try:
        return v.lot(value)
    except ValidationError as exc:
        raise GS1KeyError(f"{shown(source)}: {exc}", field="lot") from None


def gtin_and_lot(value: str, lot: str | None = None) -> tuple[Gtin, str]:
    """A GTIN and a lot from what a user holds: a Digital Link URI (`https://id.gs1.org/01/{gtin}/10/{lot}`), a
    scanned or printed element string (`(01)...(10)...`), or a GTIN (any length) with the lot given apart."""
    gtin, chosen = product_key(value, lot)
    if chosen is None:
        raise GS1KeyError(
            f"{shown(value)} has no lot (batch) number, and the ledger keeps each lot of a product as a "
            "batch of its own: give the lot too, beside the GTIN (`lot` in the API, `--lot` on the "
            f"command line) or in the label's Digital Link URI (its path /01/{gtin}/10/LOT) or element "
            f"string ((01){gtin}(10)LOT)",
            field="lot",
        )
    return gtin, chosen


def product_key(value: str, lot: str | None = None) -> tuple[Gtin, str | None]:
    """As `gtin_and_lot`, where the lot may be absent (a search over every lot of a GTIN)."""
    text = value.strip()
    if text.isdigit() and len(text) in (8, 12, 13, 14):
        text = f"(01){text.zfill(14)}"
    elements = _elements(text, "gtin")
    if "01" not in elements:
        raise GS1KeyError(f"{shown(value)} names no GTIN (AI 01)", field="gtin")
    gtin = _gtin_of(elements["01"], value)
    found = elements["10"].value if "10" in elements else None
    if found is not None and lot is not None and found != lot:
        raise GS1KeyError(f"{shown(value)} names lot {found!r}, not {lot!r}", field="lot")
    chosen = found if found is not None else lot
    return gtin, None if chosen is None else _lot(chosen, value)


class DigitalLinkSyntaxError(GS1KeyError):
    """A request that is no GS1 Digital Link URI: the resolver answers 400 (GS1-Conformant Resolver 2.4.1)."""

    code = "digital_link_syntax"


#: Characters of a resolver request's path and query string looked at; longer is no label's URI.
MAX_REQUEST_PATH = 400
MAX_REQUEST_QUERY = 2_000
#: The qualifiers of a GTIN (URI Syntax 4.9): they belong in the path, never in the query string.
GTIN_QUALIFIERS = frozenset({"22", "10", "21", "235"})


@dataclass(frozen=True)
class ProductRequest:
    """What a Digital Link request names under a GTIN: its lot and serial when given, and whether it names a
    qualifier at all (a CPV, lot, serial or TPX). Data attributes of the query string (`?17=271231`) are checked,
    not kept: the resolver passes the query string on as it came."""

    gtin: Gtin
    lot: str | None
    serial: str | None
    qualified: bool


def product_request(path: str, query: str = "") -> ProductRequest:
    """Read a resolver request for primary key 01: the raw (percent-encoded) path `/01/{gtin}[/22/..][/10/..]
    [/21/..]` (one trailing slash tolerated, as GS1 asks) and the raw query string. Anything that is no GS1 Digital
    Link URI (path order, AI formats, check digits, a qualifier in the query string) is a `DigitalLinkSyntaxError`."""
    if len(path) > MAX_REQUEST_PATH or len(query) > MAX_REQUEST_QUERY:
        raise DigitalLinkSyntaxError(
            f"a Digital Link of at most {MAX_REQUEST_PATH} characters of path and "
            f"{MAX_REQUEST_QUERY} of query string is read",
            field="uri",
        )
    if not all(" " < c < "\x7f" for c in path + query):
        raise DigitalLinkSyntaxError("a Digital Link URI is ASCII, reserved characters percent-encoded", field="uri")
    trimmed = path[:-1] if path.endswith("/") and path != "/" else path
    try:
        in_path = _request_elements(trimmed, "")
        if query:
            _request_elements(trimmed, query)  # the query's data attributes (e.g. 17, an expiry date) are checked
            named = {key for key, _ in parse_qsl(query, keep_blank_values=True)}  # each key, also one the path has
            misplaced = sorted(named & (GTIN_QUALIFIERS | {"01"}))
            if misplaced:
                raise GS1KeyError(
                    f"AI ({misplaced[0]}) is the GTIN or qualifies it: it belongs in the path, once, "
                    "not in the query string",
                    field="uri",
                )
        if "01" not in in_path:
            raise GS1KeyError(f"{shown(path)} names no GTIN (AI 01)", field="gtin")
        gtin = _gtin_of(in_path["01"], path)
        lot = _lot(in_path["10"].value, path) if "10" in in_path else None
    except DigitalLinkSyntaxError:
        raise
    except GS1KeyError as exc:
        raise DigitalLinkSyntaxError(str(exc), field=exc.field) from None
    serial = in_path["21"].value if "21" in in_path else None
    return ProductRequest(gtin, lot, serial, qualified=len(in_path) > 1)


def _request_elements(path: str, query: str) -> dict[str, GS1ElementString]:
    uri = DIGITAL_LINK_BASE + path + (f"?{query}" if query else "")
    try:
        found = GS1DigitalLinkURI.parse(uri).element_strings
    except ParseError as exc:
        shown_uri = shown(path + (f"?{query}" if query else ""))
        raise GS1KeyError(f"{shown_uri} is no GS1 Digital Link URI: {_reason(exc)}", field="uri") from None
    return {element.ai.ai: element for element in found}


def digital_link(gtin: str, lot: str | None = None, *, base: str = DIGITAL_LINK_BASE) -> str:
    """The GS1 Digital Link URI of a GTIN (and lot), e.g. `https://id.gs1.org/01/09506000134352/10/ABC`."""
    message = GS1Message.parse("01" + gtin.zfill(14) + ("10" + lot if lot is not None else ""))
    return (
        GS1DigitalLinkURI.from_element_strings(message.element_strings)
        .as_uri(domain=None)
        .replace(DIGITAL_LINK_BASE, base.rstrip("/"), 1)
    )


def location_uri(gln: str) -> str:
    """A site (GLN, AI 414) as a Digital Link URI: what the ledger writes as bizLocation."""
    return f"{DIGITAL_LINK_BASE}/414/{gln}"


def party_uri(gln: str) -> str:
    """A party (party GLN, AI 417) as a Digital Link URI: what the ledger writes as a source or destination."""
    return f"{DIGITAL_LINK_BASE}/417/{gln}"


# -- EPC URNs (TDS 2.0) ----------------------------------------------------------------------------------------------


def _urn_parts(uri: str, prefix: str, count: int) -> list[str]:
    parts = uri[len(prefix) :].split(".")
    if len(parts) != count:
        raise GS1KeyError(f"{shown(uri)} is not a well-formed {prefix[:-1]} URN", field="epc")
    return parts


def _gtin_from_urn(company: str, item: str, uri: str) -> str:
    if not (company.isdigit() and item.isdigit() and 6 <= len(company) <= 12 and len(company) + len(item) == 13):
        raise GS1KeyError(f"{shown(uri)}: company prefix and item reference must be 13 digits together", field="epc")
    body = item[0] + company + item[1:]
    return body + str(gs1_check_digit(body))


def _gln_from_urn(company: str, reference: str, uri: str) -> str:
    if not (
        company.isdigit() and reference.isdigit() and 6 <= len(company) <= 12 and len(company) + len(reference) == 12
    ):
        raise GS1KeyError(
            f"{shown(uri)}: company prefix and location reference must be 12 digits together", field="gln"
        )
    body = company + reference
    return body + str(gs1_check_digit(body))


def class_key(uri: str) -> ClassKey:
    """The class an `epcClass` names: an LGTIN URN, an SGTIN pattern (all lots), or a Digital Link URI."""
    return _known_class_key(uri) if len(uri) <= 256 else _class_key(uri)


def _class_key(uri: str) -> ClassKey:
    if uri.startswith("urn:epc:class:lgtin:"):
        company, item, lot = _urn_parts(uri, "urn:epc:class:lgtin:", 3)
        gtin = _gtin_of(_elements("01" + _gtin_from_urn(company, item, uri))["01"], uri)
        return ClassKey(gtin, _lot(unquote(lot), uri))
    if uri.startswith("urn:epc:idpat:sgtin:"):
        company, item, rest = _urn_parts(uri, "urn:epc:idpat:sgtin:", 3)
        if rest != "*":
            raise GS1KeyError(f"{shown(uri)}: an SGTIN pattern for a class ends in '*'", field="epcClass")
        return ClassKey(_gtin_of(_elements("01" + _gtin_from_urn(company, item, uri))["01"], uri), None)
    if uri.startswith(("http://", "https://")):
        elements = _elements(uri)
        if "01" not in elements or "21" in elements:
            raise GS1KeyError(f"{shown(uri)} names no product class (a GTIN, with a lot or none)", field="epcClass")
        gtin = _gtin_of(elements["01"], uri)
        return ClassKey(gtin, _lot(elements["10"].value, uri) if "10" in elements else None)
    raise GS1KeyError(
        f"{shown(uri)} is no product class this ledger reads (an LGTIN URN, an SGTIN pattern or a "
        "GS1 Digital Link URI)",
        field="epcClass",
    )


#: A document names each lot several times (made, consumed, shipped); identifiers of a sane length are remembered.
_known_class_key = lru_cache(maxsize=65_536)(_class_key)


def instance_key(uri: str) -> InstanceKey | None:
    """The serialised item an EPC names (SGTIN URN or Digital Link with AI 21); None for other EPCs (SSCC, GRAI,
    ...)."""
    if uri.startswith("urn:epc:id:sgtin:"):
        company, item, serial = _urn_parts(uri, "urn:epc:id:sgtin:", 3)
        return InstanceKey(Gtin(_gtin_from_urn(company, item, uri)), unquote(serial))
    if uri.startswith(("http://", "https://")) and "/01/" in uri and "/21/" in uri:
        elements = _elements(uri)
        return InstanceKey(_gtin_of(elements["01"], uri), elements["21"].value)
    return None


def location_gln(uri: str) -> Gln:
    """The GLN of a location (bizLocation, readPoint, a `location` source or destination): an SGLN URN (its
    extension names a place inside the site) or a Digital Link URI with AI 414."""
    if uri.startswith("urn:epc:id:sgln:"):
        company, reference, _extension = _urn_parts(uri, "urn:epc:id:sgln:", 3)
        return _gln_of(_elements("414" + _gln_from_urn(company, reference, uri))["414"], uri)
    if uri.startswith(("http://", "https://")):
        elements = _elements(uri)
        if "414" in elements:
            return _gln_of(elements["414"], uri)
    raise GS1KeyError(
        f"{shown(uri)} names no location (an SGLN URN or a Digital Link URI with AI 414)", field="location"
    )


def party_gln(uri: str) -> Gln:
    """The party GLN of an owning or possessing party: a PGLN URN, an SGLN URN (GS1's examples name parties by
    SGLN), or a Digital Link URI with AI 417 (or 414)."""
    if uri.startswith("urn:epc:id:pgln:"):
        company, reference = _urn_parts(uri, "urn:epc:id:pgln:", 2)
        return _gln_of(_elements("417" + _gln_from_urn(company, reference, uri))["417"], uri)
    if uri.startswith(("http://", "https://")):
        elements = _elements(uri)
        for ai in ("417", "414"):
            if ai in elements:
                return _gln_of(elements[ai], uri)
        raise GS1KeyError(f"{shown(uri)} names no party (AI 417)", field="party")
    return location_gln(uri)
