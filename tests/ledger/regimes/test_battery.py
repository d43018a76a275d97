"""BATTERY pack: the demo's pack line A passes every rule, line B (no footprint) fails; each rule's other failures on
packs recorded for the purpose."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ledger.demo.battery import GTIN_LITHIUM_HYDROXIDE, GTIN_PACK, PACK_PLANT
from ledger.demo.documents import document
from ledger.diligence import regime_sources
from ledger.domain.types import BatchId, Document, DocumentKind, InputUse, NewBatch
from ledger.regimes import Outcome, Regime, RegimeVerdict, RuleStatus, evaluate_regimes
from ledger.regimes.battery import PACK
from tests.evidence import Harness

FOOTPRINT: dict[str, Any] = {
    "format": "battery-carbon-footprint/1",
    "model": "T-1",
    "plant_gln": PACK_PLANT,
    "category": "industrial",
    "capacity_kwh": "10",
    "carbon_footprint_kg_co2e_per_kwh": "70.0",
    "stages": {"raw_material_acquisition": "40", "main_production": "25", "distribution": "1", "end_of_life": "4"},
    "declaration_of_conformity_id": "DoC-T-1",
}
CONFORMITY: dict[str, Any] = {
    "format": "eu-declaration-of-conformity/1",
    "id": "DoC-T-1",
    "model": "T-1",
    "notified_body": {"number": "2812"},
    "battery_passport_id": "https://id.example/T-1",
}


def pack(h: Harness, *documents: Document) -> BatchId:
    """A pack recorded by the demo's pack maker at its plant, without inputs."""
    batch, _ = h.ledger.record_batch(
        h.world.account("pack-maker"),
        NewBatch(
            GTIN_PACK, f"P-{h.lot()}", "850760", Decimal(10), "H87", PACK_PLANT, h.world_time(), documents=documents
        ),
    )
    return batch


def outcome(h: Harness, batch_id: str, rule: str) -> Outcome:
    return h.section(batch_id, Regime.BATTERY).result(rule).outcome


@pytest.mark.parametrize("rule", [r.id for r in PACK.rules])
def test_every_rule_passes_on_the_pack_line_declaring_its_footprint(evidence: Harness, rule: str) -> None:
    section = evidence.section(evidence.world.batches["packs-a"], Regime.BATTERY)
    assert section.verdict is RegimeVerdict.PASS
    assert section.result(rule).outcome is Outcome.PASS, section.findings_of(rule)


def test_the_pack_line_without_a_footprint_fails(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["packs-b"], Regime.BATTERY)
    assert section.verdict is RegimeVerdict.FAIL
    assert [section.result(r).outcome for r in ("BATTERY-B1", "BATTERY-B2", "BATTERY-B5")] == [
        Outcome.FAIL,
        Outcome.REVIEW,
        Outcome.FAIL,
    ]


def test_a_product_that_is_no_battery_is_not_applicable(evidence: Harness) -> None:
    assert evidence.section(evidence.world.batches["gloves-a"], Regime.BATTERY).verdict is RegimeVerdict.NOT_APPLICABLE


def test_b1_a_footprint_for_another_plant_fails(evidence: Harness) -> None:
    batch = pack(
        evidence, evidence.doc(FOOTPRINT | {"plant_gln": "4012345000016"}, DocumentKind.CARBON_FOOTPRINT_STUDY)
    )
    assert outcome(evidence, batch, "BATTERY-B1") is Outcome.FAIL


def test_b1_stages_not_adding_up_to_the_total_fail(evidence: Harness) -> None:
    batch = pack(
        evidence,
        evidence.doc(FOOTPRINT | {"carbon_footprint_kg_co2e_per_kwh": "55.0"}, DocumentKind.CARBON_FOOTPRINT_STUDY),
    )
    section = evidence.section(batch, Regime.BATTERY)
    assert section.result("BATTERY-B1").outcome is Outcome.FAIL
    assert "add up to 70" in section.findings_of("BATTERY-B1")[0].message


def test_b1_a_declaration_missing_a_field_fails(evidence: Harness) -> None:
    broken = {k: v for k, v in FOOTPRINT.items() if k != "declaration_of_conformity_id"}
    batch = pack(evidence, evidence.doc(broken, DocumentKind.CARBON_FOOTPRINT_STUDY))
    section = evidence.section(batch, Regime.BATTERY)
    assert "declaration_of_conformity_id is missing" in section.findings_of("BATTERY-B1")[0].message


def test_b1_b2_b5_pass_with_a_footprint_and_a_matching_declaration_of_conformity(evidence: Harness) -> None:
    batch = pack(
        evidence,
        evidence.doc(FOOTPRINT, DocumentKind.CARBON_FOOTPRINT_STUDY),
        evidence.doc(CONFORMITY, DocumentKind.DECLARATION_OF_CONFORMITY),
    )
    assert [outcome(evidence, batch, r) for r in ("BATTERY-B1", "BATTERY-B2", "BATTERY-B5")] == [Outcome.PASS] * 3


def test_b2_a_declaration_of_conformity_for_another_model_needs_review(evidence: Harness) -> None:
    batch = pack(
        evidence,
        evidence.doc(FOOTPRINT, DocumentKind.CARBON_FOOTPRINT_STUDY),
        evidence.doc(CONFORMITY | {"model": "T-2"}, DocumentKind.DECLARATION_OF_CONFORMITY),
    )
    assert outcome(evidence, batch, "BATTERY-B2") is Outcome.REVIEW


def test_b3_a_material_not_traced_to_the_mine_fails(evidence: Harness) -> None:
    maker = evidence.world.account("pack-maker")
    lot = evidence.lot()
    hydroxide = evidence.ledger.batch_id_of(maker.address, GTIN_LITHIUM_HYDROXIDE, f"H-{lot}")
    evidence.ledger.record_batches(
        maker,
        [  # lithium hydroxide of unknown origin
            NewBatch(
                GTIN_LITHIUM_HYDROXIDE, f"H-{lot}", "282520", Decimal(100), "KGM", PACK_PLANT, evidence.world_time()
            ),
            NewBatch(
                GTIN_PACK,
                f"P-{lot}",
                "850760",
                Decimal(10),
                "H87",
                PACK_PLANT,
                evidence.world_time(),
                inputs=(InputUse(hydroxide, Decimal(100)),),
            ),
        ],
    )
    section = evidence.section(evidence.ledger.batch_id_of(maker.address, GTIN_PACK, f"P-{lot}"), Regime.BATTERY)
    assert section.result("BATTERY-B3").outcome is Outcome.FAIL
    assert "lithium" in section.findings_of("BATTERY-B3")[0].message


def test_b3_a_battery_whose_lineage_shows_no_annex_x_material_needs_review(evidence: Harness) -> None:
    assert outcome(evidence, pack(evidence), "BATTERY-B3") is Outcome.REVIEW


def test_b4_a_producer_without_a_verified_due_diligence_policy_needs_review(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["cells-a"], Regime.BATTERY)  # cells: the cell maker's profile
    assert section.result("BATTERY-B4").outcome is Outcome.REVIEW


def test_b5_a_declaration_without_a_passport_id_fails(evidence: Harness) -> None:
    no_passport = {k: v for k, v in CONFORMITY.items() if k != "battery_passport_id"}
    batch = pack(
        evidence,
        evidence.doc(FOOTPRINT, DocumentKind.CARBON_FOOTPRINT_STUDY),
        evidence.doc(no_passport, DocumentKind.DECLARATION_OF_CONFORMITY),
    )
    assert outcome(evidence, batch, "BATTERY-B5") is Outcome.FAIL


def test_the_passport_and_due_diligence_rules_are_upcoming_before_their_dates(evidence: Harness) -> None:
    trace = evidence.ledger.trace(evidence.world.batches["packs-b"])
    sources = regime_sources(evidence.ledger, trace, vault=evidence.vault)
    (section,) = evaluate_regimes(trace, sources, ["BATTERY"], date(2027, 2, 17))
    status = {r.rule.id: r.status for r in section.rules}
    assert status == {
        "BATTERY-B1": RuleStatus.IN_FORCE,
        "BATTERY-B2": RuleStatus.IN_FORCE,
        "BATTERY-B3": RuleStatus.UPCOMING,
        "BATTERY-B4": RuleStatus.UPCOMING,
        "BATTERY-B5": RuleStatus.UPCOMING,
    }
    (b5,) = section.findings_of("BATTERY-B5")
    assert b5.status is RuleStatus.UPCOMING and b5.rule.applies_from == date(2027, 2, 18)
    (before,) = evaluate_regimes(trace, sources, ["BATTERY"], date(2026, 2, 17))
    assert before.verdict is RegimeVerdict.UPCOMING and before.outlook is RegimeVerdict.FAIL


def test_the_demo_documents_are_what_the_pack_line_cites(evidence: Harness) -> None:
    batch = evidence.ledger.batch(evidence.world.batches["packs-a"])
    assert document("carbon-footprint-bes-nmc-15.json", DocumentKind.CARBON_FOOTPRINT_STUDY) in batch.documents
