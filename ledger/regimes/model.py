"""The rule model: packs of rules per legal regime, and what evaluating them on a traced batch gives.

A `Rule` has a stable id (`EUDR-E4`), the severity of its gravest finding, the article it comes from, the date it
applies from and a plain-language statement. A `Pack` is one regime's rules under a `rules_version`. Evaluating a pack
on a trace gives a `RegimeSection`: one outcome per rule, the findings (each citing its evidence: a transaction, a
document, a screening-list entry or a reference data set), the reference data and screening lists used, and a verdict.

Dates: a rule whose `applies_from` is after the report's `as_of` date is *upcoming*. Its findings are reported with
that status and that date and do not count towards the verdict; `outlook` is the verdict once every rule applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from ledger.domain.errors import ValidationError
from ledger.domain.types import Address, BatchId, DocumentKind, Hash32, Severity, TxRef


class Regime(StrEnum):
    EUDR = "EUDR"  # Regulation (EU) 2023/1115, deforestation-free products
    UFLPA = "UFLPA"  # US Uyghur Forced Labor Prevention Act, Pub. L. 117-78
    CSDDD = "CSDDD"  # Directive (EU) 2024/1760, corporate sustainability due diligence
    BATTERY = "BATTERY"  # Regulation (EU) 2023/1542, batteries
    EU_FLR = "EU_FLR"  # Regulation (EU) 2024/3015, products made with forced labour


def regime(name: str) -> Regime:
    """The regime called `name` (case-insensitive); ValidationError naming the known ones otherwise."""
    text = (name or "").strip().upper().replace("-", "_")
    try:
        return Regime(text)
    except ValueError:
        raise ValidationError(
            f"unknown regime {name!r}; known: {', '.join(r.value for r in Regime)}", field="regimes"
        ) from None


class RuleStatus(StrEnum):
    IN_FORCE = "in_force"
    UPCOMING = "upcoming"


class Outcome(StrEnum):
    """What one rule found: nothing wrong, a failure, something to review, or it does not apply to this batch."""

    PASS = "pass"
    FAIL = "fail"
    REVIEW = "review"
    NOT_APPLICABLE = "not_applicable"


class RegimeVerdict(StrEnum):
    PASS = "PASS"
    REVIEW = "REVIEW"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT_APPLICABLE"  # the regime does not cover this product
    UPCOMING = "UPCOMING"  # no rule of the regime applies yet at the report's date (see `outlook`)


@dataclass(frozen=True)
class Rule:
    id: str
    severity: Severity  # of its gravest finding (some rules also raise milder ones, e.g. a fuzzy name match)
    article: str
    applies_from: date
    title: str
    message: str  # what the rule requires, in plain language

    def status(self, as_of: date) -> RuleStatus:
        return RuleStatus.UPCOMING if as_of < self.applies_from else RuleStatus.IN_FORCE


@dataclass(frozen=True)
class Pack:
    regime: Regime
    title: str
    law: str
    rules_version: str
    rules: tuple[Rule, ...]

    def rule(self, rule_id: str) -> Rule:
        for r in self.rules:
            if r.id == rule_id:
                return r
        raise KeyError(rule_id)

    @property
    def applies_from(self) -> date:
        """The earliest date any of its rules applies."""
        return min(r.applies_from for r in self.rules)


# -- evidence --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TxEvidence:
    """An on-chain fact: the transaction that recorded a batch, a disclosure, a registration, ..."""

    tx: TxRef
    what: str


@dataclass(frozen=True)
class DocumentEvidence:
    """A document cited on chain (its SHA-256), as held, or not held, by the vault."""

    hash: Hash32
    kind: DocumentKind | None
    in_vault: bool
    what: str


@dataclass(frozen=True)
class ListEntryEvidence:
    """An entry of a screening list version that a participant's name matched."""

    list_name: str
    list_version: int
    list_date: date
    entry: str  # the entry's name as listed
    matched: str  # the entry's name or alias that matched
    screened: str  # the participant's name or alias that was screened
    score: float  # 100 for an exact match (after normalising)
    row: int


@dataclass(frozen=True)
class ReferenceEvidence:
    """A reference data set of the pack (Annex I, the country benchmark, ...) and the entry that was used."""

    name: str
    version: str
    entry: str


Evidence = TxEvidence | DocumentEvidence | ListEntryEvidence | ReferenceEvidence


@dataclass(frozen=True)
class RegimeFinding:
    rule: Rule
    severity: Severity
    status: RuleStatus
    message: str
    evidence: tuple[Evidence, ...]
    batch_id: BatchId | None = None
    participant: Address | None = None
    tier: int | None = None


@dataclass(frozen=True)
class RuleResult:
    rule: Rule
    status: RuleStatus
    outcome: Outcome
    note: str = ""  # why a rule does not apply, when it does not


@dataclass(frozen=True)
class ReferenceData:
    """A versioned data set a pack read (shipped in `ledger/regimes/data/`)."""

    name: str
    version: str
    date: date
    source: str


@dataclass(frozen=True)
class ListUse:
    """A screening list version a pack matched names against."""

    name: str
    version: int
    list_date: date
    sha256: str
    entries: int


@dataclass(frozen=True)
class RegimeSection:
    regime: Regime
    title: str
    law: str
    rules_version: str
    as_of: date
    verdict: RegimeVerdict
    outlook: RegimeVerdict
    scope: str
    rules: tuple[RuleResult, ...]
    findings: tuple[RegimeFinding, ...]
    reference_data: tuple[ReferenceData, ...] = field(default=())
    lists: tuple[ListUse, ...] = field(default=())

    def result(self, rule_id: str) -> RuleResult:
        for r in self.rules:
            if r.rule.id == rule_id:
                return r
        raise KeyError(rule_id)

    def findings_of(self, rule_id: str) -> tuple[RegimeFinding, ...]:
        return tuple(f for f in self.findings if f.rule.id == rule_id)
