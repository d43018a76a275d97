"""Due-diligence report: a batch's upstream lineage checked against a buyer's policy.

`evaluate` is pure: it takes a trace, the producers' disclosures and the time of the report's block, and reads
every fact as it stood at `as_of_block` (later flags, disclosure versions, attestations and revocations are
ignored), so the same request at the same block always gives the same report. `due_diligence` reads those inputs
from a `Ledger`.

Over 400 lines on purpose: `evaluate` and its rule checks are one pure function over the lineage, each rule a few
lines beside the policy field it reads.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import pycountry

from ledger.diligence.footprint import Footprint, roll_up
from ledger.diligence.policy import Assurance, Policy
from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import (
    Address,
    Batch,
    BatchId,
    Disclosure,
    Flag,
    FlagKind,
    Opinion,
    Participant,
    Severity,
    Trace,
    TraceLimit,
    TraceNode,
    TxRef,
    Verdict,
)
from ledger.domain.validation import unit_name
from ledger.regimes import NoDocuments, Regime, RegimeSection, ScreeningLists, Sources, evaluate_regimes, regimes_of

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.documents.vault import Vault


class Rule(StrEnum):
    HIGH_RISK_REGION = "high_risk_region"
    REVIEW_REGION = "review_region"
    MISSING_DOCUMENT = "missing_document"
    ACTIVE_FLAG = "active_flag"
    PARTICIPANT_SUSPENDED = "participant_suspended"
    NO_DISCLOSURE = "no_disclosure"
    FRAMEWORK_MISSING = "framework_missing"
    DISCLOSURE_OUTDATED = "disclosure_outdated"
    ASSURANCE_BELOW_REQUIRED = "assurance_below_required"
    AMENDED_SINCE_ATTESTATION = "amended_since_attestation"
    ATTESTATION_REVOKED = "attestation_revoked"
    ADVERSE_OPINION = "adverse_opinion"
    QUALIFIED_OPINION = "qualified_opinion"
    FOOTPRINT_OVER_LIMIT = "footprint_over_limit"
    FOOTPRINT_INCOMPLETE = "footprint_incomplete"
    LINEAGE_TRUNCATED = "lineage_truncated"


SEVERITY_ORDER = {Severity.FAIL: 0, Severity.REVIEW: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: Rule
    message: str
    evidence: TxRef
    participant: Address | None = None
    batch_id: BatchId | None = None
    tier: int | None = None


@dataclass(frozen=True)
class Summary:
    tiers: int
    batches: int
    suppliers: int
    countries: tuple[str, ...]
    regions: tuple[str, ...]
    audited_input_share: Decimal  # share of upstream batches whose producer's latest disclosure is audited
    truncated: bool
    #: Batches of the lineage whose facts the contract checked when they were recorded (inputs held, mass balance,
    #: bounds): every one, as a lineage holds recorded batches only (anchored records count once claimed).
    checked_by_contract: int = 0


@dataclass(frozen=True)
class Report:
    batch: Batch
    producer: Participant
    #: The verdict of the buyer's policy alone; `verdict` is the report's, which no regime's may be worse than.
    policy_verdict: Verdict
    findings: tuple[Finding, ...]
    summary: Summary
    footprint: Footprint
    policy: Policy
    as_of_block: int
    as_of_time: datetime
    #: One section per regime asked for (`ledger.regimes`), in the order asked.
    regimes: tuple[RegimeSection, ...] = field(default=())

    @property
    def verdict(self) -> Verdict:
        """The report's verdict: the worst of the policy's and of every regime's in force (a regime not yet in force
        or not covering the product counts for nothing), so a failing section never sits under a milder badge."""
        return Verdict.worst([self.policy_verdict, *(s.verdict for s in self.regimes)])


# -- reading facts as of a block ---------------------------------------------------------------------------------


def _at(ref: TxRef | None, block: int) -> bool:
    return ref is not None and ref.block_number <= block


def disclosure_as_of(disclosure: Disclosure, block: int) -> Disclosure | None:
    """The disclosure as it stood at `block` (None if it was not published yet)."""
    versions = tuple(v for v in disclosure.versions if _at(v.tx, block))
    if not versions:
        return None
    attestations = tuple(
        a if _at(a.revoked, block) else dataclasses.replace(a, revoked=None, revoke_reason=None)
        for a in disclosure.attestations
        if _at(a.tx, block)
    )
    return dataclasses.replace(disclosure, versions=versions, attestations=attestations)


def trace_as_of(trace: Trace, block: int) -> Trace:
    """The trace with batches, custody and flags recorded after `block` left out."""
    if block > trace.as_of_block:
        raise ValidationError(f"as_of_block {block} is ahead of the index ({trace.as_of_block})", field="as_of_block")
    root = trace.node(trace.root)
    if not _at(root.batch.recorded, block):
        raise NotFoundError(f"batch {trace.root} was not recorded yet at block {block}")
    nodes = tuple(
        dataclasses.replace(
            n,
            batch=dataclasses.replace(
                n.batch,
                flags=tuple(f for f in n.batch.flags if _at(f.tx, block)),
                custody=tuple(c for c in n.batch.custody if _at(c.tx, block)),
            ),
        )
        for n in trace.nodes
        if _at(n.batch.recorded, block)
    )
    return dataclasses.replace(trace, nodes=nodes, as_of_block=block)


# -- evaluation --------------------------------------------------------------------------------------------------


def _place(code: str) -> str:
    found = pycountry.subdivisions.get(code=code) if "-" in code else pycountry.countries.get(alpha_2=code)
    return f"{code} ({found.name})" if found is not None else code


def _label(node: TraceNode) -> str:
    b = node.batch
    return f"batch {b.lot} (GTIN {b.gtin}, tier {node.depth}) of {node.producer.profile.legal_name}"


def _region_hit(node: TraceNode, codes: Sequence[str]) -> str | None:
    country = node.producer.profile.country
    subdivision = node.facility_subdivision or ""
    for code in codes:
        if code == subdivision or (("-" not in code) and (code == country or subdivision.startswith(code + "-"))):
            return subdivision if "-" in code else code
    return None


def _active_flags(batch: Batch) -> list[Flag]:
    active: list[Flag] = []
    for flag in batch.flags:
        if flag.kind is FlagKind.RELEASE:
            active.clear()
        else:
            active.append(flag)
    return active


def _batch_findings(node: TraceNode, policy: Policy) -> list[Finding]:
    b = node.batch
    found: list[Finding] = []
    where: dict[str, Any] = {"participant": b.producer, "batch_id": b.id, "tier": node.depth}
    hit = _region_hit(node, policy.reject_regions)
    if hit:
        found.append(
            Finding(
                Severity.FAIL,
                Rule.HIGH_RISK_REGION,
                f"{_label(node)} was produced at facility {b.facility} in {_place(hit)}, a region the policy rejects.",
                b.recorded,
                **where,
            )
        )
    elif hit := _region_hit(node, policy.review_regions):
        found.append(
            Finding(
                Severity.REVIEW,
                Rule.REVIEW_REGION,
                f"{_label(node)} was produced at facility {b.facility} in {_place(hit)}, a region the "
                "policy marks for review.",
                b.recorded,
                **where,
            )
        )
    have = {d.kind for d in b.documents}
    missing = [k for k in policy.documents_for(node.depth, b.is_raw_material) if k not in have]
    if missing:
        tier = "raw-material tier" if b.is_raw_material else f"tier {node.depth}"
        found.append(
            Finding(
                Severity.REVIEW,
                Rule.MISSING_DOCUMENT,
                f"{_label(node)} carries no {', '.join(k.value.replace('_', ' ') for k in missing)}, "
                f"which the policy requires at the {tier}.",
                b.recorded,
                **where,
            )
        )
    for flag in _active_flags(b):
        severity = Severity.FAIL if policy.reject_flagged else Severity.REVIEW
        found.append(
            Finding(
                severity,
                Rule.ACTIVE_FLAG,
                f"{_label(node)} is under an active {flag.kind.value.replace('_', ' ')}: {flag.reason}.",
                flag.tx,
                **where,
            )
        )
    return found


def _supplier_findings(
    participant: Participant,
    disclosures: Sequence[Disclosure],
    latest: Disclosure | None,
    policy: Policy,
    as_of_time: datetime,
) -> list[Finding]:
    found: list[Finding] = []
    name = participant.profile.legal_name
    where: dict[str, Any] = {"participant": participant.address}
    if participant.suspended:
        found.append(
            Finding(
                Severity.REVIEW,
                Rule.PARTICIPANT_SUSPENDED,
                f"{name} is suspended from the ledger.",
                participant.registered,
                **where,
            )
        )
    required = policy.required_assurance is not Assurance.NONE
    if latest is None:
        if policy.required_frameworks:
            found.append(
                Finding(
                    Severity.REVIEW,
                    Rule.FRAMEWORK_MISSING,
                    f"{name} has published no disclosure under {' or '.join(policy.required_frameworks)}.",
                    participant.registered,
                    **where,
                )
            )
        else:
            found.append(
                Finding(
                    Severity.REVIEW if required else Severity.INFO,
                    Rule.NO_DISCLOSURE,
                    f"{name} has published no ESG disclosure.",
                    participant.registered,
                    **where,
                )
            )
        return found
    head = latest.latest
    what = f"{name}'s {latest.framework} {latest.period} disclosure"
    if policy.max_disclosure_age_days is not None:
        age = (as_of_time - head.tx.block_time).days
        if age > policy.max_disclosure_age_days:
            found.append(
                Finding(
                    Severity.REVIEW,
                    Rule.DISCLOSURE_OUTDATED,
                    f"{what} is {age} days old; the policy accepts at most {policy.max_disclosure_age_days}.",
                    head.tx,
                    **where,
                )
            )
    for disclosure in disclosures:
        for a in disclosure.attestations:
            if a.revoked is not None:
                found.append(
                    Finding(
                        Severity.REVIEW,
                        Rule.ATTESTATION_REVOKED,
                        f"The attestation of {name}'s {disclosure.framework} {disclosure.period} "
                        f"disclosure (version {a.version}) was revoked: {a.revoke_reason}.",
                        a.revoked,
                        **where,
                    )
                )
    assurance = latest.assurance
    level = assurance.level.value if assurance is not None else None
    if latest.amended_since_attestation:
        found.append(
            Finding(
                Severity.REVIEW if required else Severity.INFO,
                Rule.AMENDED_SINCE_ATTESTATION,
                f"{what} was amended to version {head.version} ({head.reason}) after version "
                f"{latest.attested_version} was attested; the amendment is not assured.",
                head.tx,
                **where,
            )
        )
    elif required and (assurance is None or assurance.level.rank < policy.required_assurance.rank):
        found.append(
            Finding(
                Severity.REVIEW,
                Rule.ASSURANCE_BELOW_REQUIRED,
                f"{what} has {level or 'no'} assurance; the policy requires "
                f"{policy.required_assurance.value} assurance.",
                head.tx,
                **where,
            )
        )
    for a in latest.active_attestations:
        if a.version != head.version:
            continue
        if a.opinion is Opinion.ADVERSE:
            found.append(
                Finding(
                    Severity.REVIEW,
                    Rule.ADVERSE_OPINION,
                    f"The auditor gave an adverse opinion on {what}.",
                    a.tx,
                    **where,
                )
            )
        elif a.opinion is Opinion.QUALIFIED:
            found.append(
                Finding(
                    Severity.INFO,
                    Rule.QUALIFIED_OPINION,
                    f"The auditor gave a qualified opinion on {what}.",
                    a.tx,
                    **where,
                )
            )
    return found


def _latest(disclosures: Sequence[Disclosure], policy: Policy) -> Disclosure | None:
    relevant = [d for d in disclosures if not policy.required_frameworks or d.framework in policy.required_frameworks]
    if not relevant:
        return None
    return max(relevant, key=lambda d: (d.latest.tx.block_number, d.latest.tx.log_index))


def evaluate(
    trace: Trace, disclosures: Mapping[str, Sequence[Disclosure]], policy: Policy, as_of_time: datetime
) -> Report:
    """Check every batch and supplier of `trace` against `policy`, as of `trace.as_of_block` (at `as_of_time`)."""
    block = trace.as_of_block
    findings: list[Finding] = []
    for node in trace.nodes:
        findings.extend(_batch_findings(node, policy))

    producers: dict[str, Participant] = {}
    for node in trace.nodes:
        producers.setdefault(node.producer.address, node.producer)
    latest: dict[str, Disclosure | None] = {}
    for address, participant in producers.items():
        current = [d for d in (disclosure_as_of(x, block) for x in disclosures.get(address, ())) if d is not None]
        current = [d for d in current if not policy.required_frameworks or d.framework in policy.required_frameworks]
        latest[address] = _latest(current, policy)
        findings.extend(_supplier_findings(participant, current, latest[address], policy, as_of_time))

    footprint = roll_up(trace)
    root = trace.node(trace.root)
    limit = policy.max_footprint_per_unit_kg
    if limit is not None and footprint.per_unit_kg > limit:
        findings.append(
            Finding(
                Severity.FAIL,
                Rule.FOOTPRINT_OVER_LIMIT,
                f"The cradle-to-gate footprint is {footprint.per_unit_kg} kg CO2e per "
                f"{unit_name(root.batch.unit)}, above the policy's {limit}.",
                root.batch.recorded,
                root.batch.producer,
                root.batch.id,
                0,
            )
        )
    if footprint.steps_without_data:
        findings.append(
            Finding(
                Severity.INFO,
                Rule.FOOTPRINT_INCOMPLETE,
                f"{len(footprint.steps_without_data)} production step(s) reported no emissions; the "
                f"footprint is a lower bound ({footprint.data_coverage:.0%} of the lineage is backed "
                "by data).",
                root.batch.recorded,
                root.batch.producer,
                root.batch.id,
                0,
            )
        )
    if trace.truncated:
        findings.append(
            Finding(
                Severity.REVIEW,
                Rule.LINEAGE_TRUNCATED,
                _truncation_message(trace),
                root.batch.recorded,
                root.batch.producer,
                root.batch.id,
                0,
            )
        )
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])

    upstream = [n for n in trace.nodes if n.depth > 0] or list(trace.nodes)
    audited = sum(1 for n in upstream if (d := latest.get(n.producer.address)) is not None and d.audited)
    summary = Summary(
        tiers=trace.depth + 1,
        batches=len(trace.nodes),
        suppliers=len(producers),
        countries=tuple(sorted({n.producer.profile.country for n in trace.nodes})),
        regions=tuple(sorted({n.facility_subdivision for n in trace.nodes if n.facility_subdivision})),
        audited_input_share=(Decimal(audited) / Decimal(len(upstream))).quantize(Decimal("0.0001")),
        truncated=trace.truncated,
        checked_by_contract=len(trace.nodes),
    )
    verdict = Verdict.worst(f.severity for f in findings)
    return Report(root.batch, root.producer, verdict, tuple(findings), summary, footprint, policy, block, as_of_time)


def _truncation_message(trace: Trace) -> str:
    """The LINEAGE_TRUNCATED finding: which bound cut the lineage and how to check the rest."""
    cut = len(trace.continue_from)
    batches = f"{cut:,} batch{'es' if cut != 1 else ''}"
    if trace.truncated_by is TraceLimit.MAX_NODES:
        return (
            f"The lineage is larger than the {len(trace.nodes):,} batches checked (the cap on batches per "
            f"trace): the inputs of {batches} at the cut were not checked. Request a report on each of them "
            "(the trace's continue_from) to check the rest."
        )
    return (
        f"The lineage continues past tier {trace.depth}, the deepest traced: the inputs of {batches} there were "
        "not checked. Raise max_depth, or request a report on each of them (the trace's continue_from)."
    )


def due_diligence(
    ledger: Ledger,
    batch_id: str,
    policy: Policy | None = None,
    *,
    max_depth: int = 64,
    max_nodes: int | None = None,
    as_of_block: int | None = None,
    regimes: Sequence[str | Regime] = (),
    as_of: date | None = None,
    vault: Vault | None = None,
    lists: ScreeningLists | None = None,
) -> Report:
    """Read the trace and the producers' disclosures from `ledger` and evaluate them against `policy` and, for each
    of `regimes`, its rule pack (with the documents `vault` holds for the hashes the records cite, and the screening
    `lists`).

    `as_of` is the date the law is applied at (default: the date of the report's block): rules that apply later are
    reported as upcoming. Facts are read as of `as_of_block`, else as of the last block on or before the end of
    `as_of` (the head when `as_of` is later). A date before the ledger's first block is refused.

    All reads share one sync of the index (`Indexer.pinned`): one node round trip per report, and every fact is
    taken as of the same block.
    """
    chosen = regimes_of(regimes)
    with ledger.indexer.pinned():
        trace = ledger.trace(batch_id, max_depth, max_nodes)
        block = as_of_block
        if as_of is not None:
            first = ledger.block_time(ledger.deployment.block_number)
            if as_of < first.date():
                raise ValidationError(
                    f"as_of {as_of} is before the ledger's first block ({first.date()}, block "
                    f"{ledger.deployment.block_number})",
                    field="as_of",
                )
            if block is None:
                end = int(datetime.combine(as_of, time.max, UTC).timestamp())
                at = ledger.store.block_at_or_before(end)
                if at is not None and at < trace.as_of_block:
                    block = at
        # a concurrent sync may have indexed flags or custody past the trace's checkpoint: pin everything to one block
        trace = trace_as_of(trace, trace.as_of_block if block is None else block)
        producers = {n.producer.address for n in trace.nodes}
        disclosures: dict[str, list[Disclosure]] = {
            address: ledger.disclosures(participant=address) for address in sorted(producers)
        }
        as_of_time = ledger.block_time(trace.as_of_block)
        sources = regime_sources(ledger, trace, vault=vault, lists=lists, disclosures=disclosures) if chosen else None
    report = evaluate(trace, disclosures, policy or Policy(), as_of_time)
    if sources is None:
        return report
    sections = evaluate_regimes(trace, sources, chosen, as_of or as_of_time.date())
    return dataclasses.replace(report, regimes=sections)


def regime_sources(
    ledger: Ledger,
    trace: Trace,
    *,
    vault: Vault | None = None,
    lists: ScreeningLists | None = None,
    disclosures: Mapping[str, Sequence[Disclosure]] | None = None,
) -> Sources:
    """What the rule packs read beside the trace, as of its block: the vault's documents, the producers' disclosures,
    the participants besides the producers (the traced batch's holder, the auditors of the disclosures) and the
    screening lists. `disclosures` (by producer) when the caller has read them already."""
    if disclosures is None:
        disclosures = {a: ledger.disclosures(participant=a) for a in sorted({n.producer.address for n in trace.nodes})}
    current = {
        a: [d for x in ds if (d := disclosure_as_of(x, trace.as_of_block)) is not None] for a, ds in disclosures.items()
    }
    root = trace.node(trace.root).batch
    wanted = {root.custody[-1].to_address if root.custody else root.producer}
    wanted |= {a.auditor for ds in current.values() for d in ds for a in d.attestations}
    participants: dict[str, Participant] = {}
    for address in sorted(wanted):
        try:
            participants[address] = ledger.participant(address)
        except NotFoundError:
            continue
    return Sources(
        documents=vault if vault is not None else NoDocuments(),
        disclosures=current,
        participants=participants,
        lists=lists,
    )
