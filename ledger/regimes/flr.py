"""EU_FLR: the Forced Labour Regulation (EU) 2024/3015. From 14 Dec 2027 a product made with forced labour at any
stage is banned from the Union market (placing, making available, export), whatever the operator's size (Art. 3).
Competent authorities decide on a risk basis, helped by the Commission's database of forced-labour risk areas and
products (Art. 8): a lineage touching one needs review, as does a supplier the operator cannot name on request or an
open forced-labour finding in an audit of the lineage. The risk areas are a dated snapshot
(`data/flr_risk.json`) until the Commission's database is loaded in its place.
"""

from __future__ import annotations

from datetime import date

from ledger.domain.types import DocumentKind, Severity
from ledger.regimes import formats
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context
from ledger.regimes.model import Pack, ReferenceEvidence, Regime, Rule
from ledger.regimes.reference import flr_risk

APPLIES = date(2027, 12, 14)
R = Severity.REVIEW

PACK = Pack(
    Regime.EU_FLR,
    "EU Forced Labour Regulation",
    "Regulation (EU) 2024/3015",
    "2024.12",
    (
        Rule(
            "FLR-F1",
            R,
            "Art. 3, Art. 8",
            APPLIES,
            "Risk areas and products",
            "No batch of the lineage comes from a forced-labour risk area or is a risk product of the database.",
        ),
        Rule(
            "FLR-F2",
            R,
            "Art. 3",
            APPLIES,
            "Suppliers identified",
            "Every manufacturer and supplier of the lineage can be named with its postal address, as authorities may "
            "ask.",
        ),
        Rule(
            "FLR-F3",
            R,
            "Art. 3",
            APPLIES,
            "No open forced-labour finding",
            "No social audit of the lineage reports forced labour that is still open.",
        ),
    ),
)


def check(ctx: Context) -> Checked:
    out = Checked(PACK, ctx.as_of)
    risk = flr_risk()
    out.uses(risk.meta)
    out.scope = "Every product placed or made available on the Union market, or exported from it."
    for node in ctx.nodes:
        region = node.facility_subdivision
        if region in risk.regions:
            out.add(
                "FLR-F1",
                f"Batch {node.batch.lot} of {node.producer.profile.legal_name} was made in {region}, "
                "a forced-labour risk area.",
                ctx.recorded(node.batch),
                ReferenceEvidence(risk.meta.name, risk.meta.version, region or ""),
                node=node,
            )
        elif (product := risk.products.group(node.batch.hs_code)) is not None:
            out.add(
                "FLR-F1",
                f"Batch {node.batch.lot} (HS {node.batch.hs_code}) is a forced-labour {product}.",
                ctx.recorded(node.batch),
                ReferenceEvidence(risk.meta.name, risk.meta.version, node.batch.hs_code),
                node=node,
            )
    for participant in ctx.producers().values():
        problem = ctx.identity_problem(participant, need_email=False)
        if problem is not None:
            message, evidence = problem
            out.add("FLR-F2", message, *evidence, participant=participant.address)
    for node in ctx.nodes:
        for document in ctx.documents(node, DocumentKind.AUDIT_REPORT):
            audit, _why = ctx.read(document.hash, formats.social_audit)
            if audit is None:
                continue
            for finding in audit.findings:
                if finding.open and finding.issue == "forced_labour":
                    out.add(
                        "FLR-F3",
                        f"{node.producer.profile.legal_name}'s {audit.standard} audit of "
                        f"{audit.audited_on} reports forced labour (finding {finding.id}), still open.",
                        ctx.cited(document, "social audit"),
                        node=node,
                    )
    return out
