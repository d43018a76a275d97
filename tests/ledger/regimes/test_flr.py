"""EU_FLR pack (Forced Labour Regulation 2024/3015): risk areas, supplier identification, open forced-labour
findings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.demo.apparel import GTIN_SHIRT
from ledger.diligence import regime_sources
from ledger.domain.types import DocumentKind, Gln, NewBatch, ParticipantProfile, Role, Site
from ledger.regimes import Outcome, Regime, RegimeVerdict, evaluate_regimes
from ledger.regimes.flr import PACK
from tests.conftest import account
from tests.evidence import Harness
from tests.ledger.builders import gln

GARMENT_SITE = Gln("6931234000013")


@pytest.mark.parametrize("rule", [r.id for r in PACK.rules])
def test_every_rule_passes_on_the_certified_apparel_line(evidence: Harness, rule: str) -> None:
    section = evidence.section(evidence.world.batches["garments-a"], Regime.EU_FLR)
    assert section.verdict is RegimeVerdict.PASS
    assert section.result(rule).outcome is Outcome.PASS


def test_f1_a_lineage_through_a_risk_area_needs_review(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["garments-b"], Regime.EU_FLR)
    assert section.result("FLR-F1").outcome is Outcome.REVIEW
    assert "CN-XJ" in section.findings_of("FLR-F1")[0].message


def test_f2_a_supplier_without_a_postal_address_needs_review(evidence: Harness) -> None:
    maker = account("flr unnamed workshop")
    profile = evidence.doc(
        {"format": "participant-profile/1", "legal_name": "Unnamed Workshop"}, DocumentKind.OTHER, by=[maker.address]
    )
    evidence.ledger.register_participant(
        maker.address,
        ParticipantProfile("Unnamed Workshop", "VN", (Site(gln(902), "VN-SG"),), profile_hash=profile.hash),
        (Role.FACTORY,),
    )
    batch, _ = evidence.ledger.record_batch(
        maker, NewBatch(GTIN_SHIRT, "UW-1", "620520", Decimal(5), "H87", gln(902), evidence.world_time())
    )
    section = evidence.section(batch, Regime.EU_FLR)
    assert section.result("FLR-F2").outcome is Outcome.REVIEW
    assert "no postal address" in section.findings_of("FLR-F2")[0].message


def test_f3_an_open_forced_labour_finding_needs_review(evidence: Harness) -> None:
    audit = {
        "format": "social-audit/1",
        "standard": "SA8000",
        "audited_on": "2026-05-05",
        "findings": [
            {
                "id": "FL-1",
                "issue": "forced_labour",
                "severity": "critical",
                "status": "open",
                "corrective_action_due": "2027-01-31",
            }
        ],
    }
    batch, _ = evidence.ledger.record_batch(
        evidence.world.account("garment"),
        NewBatch(
            GTIN_SHIRT,
            "FL-AUDIT-1",
            "620520",
            Decimal(5),
            "H87",
            GARMENT_SITE,
            evidence.world_time(),
            documents=(evidence.doc(audit, DocumentKind.AUDIT_REPORT),),
        ),
    )
    section = evidence.section(batch, Regime.EU_FLR)
    assert section.result("FLR-F3").outcome is Outcome.REVIEW


def test_the_ban_is_upcoming_until_14_december_2027(evidence: Harness) -> None:
    trace = evidence.ledger.trace(evidence.world.batches["garments-b"])
    sources = regime_sources(evidence.ledger, trace, vault=evidence.vault)
    (before,) = evaluate_regimes(trace, sources, ["EU_FLR"], date(2027, 12, 13))
    (after,) = evaluate_regimes(trace, sources, ["EU_FLR"], date(2027, 12, 14))
    assert (before.verdict, before.outlook, after.verdict) == (
        RegimeVerdict.UPCOMING,
        RegimeVerdict.REVIEW,
        RegimeVerdict.REVIEW,
    )
