"""UFLPA: the US Uyghur Forced Labor Prevention Act (Pub. L. 117-78), in force since 21 Jun 2022.

Goods made wholly or in part in Xinjiang, or by an entity on the UFLPA Entity List, are presumed made with forced
labour and barred from entry (§3(a)); an importer shows otherwise with complete supply-chain tracing to the raw
material (CBP Operational Guidance for Importers, 13 Jun 2022). The Entity List is a screening list the operator
loads (`ledger regimes load-list uflpa`); participants are screened under their legal name (on chain) and the local
names and aliases their profile document lists.
"""

from __future__ import annotations

from datetime import date, timedelta

from ledger.domain.types import DocumentKind, Severity, TraceNode
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context
from ledger.regimes.model import ListEntryEvidence, ListUse, Pack, ReferenceEvidence, Regime, Rule
from ledger.regimes.reference import raw_materials, uflpa_sectors
from ledger.regimes.screening import FUZZY_THRESHOLD

IN_FORCE = date(2022, 6, 21)
XUAR = "CN-XJ"
LIST = "uflpa"
#: A list version older than this at the report's date may miss entities added since (the list grows every few
#: months).
MAX_LIST_AGE = timedelta(days=90)
#: Transaction records CBP expects per step of the supply chain, by group: one of each group.
EDGE_DOCUMENTS: tuple[tuple[str, tuple[DocumentKind, ...]], ...] = (
    ("purchase order or invoice", (DocumentKind.PURCHASE_ORDER, DocumentKind.INVOICE)),
    (
        "packing list, bill of lading or despatch advice",
        (DocumentKind.PACKING_LIST, DocumentKind.BILL_OF_LADING, DocumentKind.DESPATCH_ADVICE),
    ),
    ("proof of payment", (DocumentKind.PAYMENT_PROOF,)),
)
F, R = Severity.FAIL, Severity.REVIEW

PACK = Pack(
    Regime.UFLPA,
    "Uyghur Forced Labor Prevention Act",
    "Pub. L. 117-78 (19 U.S.C. 1307), CBP Operational Guidance for Importers (2022)",
    "2025.08",
    (
        Rule(
            "UFLPA-U1",
            F,
            "§3(a)",
            IN_FORCE,
            "No Xinjiang nexus",
            "No batch of the lineage was made in the Xinjiang Uyghur Autonomous Region (CN-XJ).",
        ),
        Rule(
            "UFLPA-U2",
            F,
            "§2(d)(2)(B), §3(a)",
            IN_FORCE,
            "UFLPA Entity List",
            "No producer of the lineage is on the UFLPA Entity List (an exact match fails; a close one needs review, "
            "with its score).",
        ),
        Rule(
            "UFLPA-U3",
            F,
            "§3(b); CBP guidance",
            IN_FORCE,
            "Traced to the raw material",
            "Every branch of the lineage ends at a raw material (needs review; fails for a high-priority sector).",
        ),
        Rule(
            "UFLPA-U4",
            R,
            "CBP guidance",
            IN_FORCE,
            "Transaction records per step",
            "Each input consumed comes with a purchase order or invoice, a packing list, bill of lading or despatch "
            "advice, and a proof of payment.",
        ),
        Rule(
            "UFLPA-U5",
            R,
            "CBP guidance",
            IN_FORCE,
            "Plausible quantities",
            "No step yields more by weight than the inputs it consumed.",
        ),
        Rule(
            "UFLPA-U6",
            R,
            "§2(d)(2)(B)",
            IN_FORCE,
            "Current Entity List",
            "The Entity List screened against was published within 90 days of the report's date.",
        ),
    ),
)


def check(ctx: Context) -> Checked:
    out = Checked(PACK, ctx.as_of)
    sectors = uflpa_sectors()
    out.uses(sectors.meta)
    root = ctx.root
    sector = sectors.group(root.batch.hs_code)
    out.scope = (
        f"Goods imported into the United States. HS {root.batch.hs_code} is in a high-priority sector ({sector})."
        if sector
        else f"Goods imported into the United States. HS {root.batch.hs_code} is not in a high-priority sector."
    )
    _xinjiang(ctx, out)
    _entity_list(ctx, out)
    _raw_materials(ctx, out, sector)
    _transaction_records(ctx, out)
    for gain in ctx.mass_gains():
        out.add(
            "UFLPA-U5",
            f"{_label(gain.node)} weighs {gain.output_kg} kg but consumed only {gain.input_kg} kg of traced inputs.",
            ctx.recorded(gain.node.batch),
            node=gain.node,
        )
    return out


def _label(node: TraceNode) -> str:
    b = node.batch
    return f"Batch {b.lot} (GTIN {b.gtin}, tier {node.depth}) of {node.producer.profile.legal_name}"


def _xinjiang(ctx: Context, out: Checked) -> None:
    for node in ctx.nodes:
        if node.facility_subdivision == XUAR:
            out.add(
                "UFLPA-U1",
                f"{_label(node)} was made at facility {node.batch.facility} in Xinjiang (CN-XJ): the "
                "goods are presumed made with forced labour.",
                ctx.recorded(node.batch),
                node=node,
            )


def _entity_list(ctx: Context, out: Checked) -> None:
    lists = ctx.sources.lists
    used = lists.current(LIST, ctx.as_of) if lists is not None else None
    if lists is None or used is None:
        out.add(
            "UFLPA-U2",
            f"No UFLPA Entity List published on or before {ctx.as_of} is loaded: the producers "
            "were not screened (ledger regimes load-list uflpa FILE --date YYYY-MM-DD).",
            severity=Severity.REVIEW,
        )
        out.skip("UFLPA-U6", "no Entity List loaded")
        return
    out.uses_list(ListUse(used.name, used.version, used.list_date, used.sha256, used.entries))
    age = ctx.as_of - used.list_date
    if age > MAX_LIST_AGE:
        out.add(
            "UFLPA-U6",
            f"The Entity List screened against (version {used.version}, published {used.list_date}) "
            f"is {age.days} days old at {ctx.as_of}; entities added since are missed. Load the current list.",
            severity=Severity.REVIEW,
        )
    for participant in ctx.producers().values():
        profile, evidence, _why = ctx.profile(participant)
        names = [participant.profile.legal_name, *(profile.other_names if profile else ())]
        for match in lists.screen(used, names, FUZZY_THRESHOLD):
            entry = ListEntryEvidence(
                used.name,
                used.version,
                used.list_date,
                match.entry.name,
                match.matched,
                match.screened,
                match.score,
                match.entry.row,
            )
            cited = (
                entry,
                ctx.registered(participant),
                *((evidence,) if evidence and match.screened != names[0] else ()),
            )
            if match.exact:
                out.add(
                    "UFLPA-U2",
                    f"{participant.profile.legal_name} is on the UFLPA Entity List (version "
                    f"{used.version} of {used.list_date}): '{match.screened}' is listed as '{match.matched}'.",
                    *cited,
                    participant=participant.address,
                )
            else:
                out.add(
                    "UFLPA-U2",
                    f"{participant.profile.legal_name} resembles an entry of the UFLPA Entity List "
                    f"(version {used.version} of {used.list_date}): '{match.screened}' and '{match.matched}' "
                    f"score {match.score:.0f}/100. Confirm whether they are the same entity.",
                    *cited,
                    severity=Severity.REVIEW,
                    participant=participant.address,
                )


def _raw_materials(ctx: Context, out: Checked, sector: str | None) -> None:
    raw = raw_materials()
    out.uses(raw.meta)
    severity = Severity.FAIL if sector else Severity.REVIEW
    why = f" ({sector} is a high-priority sector)" if sector else ""
    for node in ctx.leaves():
        if raw.group(node.batch.hs_code) is None:
            out.add(
                "UFLPA-U3",
                f"{_label(node)} has no recorded inputs, but HS {node.batch.hs_code} is not a raw "
                f"material: its supply chain is not traced to the raw material{why}.",
                ctx.recorded(node.batch),
                ReferenceEvidence(raw.meta.name, raw.meta.version, node.batch.hs_code),
                severity=severity,
                node=node,
            )
    if ctx.trace.truncated:
        root = ctx.root
        out.add(
            "UFLPA-U3",
            f"The lineage was cut after {len(ctx.nodes)} batches: {len(ctx.trace.continue_from)} "
            f"batch(es) were not traced to their raw materials{why}.",
            ctx.recorded(root.batch),
            severity=severity,
            node=root,
        )


def _transaction_records(ctx: Context, out: Checked) -> None:
    for edge in ctx.edges:
        supplied = ctx.node(edge.input_id)
        kinds = {d.kind for d in supplied.batch.documents}
        missing = [label for label, group in EDGE_DOCUMENTS if not kinds & set(group)]
        if missing:
            made = ctx.node(edge.output_id)
            out.add(
                "UFLPA-U4",
                f"{_label(supplied)}, consumed by {made.producer.profile.legal_name} for batch "
                f"{made.batch.lot}, carries no {', no '.join(missing)}.",
                ctx.recorded(supplied.batch),
                node=supplied,
            )
