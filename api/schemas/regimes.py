"""Rule packs, and the per-regime sections of a due-diligence report. The JSON is stable: fields are only added."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from api.schemas.common import Out
from ledger import (
    DocumentEvidence,
    DocumentKind,
    ListEntryEvidence,
    ListUse,
    Pack,
    ReferenceData,
    Regime,
    RegimeFinding,
    RegimeSection,
    RegimeVerdict,
    RuleResult,
    RuleStatus,
    Severity,
    TxEvidence,
)
from ledger import RegimeEvidence as Evidence
from ledger import RegimeOutcome as Outcome
from ledger import RegimeRule as Rule


class RuleOut(Out):
    id: str = Field(examples=["EUDR-E4"])
    title: str
    severity: Severity = Field(description="of the rule's gravest finding")
    article: str = Field(examples=["Art. 2(28), Art. 9(1)(d)"])
    applies_from: date
    message: str = Field(description="what the rule requires, in plain language")

    @classmethod
    def of(cls, r: Rule) -> RuleOut:
        return cls(
            id=r.id,
            title=r.title,
            severity=r.severity,
            article=r.article,
            applies_from=r.applies_from,
            message=r.message,
        )


class PackOut(Out):
    regime: Regime
    title: str
    law: str
    rules_version: str
    applies_from: date = Field(description="the earliest date one of its rules applies")
    rules: list[RuleOut]

    @classmethod
    def of(cls, p: Pack) -> PackOut:
        return cls(
            regime=p.regime,
            title=p.title,
            law=p.law,
            rules_version=p.rules_version,
            applies_from=p.applies_from,
            rules=[RuleOut.of(r) for r in p.rules],
        )


class TxEvidenceOut(Out):
    kind: Literal["transaction"] = "transaction"
    what: str
    tx_hash: str
    block_number: int
    block_time: datetime


class DocumentEvidenceOut(Out):
    kind: Literal["document"] = "document"
    what: str
    sha256: str
    document_kind: DocumentKind | None
    in_vault: bool = Field(description="whether the vault holds the document (its bytes matching the hash)")


class ListEntryEvidenceOut(Out):
    kind: Literal["list_entry"] = "list_entry"
    list: str
    list_version: int
    list_date: date
    entry: str = Field(description="the entry's name as listed")
    matched: str = Field(description="the entry's name or alias that matched")
    screened: str = Field(description="the participant's name or alias screened")
    score: float = Field(description="100 for an exact match (after normalising names)")
    row: int = Field(description="the entry's line in the list file")


class ReferenceEvidenceOut(Out):
    kind: Literal["reference_data"] = "reference_data"
    name: str
    version: str
    entry: str


EvidenceOut = Annotated[
    TxEvidenceOut | DocumentEvidenceOut | ListEntryEvidenceOut | ReferenceEvidenceOut, Field(discriminator="kind")
]


def evidence_out(e: Evidence) -> TxEvidenceOut | DocumentEvidenceOut | ListEntryEvidenceOut | ReferenceEvidenceOut:
    if isinstance(e, TxEvidence):
        return TxEvidenceOut(
            what=e.what, tx_hash=e.tx.tx_hash, block_number=e.tx.block_number, block_time=e.tx.block_time
        )
    if isinstance(e, DocumentEvidence):
        return DocumentEvidenceOut(what=e.what, sha256=e.hash, document_kind=e.kind, in_vault=e.in_vault)
    if isinstance(e, ListEntryEvidence):
        return ListEntryEvidenceOut(
            list=e.list_name,
            list_version=e.list_version,
            list_date=e.list_date,
            entry=e.entry,
            matched=e.matched,
            screened=e.screened,
            score=e.score,
            row=e.row,
        )
    return ReferenceEvidenceOut(name=e.name, version=e.version, entry=e.entry)


class RegimeFindingOut(Out):
    rule: str = Field(examples=["EUDR-E3"])
    severity: Severity
    status: RuleStatus = Field(
        description="in_force, or upcoming (the rule applies after the report's date: the "
        "finding does not count towards the verdict)"
    )
    article: str
    applies_from: date
    message: str
    batch_id: str | None
    participant: str | None
    tier: int | None
    evidence: list[EvidenceOut] = Field(
        description="what the finding rests on: transactions, documents, screening list entries, reference data"
    )

    @classmethod
    def of(cls, f: RegimeFinding) -> RegimeFindingOut:
        return cls(
            rule=f.rule.id,
            severity=f.severity,
            status=f.status,
            article=f.rule.article,
            applies_from=f.rule.applies_from,
            message=f.message,
            batch_id=f.batch_id,
            participant=f.participant,
            tier=f.tier,
            evidence=[evidence_out(e) for e in f.evidence],
        )


class RuleResultOut(Out):
    rule: str
    title: str
    severity: Severity
    article: str
    applies_from: date
    status: RuleStatus
    outcome: Outcome
    note: str = Field(description="why the rule does not apply, when it does not")

    @classmethod
    def of(cls, r: RuleResult) -> RuleResultOut:
        return cls(
            rule=r.rule.id,
            title=r.rule.title,
            severity=r.rule.severity,
            article=r.rule.article,
            applies_from=r.rule.applies_from,
            status=r.status,
            outcome=r.outcome,
            note=r.note,
        )


class ReferenceDataOut(Out):
    name: str
    version: str
    date: date
    source: str

    @classmethod
    def of(cls, d: ReferenceData) -> ReferenceDataOut:
        return cls(name=d.name, version=d.version, date=d.date, source=d.source)


class ListUseOut(Out):
    name: str
    version: int
    list_date: date
    sha256: str
    entries: int

    @classmethod
    def of(cls, u: ListUse) -> ListUseOut:
        return cls(name=u.name, version=u.version, list_date=u.list_date, sha256=u.sha256, entries=u.entries)


class RegimeSectionOut(Out):
    regime: Regime
    title: str
    law: str
    rules_version: str
    as_of: date = Field(description="the date the law was applied at")
    verdict: RegimeVerdict = Field(
        description="from the rules in force at as_of: FAIL, REVIEW or PASS; "
        "NOT_APPLICABLE if the regime does not cover the product; UPCOMING if "
        "none of its rules applies yet"
    )
    outlook: RegimeVerdict = Field(description="the verdict once every rule of the pack applies")
    scope: str
    rules: list[RuleResultOut]
    findings: list[RegimeFindingOut]
    reference_data: list[ReferenceDataOut]
    lists: list[ListUseOut] = Field(description="screening list versions matched against, with their dates")

    @classmethod
    def of(cls, s: RegimeSection) -> RegimeSectionOut:
        return cls(
            regime=s.regime,
            title=s.title,
            law=s.law,
            rules_version=s.rules_version,
            as_of=s.as_of,
            verdict=s.verdict,
            outlook=s.outlook,
            scope=s.scope,
            rules=[RuleResultOut.of(r) for r in s.rules],
            findings=[RegimeFindingOut.of(f) for f in s.findings],
            reference_data=[ReferenceDataOut.of(d) for d in s.reference_data],
            lists=[ListUseOut.of(u) for u in s.lists],
        )
