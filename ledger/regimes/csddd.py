"""CSDDD: Directive (EU) 2024/1760 on corporate sustainability due diligence, as amended by Omnibus I (Directive (EU)
2026/470). Applies from 26 Jul 2029 to companies over the thresholds (EU: more than 5,000 employees and EUR 1.5 bn
turnover; non-EU: EUR 1.5 bn turnover in the EU): the buyer knows whether it is one. A conduct duty, not a product
ban: the rules ask for review, never fail a product.

Supplier disclosures and attestations come from the chain; social-audit findings from the `social-audit/1` documents
the batches of the lineage carry (AUDIT_REPORT).
"""

from __future__ import annotations

from datetime import date, timedelta

from ledger.domain.types import Disclosure, Document, DocumentKind, Participant, Role, Severity, TraceNode
from ledger.regimes import formats
from ledger.regimes.checks import Checked
from ledger.regimes.context import Context
from ledger.regimes.model import Pack, Regime, Rule, TxEvidence

APPLIES = date(2029, 7, 26)
MAX_AGE = timedelta(days=548)  # a disclosure's period ended at most 18 months before the report's date
R = Severity.REVIEW

PACK = Pack(
    Regime.CSDDD,
    "Corporate Sustainability Due Diligence Directive",
    "Directive (EU) 2024/1760, as amended by Directive (EU) 2026/470 (Omnibus I)",
    "2026.02",
    (
        Rule(
            "CSDDD-C1",
            R,
            "Art. 8",
            APPLIES,
            "Current disclosure",
            "Each supplier has an ESG disclosure whose period ended less than 18 months ago.",
        ),
        Rule(
            "CSDDD-C2",
            R,
            "Art. 15",
            APPLIES,
            "Valid attestation",
            "Each supplier's latest disclosure is attested, with assurance, by a registered, active auditor.",
        ),
        Rule(
            "CSDDD-C3",
            R,
            "Art. 10, Art. 11",
            APPLIES,
            "Open severe findings",
            "Severe social-audit findings (forced or child labour, or critical) have a corrective action plan that is "
            "not overdue.",
        ),
        Rule(
            "CSDDD-C4",
            R,
            "Art. 12",
            APPLIES,
            "Remediation evidenced",
            "Closed social-audit findings of major or critical severity cite evidence of their remediation, held in "
            "the vault.",
        ),
    ),
)


def check(ctx: Context) -> Checked:
    out = Checked(PACK, ctx.as_of)
    out.scope = (
        "Companies over the Directive's thresholds (EU: more than 5,000 employees and EUR 1.5 bn turnover; "
        "non-EU: EUR 1.5 bn turnover in the EU): the buyer knows whether it is one."
    )
    for address, participant in ctx.producers().items():
        disclosures = list(ctx.sources.disclosures.get(address, ()))
        latest = max(disclosures, key=lambda d: (d.latest.tx.block_number, d.latest.tx.log_index), default=None)
        _current(ctx, out, participant, latest)
        _attested(ctx, out, participant, latest)
    audits = [
        (node, document, audit)
        for node in ctx.nodes
        for document in ctx.documents(node, DocumentKind.AUDIT_REPORT)
        if (audit := ctx.read(document.hash, formats.social_audit)[0]) is not None
    ]
    if not audits:
        for rule_id in ("CSDDD-C3", "CSDDD-C4"):
            out.skip(rule_id, "no social audit (social-audit/1) in the lineage")
    for node, document, audit in audits:
        _findings(ctx, out, node, document, audit)
    return out


def period_end(period: str) -> date:
    """The last day of a reporting period: 2025, 2025-H1, 2025-Q3."""
    year = int(period[:4])
    part = period[5:]
    month = {"": 12, "H1": 6, "H2": 12, "Q1": 3, "Q2": 6, "Q3": 9, "Q4": 12}.get(part, 12)
    following = date(year + (month == 12), month % 12 + 1, 1)
    return following - timedelta(days=1)


def _current(ctx: Context, out: Checked, participant: Participant, latest: Disclosure | None) -> None:
    name = participant.profile.legal_name
    if latest is None:
        out.add(
            "CSDDD-C1",
            f"{name} has published no ESG disclosure.",
            ctx.registered(participant),
            participant=participant.address,
        )
        return
    ended = period_end(latest.period)
    if ctx.as_of - ended > MAX_AGE:
        out.add(
            "CSDDD-C1",
            f"{name}'s latest disclosure ({latest.framework} {latest.period}) covers a period that "
            f"ended {ended}, {(ctx.as_of - ended).days} days before {ctx.as_of} (at most 548).",
            TxEvidence(latest.latest.tx, f"{name}'s {latest.framework} {latest.period} disclosure"),
            participant=participant.address,
        )


def _attested(ctx: Context, out: Checked, participant: Participant, latest: Disclosure | None) -> None:
    if latest is None:
        return
    name = participant.profile.legal_name
    what = f"{name}'s {latest.framework} {latest.period} disclosure"
    head = TxEvidence(latest.latest.tx, what)
    assurance = latest.assurance
    if assurance is None:
        why = (
            "was amended after its attestation"
            if latest.amended_since_attestation
            else "has no attestation that gives assurance (none, revoked, adverse or a disclaimer)"
        )
        out.add("CSDDD-C2", f"{what} {why}.", head, participant=participant.address)
        return
    auditor = ctx.sources.participants.get(assurance.auditor)
    attested = TxEvidence(assurance.tx, f"attestation of {what}")
    if auditor is None or Role.AUDITOR not in auditor.roles:
        out.add(
            "CSDDD-C2",
            f"{what} is attested by {assurance.auditor}, which is not a registered auditor.",
            attested,
            participant=participant.address,
        )
    elif auditor.suspended:
        out.add(
            "CSDDD-C2",
            f"{what} is attested by {auditor.profile.legal_name}, which is suspended.",
            attested,
            participant=participant.address,
        )


def _findings(ctx: Context, out: Checked, node: TraceNode, document: Document, audit: formats.SocialAudit) -> None:
    cited = ctx.cited(document, f"{audit.standard} social audit of {audit.audited_on}")
    who = node.producer.profile.legal_name
    for finding in audit.findings:
        label = (
            f"{who}'s {audit.standard} audit of {audit.audited_on}, finding {finding.id} ({finding.issue}, "
            f"{finding.severity})"
        )
        if finding.open and finding.severe:
            if finding.corrective_action_due is None:
                out.add("CSDDD-C3", f"{label} is open without a corrective action plan.", cited, node=node)
            elif finding.corrective_action_due < ctx.as_of:
                out.add(
                    "CSDDD-C3",
                    f"{label} is open; its corrective action was due {finding.corrective_action_due}.",
                    cited,
                    node=node,
                )
        if not finding.open and finding.severity in ("critical", "major"):
            if finding.remediation_evidence is None:
                out.add("CSDDD-C4", f"{label} is closed without evidence of remediation.", cited, node=node)
            elif ctx.content_of(node.batch.producer, finding.remediation_evidence) is None:
                out.add(
                    "CSDDD-C4",
                    f"{label} is closed; its remediation evidence {finding.remediation_evidence} is not in the vault.",
                    cited,
                    node=node,
                )
