"""What a pack's check hands back, collected as it goes: findings per rule, rules that do not apply, and the
reference data and screening lists it read. `section` turns it into a `RegimeSection` for a date."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ledger.domain.types import Severity, TraceNode, Verdict
from ledger.regimes.model import (
    Evidence,
    ListUse,
    Outcome,
    Pack,
    ReferenceData,
    RegimeFinding,
    RegimeSection,
    RegimeVerdict,
    RuleResult,
    RuleStatus,
)

#: Findings kept per rule: a lineage of thousands of batches failing one rule reports the first ones and a count.
MAX_FINDINGS_PER_RULE = 50


@dataclass
class Checked:
    pack: Pack
    as_of: date
    applicable: bool = True
    scope: str = ""
    findings: list[RegimeFinding] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # rule id -> why it does not apply
    reference_data: list[ReferenceData] = field(default_factory=list)
    lists: list[ListUse] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)

    def add(
        self,
        rule_id: str,
        message: str,
        *evidence: Evidence,
        severity: Severity | None = None,
        node: TraceNode | None = None,
        participant: str | None = None,
    ) -> None:
        """A finding of `rule_id` (at the rule's severity unless a milder one is given), about `node`'s batch or a
        participant."""
        rule = self.pack.rule(rule_id)
        chosen = severity or rule.severity
        if chosen.rank < rule.severity.rank:
            raise ValueError(f"{rule_id} never finds worse than {rule.severity}")
        count = self._counts[rule_id] = self._counts.get(rule_id, 0) + 1
        if count > MAX_FINDINGS_PER_RULE:
            return
        where: dict[str, Any] = {}
        if node is not None:
            where = {"batch_id": node.batch.id, "participant": node.batch.producer, "tier": node.depth}
        elif participant is not None:
            where = {"participant": participant}
        self.findings.append(RegimeFinding(rule, chosen, rule.status(self.as_of), message, tuple(evidence), **where))

    def skip(self, rule_id: str, why: str) -> None:
        self.pack.rule(rule_id)
        self.skipped[rule_id] = why

    def not_applicable(self, scope: str) -> None:
        self.applicable = False
        self.scope = scope

    def uses(self, data: ReferenceData) -> None:
        if data not in self.reference_data:
            self.reference_data.append(data)

    def uses_list(self, used: ListUse) -> None:
        if used not in self.lists:
            self.lists.append(used)

    def section(self) -> RegimeSection:
        pack, as_of = self.pack, self.as_of
        for rule_id, count in self._counts.items():
            if count > MAX_FINDINGS_PER_RULE:
                rule = pack.rule(rule_id)
                self.findings.append(
                    RegimeFinding(
                        rule,
                        Severity.INFO,
                        rule.status(as_of),
                        f"{count - MAX_FINDINGS_PER_RULE} more finding(s) of {rule_id} not listed.",
                        (),
                    )
                )
        results = []
        for rule in pack.rules:
            status = rule.status(as_of)
            if not self.applicable:
                results.append(RuleResult(rule, status, Outcome.NOT_APPLICABLE, self.scope))
            elif rule.id in self.skipped:
                results.append(RuleResult(rule, status, Outcome.NOT_APPLICABLE, self.skipped[rule.id]))
            else:
                found = {f.severity for f in self.findings if f.rule.id == rule.id}
                outcome = (
                    Outcome.FAIL
                    if Severity.FAIL in found
                    else Outcome.REVIEW
                    if Severity.REVIEW in found
                    else Outcome.PASS
                )
                results.append(RuleResult(rule, status, outcome))
        findings = sorted(
            self.findings, key=lambda f: (f.status != RuleStatus.IN_FORCE, f.severity.rank, pack.rules.index(f.rule))
        )
        if not self.applicable:
            verdict = outlook = RegimeVerdict.NOT_APPLICABLE
        else:
            in_force = [r for r in results if r.status is RuleStatus.IN_FORCE]
            verdict = _verdict(in_force) if in_force else RegimeVerdict.UPCOMING
            outlook = _verdict(results)
        return RegimeSection(
            pack.regime,
            pack.title,
            pack.law,
            pack.rules_version,
            as_of,
            verdict,
            outlook,
            self.scope,
            tuple(results),
            tuple(findings),
            tuple(self.reference_data),
            tuple(self.lists),
        )


def _verdict(results: list[RuleResult]) -> RegimeVerdict:
    return RegimeVerdict(Verdict.worst(r.outcome for r in results))
