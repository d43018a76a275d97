"""The report's top verdict is the worst of the policy's and every regime's in force: a section that fails never sits
under a REVIEW or PASS badge (one verdict must never hide a worse one)."""

from __future__ import annotations

from datetime import date

from ledger.diligence import Policy, due_diligence, evaluate
from ledger.domain.types import Verdict
from ledger.regimes import RegimeVerdict
from tests.evidence import Harness


def test_a_failing_regime_makes_the_whole_report_fail(evidence: Harness) -> None:
    gloves_b = evidence.world.batches["gloves-b"]
    report = due_diligence(
        evidence.ledger, gloves_b, regimes=["EUDR"], as_of=date(2027, 1, 15), vault=evidence.vault, lists=evidence.lists
    )
    (section,) = report.regimes
    assert section.verdict is RegimeVerdict.FAIL
    assert report.verdict is Verdict.FAIL
    assert report.policy_verdict is not Verdict.FAIL  # the policy alone finds nothing that fails


def test_a_regime_not_yet_in_force_leaves_the_policy_verdict(evidence: Harness) -> None:
    gloves_b = evidence.world.batches["gloves-b"]
    report = due_diligence(
        evidence.ledger, gloves_b, regimes=["CSDDD"], vault=evidence.vault, lists=evidence.lists
    )  # CSDDD applies from 2029
    assert report.regimes[0].verdict is RegimeVerdict.UPCOMING
    without = due_diligence(evidence.ledger, gloves_b, vault=evidence.vault, lists=evidence.lists)
    assert report.policy_verdict is without.verdict
    worst = Verdict.worst([report.policy_verdict, *(s.verdict for s in report.regimes)])
    assert report.verdict is worst


def test_worst_ranks_fail_over_review_over_pass_and_ignores_the_rest() -> None:
    assert Verdict.worst([]) is Verdict.PASS
    assert Verdict.worst(["PASS", "UPCOMING", "NOT_APPLICABLE"]) is Verdict.PASS
    assert Verdict.worst([Verdict.PASS, RegimeVerdict.REVIEW]) is Verdict.REVIEW
    assert Verdict.worst([RegimeVerdict.FAIL, Verdict.REVIEW, "PASS"]) is Verdict.FAIL


def test_evaluate_without_regimes_gives_the_policy_verdict(evidence: Harness) -> None:
    trace = evidence.ledger.trace(evidence.world.batches["garments-b"])
    report = evaluate(trace, {}, Policy(), evidence.ledger.block_time(trace.as_of_block))
    assert report.verdict is report.policy_verdict is Verdict.FAIL  # Xinjiang sourcing
