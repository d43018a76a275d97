"""CSDDD pack: supplier disclosures and attestations from the chain, social-audit findings from the vault."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger.demo.apparel import GTIN_SHIRT
from ledger.diligence import regime_sources
from ledger.domain.types import BatchId, DocumentKind, Gln, NewBatch, Trace
from ledger.regimes import Outcome, Regime, RegimeVerdict, Sources, evaluate_regimes
from ledger.regimes.csddd import period_end
from tests.evidence import Harness

GARMENT_SITE = Gln("6931234000013")


def sources(h: Harness, batch_id: str) -> tuple[Trace, Sources]:
    """The trace and what the pack reads for it, as due diligence gathers them (pure evaluation at any date)."""
    trace = h.ledger.trace(batch_id)
    return trace, regime_sources(h.ledger, trace, vault=h.vault, lists=h.lists)


def outcome_at(h: Harness, batch_id: str, rule: str, as_of: date) -> Outcome:
    trace, found = sources(h, batch_id)
    (section,) = evaluate_regimes(trace, found, ["CSDDD"], as_of)
    return section.result(rule).outcome


def audited_shirts(h: Harness, findings: list[dict[str, Any]]) -> BatchId:
    audit = {"format": "social-audit/1", "standard": "SMETA", "audited_on": "2026-03-02", "findings": findings}
    lot = h.lot()
    batch, _ = h.ledger.record_batch(
        h.world.account("garment"),
        NewBatch(
            GTIN_SHIRT,
            f"HG-{lot}",
            "620520",
            Decimal(100),
            "H87",
            GARMENT_SITE,
            h.world_time(),
            documents=(h.doc(audit, DocumentKind.AUDIT_REPORT),),
        ),
    )
    return batch


def test_period_ends() -> None:
    assert [period_end(p) for p in ("2025", "2025-H1", "2025-Q3", "2024-Q4")] == [
        date(2025, 12, 31),
        date(2025, 6, 30),
        date(2025, 9, 30),
        date(2024, 12, 31),
    ]


def test_c1_current_disclosures_pass_and_old_or_missing_ones_need_review(evidence: Harness) -> None:
    garments = evidence.world.batches["garments-a"]
    assert outcome_at(evidence, garments, "CSDDD-C1", date(2027, 7, 2)) is Outcome.PASS  # 548 days
    assert outcome_at(evidence, garments, "CSDDD-C1", date(2027, 7, 3)) is Outcome.REVIEW  # 549 days after 2025
    section = evidence.section(evidence.world.batches["gloves-a"], Regime.CSDDD)
    assert section.result("CSDDD-C1").outcome is Outcome.REVIEW  # the rubber chain publishes no disclosures
    assert all("no ESG disclosure" in f.message for f in section.findings_of("CSDDD-C1"))


def test_c2_an_assured_disclosure_by_a_registered_auditor_passes(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["lint-gujarat"], Regime.CSDDD)
    assert section.result("CSDDD-C2").outcome is Outcome.PASS


@pytest.mark.parametrize(
    ("batch", "why"),
    [("fabric-a", "amended after its attestation"), ("lint-xinjiang", "no attestation that gives assurance")],
)
def test_c2_an_amended_or_revoked_attestation_needs_review(evidence: Harness, batch: str, why: str) -> None:
    section = evidence.section(evidence.world.batches[batch], Regime.CSDDD)
    assert section.result("CSDDD-C2").outcome is Outcome.REVIEW
    assert why in section.findings_of("CSDDD-C2")[0].message


def test_c2_an_attestation_by_a_suspended_auditor_needs_review(evidence: Harness) -> None:
    evidence.ledger.set_suspended(evidence.world.account("auditor").address, True, "accreditation withdrawn")
    section = evidence.section(evidence.world.batches["lint-gujarat"], Regime.CSDDD)
    assert section.result("CSDDD-C2").outcome is Outcome.REVIEW
    assert "suspended" in section.findings_of("CSDDD-C2")[0].message


def test_c3_c4_the_demo_audit_with_remediated_findings_passes(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["garments-a"], Regime.CSDDD)
    assert section.result("CSDDD-C3").outcome is Outcome.PASS
    assert section.result("CSDDD-C4").outcome is Outcome.PASS


def test_c3_c4_do_not_apply_without_a_social_audit(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["lint-gujarat"], Regime.CSDDD)
    assert section.result("CSDDD-C3").outcome is Outcome.NOT_APPLICABLE
    assert section.result("CSDDD-C4").outcome is Outcome.NOT_APPLICABLE


@pytest.mark.parametrize(
    ("finding", "why"),
    [
        ({"id": "F9", "issue": "forced_labour", "severity": "major", "status": "open"}, "without a corrective action"),
        (
            {
                "id": "F9",
                "issue": "other",
                "severity": "critical",
                "status": "open",
                "corrective_action_due": "2026-01-31",
            },
            "was due 2026-01-31",
        ),
    ],
)
def test_c3_an_open_severe_finding_without_a_timely_plan_needs_review(
    evidence: Harness, finding: dict, why: str
) -> None:
    shirts = audited_shirts(evidence, [finding])
    section = evidence.section(shirts, Regime.CSDDD)
    assert section.result("CSDDD-C3").outcome is Outcome.REVIEW
    assert why in section.findings_of("CSDDD-C3")[0].message


def test_c3_a_severe_finding_with_a_plan_not_yet_due_passes(evidence: Harness) -> None:
    shirts = audited_shirts(
        evidence,
        [
            {
                "id": "F1",
                "issue": "child_labour",
                "severity": "critical",
                "status": "open",
                "corrective_action_due": "2027-01-31",
            }
        ],
    )
    assert outcome_at(evidence, shirts, "CSDDD-C3", date(2026, 12, 1)) is Outcome.PASS
    assert outcome_at(evidence, shirts, "CSDDD-C3", date(2027, 2, 1)) is Outcome.REVIEW


@pytest.mark.parametrize("evidence_hash", [None, "0x" + "ab" * 32])
def test_c4_a_closed_major_finding_without_remediation_evidence_in_the_vault_needs_review(
    evidence: Harness, evidence_hash: str | None
) -> None:
    finding = {"id": "F3", "issue": "wages", "severity": "major", "status": "closed"}
    if evidence_hash is not None:
        finding["remediation_evidence"] = evidence_hash  # cited, never uploaded
    section = evidence.section(audited_shirts(evidence, [finding]), Regime.CSDDD)
    assert section.result("CSDDD-C4").outcome is Outcome.REVIEW


def test_c4_remediation_evidence_only_another_participant_uploaded_is_not_the_producers(evidence: Harness) -> None:
    """The audit names a closure report by its hash; only the weaving mill uploaded those bytes: for the garment
    factory's finding they are not in the vault (a document counts for its owner's records only)."""
    closure = evidence.put(b"%PDF-1.4 corrective action closure F4", by=[evidence.world.account("weaving").address])
    finding = {"id": "F4", "issue": "wages", "severity": "major", "status": "closed", "remediation_evidence": closure}
    section = evidence.section(audited_shirts(evidence, [finding]), Regime.CSDDD)
    assert section.result("CSDDD-C4").outcome is Outcome.REVIEW
    assert "not in the vault" in section.findings_of("CSDDD-C4")[0].message


def test_csddd_is_upcoming_until_26_july_2029(evidence: Harness) -> None:
    trace, found = sources(evidence, evidence.world.batches["garments-a"])
    (before,) = evaluate_regimes(trace, found, ["CSDDD"], date(2029, 7, 25))
    (after,) = evaluate_regimes(trace, found, ["CSDDD"], date(2029, 7, 26))
    assert before.verdict is RegimeVerdict.UPCOMING and after.verdict is RegimeVerdict.REVIEW
