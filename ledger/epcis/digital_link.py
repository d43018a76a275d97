"""GET /01/{gtin}/10/{lot}: the service as a GS1 Digital Link resolver for its batches (GS1-Conformant Resolver
conventions).

The GTIN may be given in any of its lengths (8, 12, 13, 14 digits; its check digit is verified) and the lot is
checked against AI (10). Without `linkType` the answer is a redirect (307) to the default link, the batch's product
passport; `linkType=linkset` (or `all`) answers an RFC 9264 linkset (`application/linkset+json`) with a link per
relation for each batch of that GTIN and lot the caller may see: the batch (gs1:masterData), its trace
(gs1:traceability), its EPCIS events (gs1:epcis: the lineage document), its due-diligence report
(gs1:sustainabilityInfo) and its passport (gs1:pip, the default link). Another `linkType` redirects to that link (one
the resolver does not offer: to the default link).
Anyone gets the passport (it is public, as the label that carries the link); the other links are for signed-in
members who may see the batch. When producers recorded the same GTIN and lot, a redirect cannot choose: the linkset
is answered with 300 (Multiple Choices).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.epcis.keys import digital_link, gtin_and_lot
from ledger.errors import NotFoundError

if TYPE_CHECKING:
    from ledger.client import Ledger

GS1 = "https://gs1.org/voc/"
#: Link relation -> path on this service (the passport and report routes are the access layer's).
DEFAULT_LINKS: Mapping[str, tuple[str, str]] = {
    "pip": ("/batches/{batch_id}/passport", "Product passport"),
    "masterData": ("/batches/{batch_id}", "Batch record"),
    "traceability": ("/batches/{batch_id}/trace", "Upstream trace"),
    "epcis": ("/batches/{batch_id}/epcis", "EPCIS events of the lineage"),
    "sustainabilityInfo": ("/due-diligence/{batch_id}", "Due-diligence report"),
}
DEFAULT_LINK = "pip"
PUBLIC_LINKS = frozenset({"pip"})
LINKSET_TYPES = frozenset({"linkset", "all"})
MAX_BATCHES = 20
#: Producers of one GTIN and lot looked at, oldest kept first.
MAX_PRODUCERS = 1_000


@dataclass(frozen=True)
class Resolution:
    """What to answer: `status` 307 with `location`, or 200 / 300 with `linkset` (RFC 9264 JSON). `link_header` is
    the `Link` header every answer carries (the linkset's address)."""

    status: int
    anchor: str
    location: str | None
    linkset: dict[str, Any] | None
    link_header: str


def resolve(ledger: Ledger, gtin: str, lot: str, may_see: Callable[[str], bool], base_url: str, *,
            link_type: str | None = None, anonymous: bool = False,
            links: Mapping[str, tuple[str, str]] = DEFAULT_LINKS) -> Resolution:
    """Resolve `/01/{gtin}/10/{lot}` (see the module's docstring). Every batch of the GTIN and lot has its public
    link (the passport, as on its label); the others only for a signed-in caller who may see that batch."""
    checked_gtin, checked_lot = gtin_and_lot(gtin, lot)
    base = base_url.rstrip("/")
    anchor = digital_link(checked_gtin, checked_lot, base=base)
    # oldest first: the batch recorded first under a label is its default (GTINs are not tied to their GS1 licensee
    # on chain, so a later producer using the same GTIN and lot comes after it, never in its place)
    # (one batch per producer: at most one per registered factory)
    found = ledger.search_batches(gtin=checked_gtin, lot=checked_lot, limit=MAX_PRODUCERS)
    batches = [b for b, _ in sorted(found, key=lambda item: item[1])][:MAX_BATCHES]
    if not batches:
        raise NotFoundError(f"no batch with GTIN {checked_gtin} and lot {checked_lot}")
    allowed: dict[str, frozenset[str]] = {
        b.id: frozenset(links) if not anonymous and may_see(b.id) else PUBLIC_LINKS for b in batches}
    wanted = (link_type or "").removeprefix("gs1:").removeprefix(GS1)
    linkset = _linkset(anchor, base, batches, allowed, links)
    header = f'<{anchor}?linkType=linkset>; rel="linkset"; type="application/linkset+json"'
    if wanted in LINKSET_TYPES:
        return Resolution(200, anchor, None, linkset, header)
    if len(batches) > 1:
        return Resolution(300, anchor, None, linkset, header)
    only = batches[0]
    relation = wanted if wanted in allowed[only.id] else DEFAULT_LINK  # a link not offered: the default, as GS1 says
    path, _title = links[relation]
    return Resolution(307, anchor, base + path.format(batch_id=only.id), None, header)


def _linkset(anchor: str, base: str, batches: list[Any], allowed: Mapping[str, frozenset[str]],
             links: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    entry: dict[str, Any] = {"anchor": anchor}
    several = len(batches) > 1
    for relation, (path, title) in links.items():
        targets = [{"href": base + path.format(batch_id=b.id), "title": title + (_which(b, i, allowed[b.id])
                                                                                 if several else ""),
                    "type": "application/json"} for i, b in enumerate(batches, 1) if relation in allowed[b.id]]
        if targets:
            entry[GS1 + relation] = targets
    default_path, default_title = links[DEFAULT_LINK]
    entry[GS1 + "defaultLink"] = [{"href": base + default_path.format(batch_id=batches[0].id),
                                   "title": default_title}]
    return {"linkset": [entry]}


def _which(batch: Any, number: int, allowed: frozenset[str]) -> str:
    """Which of several batches a link is for: its producer for who may see the batch, else only its number."""
    return f" ({batch.producer})" if allowed != PUBLIC_LINKS else f" (batch {number})"
