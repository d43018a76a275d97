"""Text renderings: trace graphs as Mermaid and Graphviz DOT, the due-diligence report as one printable HTML page."""

from __future__ import annotations

from html import escape

from api.schemas.diligence import ReportOut
from api.schemas.regimes import (
    DocumentEvidenceOut,
    ListEntryEvidenceOut,
    ReferenceEvidenceOut,
    RegimeSectionOut,
    TxEvidenceOut,
)
from ledger import Trace, quantity_text, unit_name


def _node_label(trace: Trace, index: int) -> tuple[str, str]:
    node = trace.nodes[index]
    b = node.batch
    where = node.facility_subdivision or node.producer.profile.country
    flags = " ⚑" if b.active_flags else ""
    return f"n{index}", (
        f"{b.lot}{flags}\n{node.producer.profile.legal_name}\n{where} · {quantity_text(b.quantity, b.unit)}"
    )


def _cut_note(trace: Trace) -> str:
    """One line on where the trace was cut, for a comment of either format."""
    if trace.truncated_by is None:
        return ""
    return (
        f"truncated by {trace.truncated_by.value}: the inputs of {len(trace.continue_from)} batch(es) were not "
        f"followed; trace each to continue: {' '.join(trace.continue_from)}"
    )


def trace_mermaid(trace: Trace) -> str:
    """Mermaid flowchart, inputs below outputs; batches whose inputs were not followed have a dashed border.
    Linear in nodes + edges."""
    ids = {n.batch.id: i for i, n in enumerate(trace.nodes)}
    lines = ["graph BT"]
    if note := _cut_note(trace):
        lines.append(f"  %% {note}")
    for i in range(len(trace.nodes)):
        name, label = _node_label(trace, i)
        text = label.replace('"', "'").replace("\n", "<br/>")
        lines.append(f'  {name}["{text}"]')
    for e in trace.edges:
        if e.input_id in ids and e.output_id in ids:
            lines.append(f'  n{ids[e.input_id]} -- "{e.quantity}" --> n{ids[e.output_id]}')
    if trace.continue_from:
        lines.append("  classDef cut stroke-dasharray: 5 5")
        lines.append(f"  class {','.join(f'n{ids[b]}' for b in trace.continue_from if b in ids)} cut")
    return "\n".join(lines) + "\n"


def trace_dot(trace: Trace) -> str:
    """Graphviz digraph, inputs below outputs; batches whose inputs were not followed are drawn dashed. Linear in
    nodes + edges."""
    ids = {n.batch.id: i for i, n in enumerate(trace.nodes)}
    cut = set(trace.continue_from)
    lines = ["digraph trace {", "  rankdir=BT;", '  node [shape=box, fontname="Helvetica"];']
    if note := _cut_note(trace):
        lines.append(f"  // {note}")
    for i, node in enumerate(trace.nodes):
        name, label = _node_label(trace, i)
        text = label.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
        color = ', color="red"' if node.batch.active_flags else ""
        style = ", style=dashed" if node.batch.id in cut else ""
        lines.append(f'  {name} [label="{text}"{color}{style}];')
    for e in trace.edges:
        if e.input_id in ids and e.output_id in ids:
            lines.append(f'  n{ids[e.input_id]} -> n{ids[e.output_id]} [label="{e.quantity}"];')
    return "\n".join(lines) + "\n}\n"


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;max-width:60em;margin:2em auto;color:#222}
h1{font-size:1.4em;margin-bottom:.2em} h2{font-size:1.1em;margin-top:1.6em;border-bottom:1px solid #ccc}
.verdict{display:inline-block;padding:.2em .7em;border-radius:.3em;font-weight:bold;color:#fff}
.PASS{background:#2e7d32}.REVIEW{background:#ef6c00}.FAIL{background:#c62828}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #eee;padding:.3em;text-align:left;
vertical-align:top} .fail{color:#c62828;font-weight:bold}.review{color:#ef6c00;font-weight:bold}.info{color:#555}
code{font-size:.85em;word-break:break-all} .muted{color:#666}
.NOT_APPLICABLE,.UPCOMING{background:#607d8b} .upcoming{color:#607d8b} .pass{color:#2e7d32}
.regime{margin-top:1.2em;padding:.2em .8em;border-left:4px solid #ccc} ul.evidence{margin:0;padding-left:1.1em}
@media print{body{margin:0}}
"""


def report_html(report: ReportOut) -> str:
    b, s, f = report.batch, report.summary, report.footprint
    rows = (
        "".join(
            f"<tr><td class='{x.severity.value}'>{escape(x.severity.value)}</td><td>{escape(x.rule.value)}</td>"
            f"<td>{escape(x.message)}</td><td><code>{escape(x.evidence.tx_hash)}</code><br>"
            f"<span class='muted'>block {x.evidence.block_number}</span></td></tr>"
            for x in report.findings
        )
        or "<tr><td colspan='4'>No findings.</td></tr>"
    )
    policy = report.policy
    documents = (
        "; ".join(f"{tier}: {', '.join(k.value for k in kinds)}" for tier, kinds in policy.required_documents.items())
        or "none"
    )
    max_age = f"{policy.max_disclosure_age_days} days" if policy.max_disclosure_age_days else "no limit"
    cut = " The lineage was cut short (see lineage_truncated)." if s.truncated else ""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Due diligence: {escape(b.lot)}</title>
<style>{STYLE}</style></head><body>
<h1>Due-diligence report <span class="verdict {report.verdict.value}">{report.verdict.value}</span></h1>
<p><b>{escape(b.lot)}</b> · GTIN {escape(b.gtin)} · {escape(quantity_text(b.quantity, b.unit))} · produced by
{escape(b.producer.legal_name)} ({escape(b.producer.country)})<br>
<span class="muted">Batch <code>{escape(b.id)}</code>, recorded in block {b.recorded.block_number}
(<code>{escape(b.recorded.tx_hash)}</code>). Facts as of block {report.as_of_block}
({report.as_of_time.isoformat()}).</span></p>
<h2>Findings</h2>
<table><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>On-chain evidence</th></tr>{rows}</table>
{_regimes_html(report.regimes)}
<h2>Supply chain</h2>
<p>{s.tiers} tiers, {s.batches} batches, {s.suppliers} suppliers in {escape(", ".join(s.countries))}
(regions {escape(", ".join(s.regions))}). {s.audited_input_share:.0%} of upstream batches come from suppliers whose
latest disclosure is audited. All {s.checked_by_contract} batches were recorded on chain and checked by the contract
when recorded (inputs held, mass balance, bounds).{cut}</p>
<h2>Cradle-to-gate footprint</h2>
<p><b>{f.per_unit_kg} kg CO2e per {escape(unit_name(f.unit))}</b>
({f.total_kg} kg CO2e for the batch). {f.data_coverage:.0%} of the lineage is backed by reported \
emissions{"; the figure is a lower bound" if f.steps_without_data else ""}.</p>
<h2>Policy applied</h2>
<table>
<tr><td>Rejected regions</td><td>{escape(", ".join(policy.reject_regions) or "none")}</td></tr>
<tr><td>Regions for review</td><td>{escape(", ".join(policy.review_regions) or "none")}</td></tr>
<tr><td>Frameworks required</td><td>{escape(", ".join(policy.required_frameworks) or "none")}</td></tr>
<tr><td>Maximum disclosure age</td><td>{max_age}</td></tr>
<tr><td>Assurance required</td><td>{escape(policy.required_assurance.value)}</td></tr>
<tr><td>Documents required</td><td>{escape(documents)}</td></tr>
<tr><td>Flagged batches</td><td>{"fail" if policy.reject_flagged else "review"}</td></tr>
<tr><td>Maximum footprint per unit</td><td>{policy.max_footprint_per_unit_kg or "none"}</td></tr>
</table>
</body></html>
"""


def _evidence_html(e: TxEvidenceOut | DocumentEvidenceOut | ListEntryEvidenceOut | ReferenceEvidenceOut) -> str:
    if isinstance(e, TxEvidenceOut):
        return f"{escape(e.what)}: <code>{escape(e.tx_hash)}</code> <span class='muted'>block {e.block_number}</span>"
    if isinstance(e, DocumentEvidenceOut):
        held = "" if e.in_vault else " <span class='review'>(not in the vault)</span>"
        kind = f" ({escape(e.document_kind.value.replace('_', ' '))})" if e.document_kind else ""
        return f"{escape(e.what)}{kind}: <code>{escape(e.sha256)}</code>{held}"
    if isinstance(e, ListEntryEvidenceOut):
        return (
            f"{escape(e.list)} list v{e.list_version} of {e.list_date}, line {e.row}: "
            f"'{escape(e.matched)}' (entry '{escape(e.entry)}') for '{escape(e.screened)}', score {e.score:.0f}"
        )
    return f"{escape(e.name)} ({escape(e.version)}): {escape(e.entry)}"


def _regime_html(section: RegimeSectionOut) -> str:
    rules = "".join(
        f"<tr><td>{escape(r.rule)}</td><td>{escape(r.title)}</td><td>{escape(r.article)}</td>"
        f"<td>{r.applies_from}{' <span class=upcoming>(upcoming)</span>' if r.status.value == 'upcoming' else ''}</td>"
        f"<td class='{r.outcome.value}'>{escape(r.outcome.value.replace('_', ' '))}"
        f"{'<br><span class=muted>' + escape(r.note) + '</span>' if r.note else ''}</td></tr>"
        for r in section.rules
    )
    findings = (
        "".join(
            f"<tr><td class='{x.severity.value}'>{escape(x.severity.value)}"
            f"{'<br><span class=upcoming>upcoming</span>' if x.status.value == 'upcoming' else ''}</td>"
            f"<td>{escape(x.rule)}<br><span class='muted'>{escape(x.article)}</span></td><td>{escape(x.message)}</td>"
            f"<td><ul class='evidence'>{''.join(f'<li>{_evidence_html(e)}</li>' for e in x.evidence)}</ul></td></tr>"
            for x in section.findings
        )
        or "<tr><td colspan='4'>No findings.</td></tr>"
    )
    data = "; ".join(f"{escape(d.name)} ({escape(d.version)}, {d.date})" for d in section.reference_data)
    lists = (
        "; ".join(
            f"{escape(u.name)} list version {u.version} of {u.list_date} ({u.entries} entries)" for u in section.lists
        )
        or "none"
    )
    outlook = (
        f" Once every rule applies: <span class='verdict {section.outlook.value}'>{section.outlook.value}</span>."
        if section.outlook != section.verdict
        else ""
    )
    return f"""<section class="regime"><h3>{escape(section.regime.value)}: {escape(section.title)}
<span class="verdict {section.verdict.value}">{section.verdict.value.replace("_", " ")}</span></h3>
<p>{escape(section.law)}; rules version {escape(section.rules_version)}, applied as of {section.as_of}.{outlook}<br>
<span class="muted">{escape(section.scope)}</span></p>
<table><tr><th>Rule</th><th>Requires</th><th>Article</th><th>Applies from</th><th>Outcome</th></tr>{rules}</table>
<h4>Findings</h4>
<table><tr><th>Severity</th><th>Rule</th><th>Finding</th><th>Evidence</th></tr>{findings}</table>
<p class="muted">Reference data: {data or "none"}. Screening lists: {lists}.</p></section>"""


def _regimes_html(sections: list[RegimeSectionOut]) -> str:
    if not sections:
        return ""
    return "<h2>Regimes</h2>\n" + "\n".join(_regime_html(s) for s in sections)
