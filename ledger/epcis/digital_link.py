"""GS1 Digital Link resolution for the ledger's batches (GS1-Conformant Resolver Standard 1.2; the requirements and
their sections are listed in `tests/ledger/epcis/test_resolver_conformance.py`).

A request names a GTIN (primary key 01) and maybe qualifiers: `/01/{gtin}[/22/{cpv}][/10/{lot}][/21/{serial}]`,
data attributes in the query string. The ledger records batches, i.e. GTIN + lot, so:

- a lot that is recorded: the batches of that GTIN and lot (one per producer; a serial under it resolves as its lot);
- a GTIN alone: the GTIN's batches (its newest lots);
- a lot that is not recorded, or a serial or CPV without a lot: the request walks up to the GTIN (GS1 2.5.9), but
  never redirects there: another lot's passport is not this label's, so the answer is 300 with the GTIN's linkset;
- nothing recorded for the GTIN: 404.

Links per batch: its passport (gs1:pip, the default link: public, as the label that carries the link) and, for a
signed-in member who may see the batch (`may_see`, the access rules), the batch (gs1:masterData), its trace
(gs1:traceability), its lineage as EPCIS (gs1:epcis) and its due-diligence report (gs1:sustainabilityInfo).

Without `linkType` the answer redirects to the default link; `linkType=linkset` (or the deprecated `all`), or an
`Accept` of `application/linkset+json`, answers the RFC 9264 linkset; another `linkType` redirects to that link, and
is 404 when the caller has no such link (GS1 2.6.2). Several batches offering the asked link (two producers of one
lot, a GTIN with several lots) cannot be chosen between: 300 with the linkset.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger.domain.errors import NotFoundError
from ledger.epcis.keys import DigitalLinkSyntaxError, ProductRequest, digital_link, product_request

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.domain.types import Batch

#: The GS1 Web Vocabulary as the resolver standard 1.2 names it (`gs1:`); requests may also use the older
#: `https://gs1.org/voc/` and `https://www.gs1.org/voc/` forms of the same terms.
GS1 = "https://ref.gs1.org/voc/"
GS1_NAMESPACES = (GS1, "https://gs1.org/voc/", "https://www.gs1.org/voc/", "http://gs1.org/voc/", "gs1:")
#: The linkset's JSON-LD context, published by GS1 with the standard (sent as a Link header, never fetched here).
LINKSET_CONTEXT = "https://ref.gs1.org/standards/resolver/linkset-context"


class Link(NamedTuple):
    path: str
    title: str
    type: str


#: Link relation -> the link on this service (the passport and report routes apply the access rules themselves).
DEFAULT_LINKS: Mapping[str, Link] = {
    "pip": Link("/batches/{batch_id}/passport", "Product passport", "text/html"),
    "masterData": Link("/batches/{batch_id}", "Batch record", "application/json"),
    "traceability": Link("/batches/{batch_id}/trace", "Upstream trace", "application/json"),
    "epcis": Link("/batches/{batch_id}/epcis", "EPCIS events of the lineage", "application/ld+json"),
    "sustainabilityInfo": Link("/due-diligence/{batch_id}", "Due-diligence report", "application/json"),
}
DEFAULT_LINK = "pip"
PUBLIC_LINKS = frozenset({DEFAULT_LINK})
LINKSET_TYPES = frozenset({"linkset", "all"})
#: Language of the pages and titles the links lead to.
HREFLANG = ["en"]
MAX_BATCHES = 20
#: Producers of one GTIN and lot looked at, oldest kept first.
MAX_PRODUCERS = 1_000
MAX_LINK_TYPE = 100


@dataclass(frozen=True)
class Resolution:
    """What to answer: `status` 307 with `target` (a path on this service, to put after the base URL), or 200 / 300
    with `linkset` (RFC 9264 JSON, hrefs from the base URL given). `level` is the path of the Digital Link the
    answer is about (the request's, or its GTIN's when it walked up), whose `?linkType=linkset` is the linkset."""

    status: int
    anchor: str
    level: str
    target: str | None
    linkset: dict[str, Any] | None


def resolve(
    ledger: Ledger,
    path: str,
    may_see: Callable[[str], bool],
    base_url: str,
    *,
    query: str = "",
    link_type: str | None = None,
    want_linkset: bool = False,
    anonymous: bool = False,
    links: Mapping[str, Link] = DEFAULT_LINKS,
) -> Resolution:
    """Resolve a Digital Link request (see the module's docstring): `path` and `query` as the request carried them
    (percent-encoded), `base_url` the trusted base of the links written into the linkset."""
    asked = product_request(path, query)
    wanted = relation_of(link_type)
    base = base_url.rstrip("/")
    batches, level_lot, walked_up = _candidates(ledger, asked)
    level = digital_link(asked.gtin, level_lot, base="")
    anchor = base + level
    allowed: dict[str, frozenset[str]] = {
        b.id: frozenset(links) if not anonymous and may_see(b.id) else PUBLIC_LINKS for b in batches
    }
    linkset = _linkset(anchor, base, batches, allowed, links, by_lot=level_lot is None)
    if wanted in LINKSET_TYPES or (wanted is None and want_linkset):
        return Resolution(200, anchor, level, None, linkset)
    relation = wanted or DEFAULT_LINK
    if relation == "defaultLink":
        relation = DEFAULT_LINK
    offering = [b for b in batches if relation in allowed[b.id]]
    if not offering:
        raise NotFoundError(
            f"no gs1:{relation} link you may follow for {level}: its linkset "
            f"({level}?linkType=linkset) lists those there are"
        )
    if walked_up or len(offering) > 1:
        return Resolution(300, anchor, level, None, linkset)
    return Resolution(307, anchor, level, links[relation].path.format(batch_id=offering[0].id), None)


def relation_of(link_type: str | None) -> str | None:
    """The relation a `linkType` names, its GS1 namespace (CURIE or URI) removed; None for no `linkType`."""
    if link_type is None or link_type == "":
        return None
    if len(link_type) > MAX_LINK_TYPE or not link_type.isprintable():
        raise DigitalLinkSyntaxError(
            f"linkType is a GS1 link type such as gs1:pip, at most {MAX_LINK_TYPE} characters", field="linkType"
        )
    for namespace in GS1_NAMESPACES:
        if link_type.startswith(namespace):
            return link_type[len(namespace) :]
    return link_type


def _candidates(ledger: Ledger, asked: ProductRequest) -> tuple[list[Batch], str | None, bool]:
    """The batches the request is about, the lot of the level answered (None: the GTIN), and whether the request
    walked up from a qualifier the ledger could not match."""
    if asked.lot is not None:
        # oldest first: the batch recorded first under a label is its default (GTINs are not tied to their GS1
        # licensee on chain, so a later producer using the same GTIN and lot comes after it, never in its place)
        found = ledger.search_batches(gtin=asked.gtin, lot=asked.lot, limit=MAX_PRODUCERS)
        if found:
            return [b for b, _ in sorted(found, key=lambda item: item[1])][:MAX_BATCHES], asked.lot, False
    newest = [b for b, _ in ledger.search_batches(gtin=asked.gtin, limit=MAX_BATCHES)]
    if not newest:
        raise NotFoundError(f"nothing is recorded for GTIN {asked.gtin}")
    return newest, None, asked.qualified


def _linkset(
    anchor: str,
    base: str,
    batches: list[Batch],
    allowed: Mapping[str, frozenset[str]],
    links: Mapping[str, Link],
    *,
    by_lot: bool,
) -> dict[str, Any]:
    entry: dict[str, Any] = {"anchor": anchor}
    several = len(batches) > 1
    for relation, link in links.items():
        targets = [
            {
                "href": base + link.path.format(batch_id=b.id),
                "title": link.title + (_which(b, i, allowed[b.id], by_lot) if several or by_lot else ""),
                "type": link.type,
                "hreflang": HREFLANG,
            }
            for i, b in enumerate(batches, 1)
            if relation in allowed[b.id]
        ]
        if targets:
            entry[GS1 + relation] = targets
    default = links[DEFAULT_LINK]
    # the default link carries a title and nothing else (GS1 2.5.8)
    entry[GS1 + "defaultLink"] = [
        {
            "href": base + default.path.format(batch_id=batches[0].id),
            "title": default.title
            + (_which(batches[0], 1, allowed[batches[0].id], by_lot) if several or by_lot else ""),
        }
    ]
    return {"linkset": [entry]}


def _which(batch: Batch, number: int, allowed: frozenset[str], by_lot: bool) -> str:
    """Which of several batches a link is for: its lot at the GTIN's level, and its producer for who may see the
    batch (else only its number)."""
    who = batch.producer if allowed != PUBLIC_LINKS else f"batch {number}"
    return f" (lot {batch.lot}, {who})" if by_lot else f" ({who})"


def description(base_url: str, name: str) -> dict[str, Any]:
    """The resolver description file (`/.well-known/gs1resolver`, GS1-Conformant Resolver 1.2 section 3)."""
    return {
        "name": name,
        "resolverRoot": base_url.rstrip("/"),
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [{"namespace": GS1, "prefix": "gs1:"}],
        "linkTypeDefaultCanBeLinkset": False,
        "jsonLdContextLocation": LINKSET_CONTEXT,
    }
