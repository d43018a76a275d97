"""EUDR: Regulation (EU) 2023/1115 on deforestation-free products, as amended by Reg. 2024/3234 and 2025/2650.

Applies from 30 Dec 2026 to large and medium operators (30 Jun 2027 to micro and small ones: this pack dates its
rules for the former). In scope: products whose HS code is in Annex I (`data/eudr_annex_i.json`); an `ex` heading
only when the product is made of the commodity, which the lineage shows when it reaches a batch of the commodity.
Plots come from the plot-map GeoJSON documents (PLOT_GEOLOCATION) of the raw-material batches of the commodity;
the other evidence from the documents named in `ledger.regimes.formats`.

Over 400 lines on purpose: a rule pack is a declarative table plus the check that cites each rule's evidence; this
pack's table and geometry checks are read together.
"""

from __future__ import annotations

from datetime import date

from ledger.domain.types import DocumentKind, Hash32, Severity, TraceNode
from ledger.regimes import formats
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context
from ledger.regimes.geojson import POINT_LIMIT_HA, Plot, PlotMap, ProblemKind
from ledger.regimes.model import DocumentEvidence, Pack, ReferenceEvidence, Regime, Rule
from ledger.regimes.reference import annex_i, benchmark, country_boxes

APPLIES = date(2026, 12, 30)
CUT_OFF = date(2020, 12, 31)  # deforestation-free: no deforestation after this date (Art. 2(13))
F, R = Severity.FAIL, Severity.REVIEW

PACK = Pack(
    Regime.EUDR,
    "EU Deforestation Regulation",
    "Regulation (EU) 2023/1115, as amended by (EU) 2024/3234 and (EU) 2025/2650",
    "2025.12",
    (
        Rule(
            "EUDR-E1",
            R,
            "Art. 1, Annex I",
            APPLIES,
            "Scope",
            "The product's HS code is in Annex I; an 'ex' heading is in scope when the product is made of the "
            "commodity.",
        ),
        Rule(
            "EUDR-E2",
            F,
            "Art. 9(1)(d)",
            APPLIES,
            "Plots complete",
            "Every raw-material batch of the commodity carries the geolocation of all its plots (a plot map in the "
            "vault).",
        ),
        Rule(
            "EUDR-E3",
            F,
            "Art. 2(28)",
            APPLIES,
            "Polygons for plots over 4 ha",
            "A plot of more than 4 hectares is described by a polygon, not a point.",
        ),
        Rule(
            "EUDR-E4",
            F,
            "Art. 2(28), Art. 9(1)(d)",
            APPLIES,
            "Plot map valid",
            "The plot map is GeoJSON in WGS84 with at least 6 decimals, closed rings without holes or "
            "self-intersections; a declared area within 10 % of the polygon's (else review).",
        ),
        Rule(
            "EUDR-E5",
            F,
            "Art. 9(1)(c)",
            APPLIES,
            "Country of production",
            "Each plot names its country of production, the country where the raw material was recorded; a plot "
            "outside that country's bounds needs review.",
        ),
        Rule(
            "EUDR-E6",
            F,
            "Art. 9(1)(d)",
            APPLIES,
            "Date of production",
            "Each plot states when it produced the commodity; the period ends no later than the batch.",
        ),
        Rule(
            "EUDR-E7",
            F,
            "Art. 3(a), Art. 2(13), Art. 9(1)(g)",
            APPLIES,
            "Deforestation-free",
            "Evidence that the plots were not deforested after 31 Dec 2020 covers every plot (absent: fail; "
            "incomplete: review).",
        ),
        Rule(
            "EUDR-E8",
            R,
            "Art. 3(b), Art. 9(1)(h)",
            APPLIES,
            "Legality",
            "Each producer of the commodity shows it was produced legally (a permit, concession or land title).",
        ),
        Rule(
            "EUDR-E9",
            F,
            "Art. 3, Art. 9(1)(d)",
            APPLIES,
            "No mixing with unknown origin",
            "The whole lineage is traced and no step of the commodity yields more than its inputs: material of "
            "unknown origin taints the whole product.",
        ),
        Rule(
            "EUDR-E10",
            F,
            "Art. 9(1)(e), (f)",
            APPLIES,
            "Suppliers and customers",
            "Each supplier and customer in the lineage is named with a postal address and an email.",
        ),
        Rule(
            "EUDR-E11",
            R,
            "Art. 29, Art. 10, Art. 13",
            APPLIES,
            "Country risk",
            "Plots in a high-risk country need enhanced scrutiny; in a standard-risk country a risk assessment "
            "concluding negligible risk.",
        ),
        Rule(
            "EUDR-E12",
            F,
            "Art. 4(2), Art. 33",
            APPLIES,
            "Due diligence statement",
            "The product placed on the market carries its due diligence statement's reference and verification "
            "numbers.",
        ),
    ),
)


def check(ctx: Context) -> Checked:
    out = Checked(PACK, ctx.as_of)
    annex = annex_i()
    out.uses(annex.meta)
    root = ctx.root
    entry = annex.lookup(root.batch.hs_code)
    if entry is None:
        out.not_applicable(
            f"HS {root.batch.hs_code} is not in Annex I: the EUDR does not cover this product, whatever it contains."
        )
        return out
    commodity = entry.commodity
    of_commodity = [
        (n, e) for n in ctx.nodes if (e := annex.lookup(n.batch.hs_code)) is not None and e.commodity == commodity
    ]
    raw = [n for n, e in of_commodity if n.batch.is_raw_material and not e.ex]  # the commodity itself, at the plots
    scope_ref = ReferenceEvidence(annex.meta.name, annex.meta.version, entry.label)
    if entry.ex and not any(not e.ex for _n, e in of_commodity):
        out.scope = f"HS {root.batch.hs_code} is under {entry.label}: in scope only if made of {commodity}."
        out.add(
            "EUDR-E1",
            f"{_label(root)} is under {entry.label}, which is in scope only when made of "
            f"{commodity}; its lineage shows no batch of {commodity} itself. Establish what it is made of.",
            scope_ref,
            ctx.recorded(root.batch),
            node=root,
        )
        for rule in PACK.rules[1:]:
            out.skip(rule.id, "the product may not be in scope: see EUDR-E1")
        return out
    made_of = f", made of {commodity} as its lineage shows" if entry.ex else ""
    out.scope = f"HS {root.batch.hs_code} is under {entry.label}{made_of}: in scope."
    for node, e in of_commodity:  # an article of the commodity recorded without inputs: its plots are not traced
        if node.batch.is_raw_material and e.ex:
            out.add(
                "EUDR-E2",
                f"{_label(node)} is an article of {commodity} recorded without inputs: the plots its "
                f"{commodity} comes from are not traced.",
                ctx.recorded(node.batch),
                node=node,
            )
    plots = _plots(ctx, out, raw)
    if commodity == "cattle":
        out.skip("EUDR-E3", "cattle establishments may be described by a point whatever their size")
    else:
        _large_points(out, plots)
    _plot_maps(ctx, out, raw)
    _countries(ctx, out, plots)
    _dates(out, plots)
    _deforestation(ctx, out, raw, plots)
    _legality(ctx, out, raw)
    _mixing(ctx, out, commodity)
    _counterparties(ctx, out)
    _risk(ctx, out, plots)
    _statement(ctx, out)
    return out


def _label(node: TraceNode) -> str:
    b = node.batch
    return f"Batch {b.lot} (GTIN {b.gtin}, HS {b.hs_code}) of {node.producer.profile.legal_name}"


# -- plots ------------------------------------------------------------------------------------------------------

PlotsOf = list[tuple[TraceNode, PlotMap, str, list[Plot]]]


def _plots(ctx: Context, out: Checked, raw: list[TraceNode]) -> PlotsOf:
    """E2: each raw batch of the commodity has a readable plot map; returns the plots found per batch."""
    found: PlotsOf = []
    for node in raw:
        documents = ctx.documents(node, DocumentKind.PLOT_GEOLOCATION)
        if not documents:
            out.add("EUDR-E2", f"{_label(node)} carries no plot geolocation.", ctx.recorded(node.batch), node=node)
            continue
        readable = False
        for document in documents:
            plot_map = ctx.plot_map(document.hash)
            if plot_map is None:
                out.add(
                    "EUDR-E2",
                    f"{_label(node)} cites a plot map {document.hash} that is not in the vault: upload it.",
                    ctx.cited(document, "plot map"),
                    node=node,
                )
                continue
            readable = True
            found.append((node, plot_map, document.hash, list(plot_map.plots)))
        if readable and not any(entry[0] is node and entry[3] for entry in found):
            out.add(
                "EUDR-E2", f"{_label(node)} has no readable plot in its plot map.", ctx.recorded(node.batch), node=node
            )
    return found


def _plot_maps(ctx: Context, out: Checked, raw: list[TraceNode]) -> None:
    """E4: every problem of every plot map."""
    for node in raw:
        for document in ctx.documents(node, DocumentKind.PLOT_GEOLOCATION):
            plot_map = ctx.plot_map(document.hash)
            if plot_map is None:
                continue
            for problem in plot_map.problems:
                severity = Severity.REVIEW if problem.kind is ProblemKind.AREA_MISMATCH else None
                out.add(
                    "EUDR-E4",
                    f"{_label(node)}: {problem.message}.",
                    ctx.cited(document, "plot map"),
                    severity=severity,
                    node=node,
                )


def _large_points(out: Checked, plots: PlotsOf) -> None:
    """E3: a point (no polygon) for a plot over 4 ha fails; a point without an area needs review."""
    for node, _map, digest, items in plots:
        for plot in items:
            if not plot.is_point:
                continue
            evidence = _doc(node, digest)
            if plot.declared_area_ha is None:
                out.add(
                    "EUDR-E3",
                    f"{_label(node)}: plot {plot.id} is a point without a declared area, so it cannot "
                    f"be told whether it is over {POINT_LIMIT_HA} ha.",
                    evidence,
                    severity=Severity.REVIEW,
                    node=node,
                )
            elif plot.declared_area_ha > POINT_LIMIT_HA:
                out.add(
                    "EUDR-E3",
                    f"{_label(node)}: plot {plot.id} covers {plot.declared_area_ha} ha but is "
                    f"described by a point; plots over {POINT_LIMIT_HA} ha need a polygon.",
                    evidence,
                    node=node,
                )


def _doc(node: TraceNode, digest: str) -> DocumentEvidence:
    return DocumentEvidence(Hash32(digest), DocumentKind.PLOT_GEOLOCATION, True, f"plot map of batch {node.batch.lot}")


def _countries(ctx: Context, out: Checked, plots: PlotsOf) -> None:
    """E5: the plot's country of production is the raw batch's country, and its positions lie in that country."""
    boxes = country_boxes()
    for node, _map, digest, items in plots:
        where = ctx.country_of(node)
        for plot in items:
            declared = (plot.producer_country or "").upper()
            if not declared:
                out.add(
                    "EUDR-E5",
                    f"{_label(node)}: plot {plot.id} names no country of production (ProducerCountry).",
                    _doc(node, digest),
                    node=node,
                )
            elif declared != where:
                out.add(
                    "EUDR-E5",
                    f"{_label(node)}: plot {plot.id} declares {declared} as its country of "
                    f"production, but the batch was recorded in {where}.",
                    _doc(node, digest),
                    ctx.recorded(node.batch),
                    node=node,
                )
            else:
                outside = [p for p in plot.positions if boxes.contains(declared, p[0], p[1]) is False]
                if outside:
                    out.uses(boxes.meta)
                    lon, lat = outside[0]
                    out.add(
                        "EUDR-E5",
                        f"{_label(node)}: plot {plot.id} lies (at least partly, e.g. [{lon}, {lat}]) "
                        f"outside {declared}'s bounds.",
                        _doc(node, digest),
                        ReferenceEvidence(boxes.meta.name, boxes.meta.version, declared),
                        severity=Severity.REVIEW,
                        node=node,
                    )


def _dates(out: Checked, plots: PlotsOf) -> None:
    """E6: production dates present, in order, and not after the batch."""
    for node, _map, digest, items in plots:
        made = node.batch.produced_at.date() if node.batch.produced_at else None
        for plot in items:
            evidence = _doc(node, digest)
            start, end = plot.production_start, plot.production_end
            if plot.date_problems:
                out.add(
                    "EUDR-E6", f"{_label(node)}: plot {plot.id}: {'; '.join(plot.date_problems)}.", evidence, node=node
                )
            elif start is None or end is None:
                out.add(
                    "EUDR-E6",
                    f"{_label(node)}: plot {plot.id} does not state its production period "
                    "(ProductionStartDate and ProductionEndDate).",
                    evidence,
                    node=node,
                )
            elif start > end:
                out.add(
                    "EUDR-E6",
                    f"{_label(node)}: plot {plot.id} states a production period from {start} to "
                    f"{end}, which ends before it starts.",
                    evidence,
                    node=node,
                )
            elif made is not None and end > made:
                out.add(
                    "EUDR-E6",
                    f"{_label(node)}: plot {plot.id} produced until {end}, after the batch was made ({made}).",
                    evidence,
                    Context.recorded(node.batch),
                    node=node,
                )


def _deforestation(ctx: Context, out: Checked, raw: list[TraceNode], plots: PlotsOf) -> None:
    """E7: deforestation-free evidence per plot (absent: fail; incomplete or not conclusive: review)."""
    for node in raw:
        ids = {p.id for n, _m, _d, items in plots if n is node for p in items}
        documents = ctx.documents(node, DocumentKind.DEFORESTATION_EVIDENCE)
        if not documents:
            out.add(
                "EUDR-E7",
                f"{_label(node)} carries no evidence that its plots are deforestation-free.",
                ctx.recorded(node.batch),
                node=node,
            )
            continue
        covered: set[str] = set()
        readable = False
        for document in documents:
            evidence, why = ctx.read(document.hash, formats.deforestation_evidence)
            cited = ctx.cited(document, "deforestation-free evidence")
            if evidence is None:
                out.add(
                    "EUDR-E7", f"{_label(node)}: its deforestation evidence {document.hash} is {why}.", cited, node=node
                )
                continue
            readable = True
            if not evidence.deforestation_free:
                out.add(
                    "EUDR-E7",
                    f"{_label(node)}: its evidence finds deforestation on the plots after {CUT_OFF}.",
                    cited,
                    node=node,
                )
            else:
                covered |= set(evidence.plots)
                if evidence.baseline_date > CUT_OFF:
                    out.add(
                        "EUDR-E7",
                        f"{_label(node)}: its evidence compares against {evidence.baseline_date}, after "
                        f"the cut-off of {CUT_OFF}: it cannot show the plots were not deforested in between.",
                        cited,
                        severity=Severity.REVIEW,
                        node=node,
                    )
        missing = sorted(ids - covered)
        if readable and missing:
            out.add(
                "EUDR-E7",
                f"{_label(node)}: no deforestation evidence covers plot(s) {', '.join(missing[:10])}.",
                ctx.recorded(node.batch),
                severity=Severity.REVIEW,
                node=node,
            )


def _legality(ctx: Context, out: Checked, raw: list[TraceNode]) -> None:
    """E8: at least one legality document per producer of the commodity, in the vault."""
    by_producer: dict[str, list[TraceNode]] = {}
    for node in raw:
        by_producer.setdefault(node.producer.address, []).append(node)
    for nodes in by_producer.values():
        documents = [(n, d) for n in nodes for d in ctx.documents(n, DocumentKind.LEGALITY_PERMIT)]
        held = [(n, d) for n, d in documents if ctx.content(d.hash) is not None]
        first = nodes[0]
        if not documents:
            out.add(
                "EUDR-E8",
                f"{first.producer.profile.legal_name} shows no permit, concession or land title for "
                f"the {len(nodes)} raw-material batch(es) it supplied.",
                ctx.recorded(first.batch),
                node=first,
            )
        elif not held:
            n, d = documents[0]
            out.add(
                "EUDR-E8",
                f"{first.producer.profile.legal_name}'s legality document {d.hash} is not in the vault.",
                ctx.cited(d, "legality document"),
                node=n,
            )


def _mixing(ctx: Context, out: Checked, commodity: str) -> None:
    """E9: the lineage is traced to its end, and no step of the commodity weighs more than its inputs."""
    root = ctx.root
    if ctx.trace.truncated:
        out.add(
            "EUDR-E9",
            f"The lineage was cut after {len(ctx.nodes)} batches ({ctx.trace.truncated_by}): "
            f"{len(ctx.trace.continue_from)} batch(es) have inputs that were not traced, so material of unknown "
            "origin cannot be ruled out.",
            ctx.recorded(root.batch),
            node=root,
        )
    annex = annex_i()
    for gain in ctx.mass_gains():
        entry = annex.lookup(gain.node.batch.hs_code)
        if entry is None or entry.commodity != commodity:
            continue
        out.add(
            "EUDR-E9",
            f"{_label(gain.node)} weighs {gain.output_kg} kg but consumed {gain.input_kg} kg of "
            "traced inputs: material of unknown origin was mixed in.",
            ctx.recorded(gain.node.batch),
            node=gain.node,
        )


def _counterparties(ctx: Context, out: Checked) -> None:
    """E10: every producer of the lineage (each is a supplier or a customer on some edge) and the holder the product
    went to are named with a postal address and an email in their profile documents."""
    for participant in ctx.parties():
        problem = ctx.identity_problem(participant, need_email=True)
        if problem is not None:
            message, evidence = problem
            out.add("EUDR-E10", message, *evidence, participant=participant.address)


def _risk(ctx: Context, out: Checked, plots: PlotsOf) -> None:
    """E11: the country benchmark of each plot's country."""
    bench = benchmark()
    out.uses(bench.meta)
    countries = sorted(
        {(p.producer_country or ctx.country_of(node)).upper() for node, _m, _d, items in plots for p in items}
    )
    statement = _dds(ctx)
    for country in countries:
        tier = bench.tier(country)
        ref = ReferenceEvidence(bench.meta.name, bench.meta.version, f"{country}: {tier} risk")
        if tier == "high":
            out.add(
                "EUDR-E11",
                f"Plots in {country}, a high-risk country: enhanced scrutiny (9 % of shipments "
                "checked); the risk must be shown to be negligible.",
                ref,
            )
        elif tier == "standard" and (statement is None or statement.risk_assessment != "negligible"):
            out.add(
                "EUDR-E11",
                f"Plots in {country}, a standard-risk country: a risk assessment concluding "
                "negligible risk must be on file (the due diligence statement records none).",
                ref,
            )


def _dds(ctx: Context) -> formats.DueDiligenceStatement | None:
    _, statement, _ = ctx.first_of(ctx.root, DocumentKind.DUE_DILIGENCE_STATEMENT, formats.dds)
    return statement


def _statement(ctx: Context, out: Checked) -> None:
    """E12: the product carries its due diligence statement (reference and verification numbers)."""
    root = ctx.root
    document, statement, why = ctx.first_of(root, DocumentKind.DUE_DILIGENCE_STATEMENT, formats.dds)
    if document is None:
        out.add("EUDR-E12", f"{_label(root)} carries no due diligence statement.", ctx.recorded(root.batch), node=root)
    elif statement is None:
        out.add(
            "EUDR-E12",
            f"{_label(root)}: its due diligence statement {document.hash} is {why}.",
            ctx.cited(document, "due diligence statement"),
            node=root,
        )
