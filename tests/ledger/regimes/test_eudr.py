"""EUDR pack: every rule passes on the demo's compliant rubber lot and fails (or asks for review) on a lot recorded
with the flaw it looks for, on a real chain with real documents in a real vault."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ledger.demo.rubber import GTIN_CONCENTRATE, GTIN_FIELD_LATEX, GTIN_GLOVES
from ledger.diligence import due_diligence
from ledger.domain.types import DocumentKind, Gln, InputUse, NewBatch, ParticipantProfile, Role, Severity, Site
from ledger.regimes import Outcome, Regime, RegimeVerdict, RuleStatus, Sources, evaluate_regimes
from ledger.regimes.eudr import PACK
from tests.conftest import account
from tests.evidence import (
    COOP_SITE,
    GLOVES_SITE,
    Harness,
    dds,
    deforestation,
    geojson_bytes,
    good_plots,
    plot_feature,
    position,
    square,
)
from tests.ledger.builders import gln


def outcome(harness: Harness, batch_id: str, rule: str) -> tuple[Outcome, tuple[Severity, ...]]:
    section = harness.section(batch_id, Regime.EUDR)
    return section.result(rule).outcome, tuple(f.severity for f in section.findings_of(rule))


@pytest.mark.parametrize("rule", [r.id for r in PACK.rules])
def test_every_rule_passes_on_the_compliant_demo_lot(evidence: Harness, rule: str) -> None:
    section = evidence.section(evidence.world.batches["gloves-a"], Regime.EUDR)
    assert section.verdict is RegimeVerdict.PASS
    assert section.result(rule).outcome is Outcome.PASS, section.findings_of(rule)


def test_a_lot_built_with_every_document_passes(evidence: Harness) -> None:
    lot = evidence.rubber_lot()
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.verdict is RegimeVerdict.PASS, section.findings


def test_e1_a_product_outside_annex_i_is_not_applicable(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["garments-a"], Regime.EUDR)
    assert section.verdict is RegimeVerdict.NOT_APPLICABLE
    assert all(r.outcome is Outcome.NOT_APPLICABLE for r in section.rules)


def test_e1_an_ex_heading_product_whose_lineage_shows_no_rubber_needs_review(evidence: Harness) -> None:
    gloves, _ = evidence.ledger.record_batch(
        evidence.world.account("gloves"),
        NewBatch(GTIN_GLOVES, "NITRILE-01", "401519", Decimal(1000), "PR", GLOVES_SITE, evidence.world_time()),
    )
    section = evidence.section(gloves, Regime.EUDR)
    assert section.result("EUDR-E1").outcome is Outcome.REVIEW and section.verdict is RegimeVerdict.REVIEW
    assert all(r.outcome is Outcome.NOT_APPLICABLE for r in section.rules[1:])  # first establish the scope


def test_e2_an_article_of_rubber_recorded_without_inputs_fails(evidence: Harness) -> None:
    coop = evidence.world.account("rubber-coop")
    compound = evidence.ledger.batch_id_of(coop.address, GTIN_CONCENTRATE, "CMP-1")
    latex = evidence.ledger.batch_id_of(coop.address, GTIN_FIELD_LATEX, "FLX-1")
    raw_documents = evidence.rubber_documents("X")
    evidence.ledger.record_batches(
        coop,
        [
            NewBatch(
                GTIN_FIELD_LATEX,
                "FLX-1",
                "400110",
                Decimal(100),
                "KGM",
                COOP_SITE,
                evidence.world_time(),
                documents=raw_documents,
            ),
            NewBatch(GTIN_CONCENTRATE, "CMP-1", "400510", Decimal(50), "KGM", COOP_SITE, evidence.world_time()),
            NewBatch(
                GTIN_GLOVES,
                "GLX-1",
                "401519",
                Decimal(1000),
                "PR",
                COOP_SITE,
                evidence.world_time(),
                inputs=(InputUse(latex, Decimal(100)), InputUse(compound, Decimal(50))),
                documents=(evidence.doc(dds(), DocumentKind.DUE_DILIGENCE_STATEMENT),),
            ),
        ],
    )
    section = evidence.section(evidence.ledger.batch_id_of(coop.address, GTIN_GLOVES, "GLX-1"), Regime.EUDR)
    assert section.result("EUDR-E2").outcome is Outcome.FAIL
    assert (
        "CMP-1" in section.findings_of("EUDR-E2")[0].message
        and "not traced" in section.findings_of("EUDR-E2")[0].message
    )


def test_e2_raw_latex_without_a_plot_map_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot(raw_documents=(evidence.doc(deforestation([]), DocumentKind.DEFORESTATION_EVIDENCE),))
    assert outcome(evidence, lot["gloves"], "EUDR-E2")[0] is Outcome.FAIL


def test_e2_a_plot_map_missing_from_the_vault_fails(evidence: Harness) -> None:
    plots = evidence.doc(geojson_bytes(good_plots("absent")), DocumentKind.PLOT_GEOLOCATION, store=False)
    lot = evidence.rubber_lot(raw_documents=(plots,))
    section = evidence.section(lot["gloves"], Regime.EUDR)
    found = section.findings_of("EUDR-E2")
    assert section.result("EUDR-E2").outcome is Outcome.FAIL and "not in the vault" in found[0].message
    assert found[0].evidence[0].in_vault is False  # type: ignore[union-attr]


def test_e3_a_plot_over_4_ha_given_as_a_point_fails(evidence: Harness) -> None:
    section = evidence.section(evidence.world.batches["gloves-b"], Regime.EUDR)
    assert section.verdict is RegimeVerdict.FAIL
    assert section.result("EUDR-E3").outcome is Outcome.FAIL
    assert "KD-BL-0207" in section.findings_of("EUDR-E3")[0].message


def test_e3_a_point_without_an_area_needs_review(evidence: Harness) -> None:
    plots = [plot_feature("P-1", {"type": "Point", "coordinates": position(100.93, 5.69)})]
    lot = evidence.rubber_lot(plots=plots)
    assert outcome(evidence, lot["gloves"], "EUDR-E3") == (Outcome.REVIEW, (Severity.REVIEW,))


def test_e4_a_self_intersecting_polygon_fails(evidence: Harness) -> None:
    bow_tie = [[[100.91, 5.67], [100.912, 5.672], [100.912, 5.67], [100.91, 5.672], [100.91, 5.67]]]
    lot = evidence.rubber_lot(plots=[plot_feature("BOW", {"type": "Polygon", "coordinates": bow_tie}, area=1.0)])
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E4").outcome is Outcome.FAIL
    assert "Self-intersection" in section.findings_of("EUDR-E4")[0].message


def test_e4_a_declared_area_more_than_10_percent_off_needs_review(evidence: Harness) -> None:
    plots = [plot_feature("BIG", {"type": "Polygon", "coordinates": square(100.91, 5.67)}, area=4.5)]
    lot = evidence.rubber_lot(plots=plots)
    assert outcome(evidence, lot["gloves"], "EUDR-E4") == (Outcome.REVIEW, (Severity.REVIEW,))


def test_e4_a_plot_map_that_is_not_geojson_fails(evidence: Harness) -> None:
    ids = ["X"]
    lot = evidence.rubber_lot(
        raw_documents=(
            evidence.doc(b"%PDF-1.4 a scanned map", DocumentKind.PLOT_GEOLOCATION),
            evidence.doc(deforestation(ids), DocumentKind.DEFORESTATION_EVIDENCE),
            evidence.doc(b"titles", DocumentKind.LEGALITY_PERMIT),
        )
    )
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E4").outcome is Outcome.FAIL
    assert "not GeoJSON" in section.findings_of("EUDR-E4")[0].message


def test_e5_a_plot_declaring_another_country_fails(evidence: Harness) -> None:
    plots = [plot_feature("TH-1", {"type": "Polygon", "coordinates": square(100.91, 5.67)}, area=3.1, country="TH")]
    lot = evidence.rubber_lot(plots=plots)
    assert outcome(evidence, lot["gloves"], "EUDR-E5")[0] is Outcome.FAIL


def test_e5_a_plot_outside_its_country_needs_review(evidence: Harness) -> None:
    far = [plot_feature("FAR", {"type": "Polygon", "coordinates": square(100.91, 15.67)}, area=3.0)]  # north Thailand
    lot = evidence.rubber_lot(plots=far)
    assert outcome(evidence, lot["gloves"], "EUDR-E5") == (Outcome.REVIEW, (Severity.REVIEW,))


@pytest.mark.parametrize(
    ("start", "end", "why"),
    [
        (None, None, "does not state"),
        ("2026-07-01", "2026-05-01", "ends before it starts"),
        ("2026-05-01", "2099-01-01", "after the batch was made"),
    ],
)
def test_e6_missing_inverted_or_late_production_dates_fail(
    evidence: Harness, start: str | None, end: str | None, why: str
) -> None:
    plots = [
        plot_feature("D", {"type": "Polygon", "coordinates": square(100.91, 5.67)}, area=3.1, start=start, end=end)
    ]
    lot = evidence.rubber_lot(plots=plots)
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E6").outcome is Outcome.FAIL
    assert why in section.findings_of("EUDR-E6")[0].message


def test_e7_no_deforestation_evidence_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot(
        raw_documents=(
            evidence.doc(geojson_bytes(good_plots("N")), DocumentKind.PLOT_GEOLOCATION),
            evidence.doc(b"titles N", DocumentKind.LEGALITY_PERMIT),
        )
    )
    assert outcome(evidence, lot["gloves"], "EUDR-E7")[0] is Outcome.FAIL


def test_e7_evidence_that_finds_deforestation_fails(evidence: Harness) -> None:
    plots = good_plots("DF")
    lot = evidence.rubber_lot(
        raw_documents=(
            evidence.doc(geojson_bytes(plots), DocumentKind.PLOT_GEOLOCATION),
            evidence.doc(deforestation(["DF-1", "DF-2"], free=False), DocumentKind.DEFORESTATION_EVIDENCE),
            evidence.doc(b"titles DF", DocumentKind.LEGALITY_PERMIT),
        )
    )
    assert outcome(evidence, lot["gloves"], "EUDR-E7")[0] is Outcome.FAIL


@pytest.mark.parametrize("body", [deforestation(["C-1"]), deforestation(["C-1", "C-2"], baseline="2021-06-30")])
def test_e7_evidence_missing_a_plot_or_after_the_cut_off_needs_review(evidence: Harness, body: dict) -> None:
    lot = evidence.rubber_lot(
        raw_documents=(
            evidence.doc(geojson_bytes(good_plots("C")), DocumentKind.PLOT_GEOLOCATION),
            evidence.doc(body, DocumentKind.DEFORESTATION_EVIDENCE),
            evidence.doc(b"titles C", DocumentKind.LEGALITY_PERMIT),
        )
    )
    assert outcome(evidence, lot["gloves"], "EUDR-E7") == (Outcome.REVIEW, (Severity.REVIEW,))


def test_e8_a_producer_without_a_legality_document_needs_review(evidence: Harness) -> None:
    lot = evidence.rubber_lot(
        raw_documents=(
            evidence.doc(geojson_bytes(good_plots("L")), DocumentKind.PLOT_GEOLOCATION),
            evidence.doc(deforestation(["L-1", "L-2"]), DocumentKind.DEFORESTATION_EVIDENCE),
        )
    )
    assert outcome(evidence, lot["gloves"], "EUDR-E8") == (Outcome.REVIEW, (Severity.REVIEW,))


def test_e9_a_step_yielding_more_than_its_inputs_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot(concentrate_kg="25000")  # 25 t of concentrate from 20 t of field latex
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E9").outcome is Outcome.FAIL
    assert "unknown origin" in section.findings_of("EUDR-E9")[0].message


def test_e9_a_lineage_cut_short_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot()
    report = due_diligence(
        evidence.ledger,
        lot["gloves"],
        max_depth=1,
        regimes=["EUDR"],
        as_of=date(2099, 1, 1),
        vault=evidence.vault,
        lists=evidence.lists,
    )
    assert report.regimes[0].result("EUDR-E9").outcome is Outcome.FAIL


def test_e10_a_supplier_without_address_and_email_fails(evidence: Harness) -> None:
    coop = account("anonymous rubber coop")
    profile = evidence.doc(
        {"format": "participant-profile/1", "legal_name": "Anonymous Coop"}, DocumentKind.OTHER, by=[coop.address]
    )
    evidence.ledger.register_participant(
        coop.address,
        ParticipantProfile("Anonymous Coop", "MY", (Site(gln(901), "MY-02"),), profile_hash=profile.hash),
        (Role.FACTORY,),
    )
    raw, _ = evidence.ledger.record_batch(
        coop,
        NewBatch(
            GTIN_FIELD_LATEX,
            "ANON-1",
            "400110",
            Decimal(100),
            "KGM",
            gln(901),
            evidence.world_time(),
            documents=(
                evidence.doc(geojson_bytes(good_plots("AN")), DocumentKind.PLOT_GEOLOCATION),
                evidence.doc(deforestation(["AN-1", "AN-2"]), DocumentKind.DEFORESTATION_EVIDENCE),
                evidence.doc(b"titles AN", DocumentKind.LEGALITY_PERMIT),
                evidence.doc(dds(), DocumentKind.DUE_DILIGENCE_STATEMENT),
            ),
        ),
    )
    section = evidence.section(raw, Regime.EUDR)
    assert section.result("EUDR-E10").outcome is Outcome.FAIL
    assert "no postal address and no email" in section.findings_of("EUDR-E10")[0].message


@pytest.mark.parametrize("risk", ["non-negligible", None])
def test_e11_a_standard_risk_origin_without_a_negligible_risk_conclusion_needs_review(
    evidence: Harness, risk: str | None
) -> None:
    lot = evidence.rubber_lot(gloves_documents=(evidence.doc(dds(risk=risk), DocumentKind.DUE_DILIGENCE_STATEMENT),))
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E11").outcome is Outcome.REVIEW
    assert "MY: standard risk" in section.findings_of("EUDR-E11")[0].evidence[0].entry  # type: ignore[union-attr]


def test_e12_a_product_without_a_due_diligence_statement_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot(gloves_documents=())
    assert outcome(evidence, lot["gloves"], "EUDR-E12")[0] is Outcome.FAIL


def test_e12_a_statement_without_its_reference_number_fails(evidence: Harness) -> None:
    lot = evidence.rubber_lot(
        gloves_documents=(evidence.doc(dds(reference=None), DocumentKind.DUE_DILIGENCE_STATEMENT),)
    )
    section = evidence.section(lot["gloves"], Regime.EUDR)
    assert section.result("EUDR-E12").outcome is Outcome.FAIL
    assert "reference_number is missing" in section.findings_of("EUDR-E12")[0].message


def test_before_the_eudr_applies_its_rules_are_upcoming_not_failures(evidence: Harness) -> None:
    trace = evidence.ledger.trace(evidence.world.batches["gloves-b"])
    (section,) = evaluate_regimes(trace, Sources(documents=evidence.vault), ["EUDR"], date(2026, 12, 29))
    assert section.verdict is RegimeVerdict.UPCOMING and section.outlook is RegimeVerdict.FAIL
    assert all(f.status is RuleStatus.UPCOMING for f in section.findings)
    assert {r.rule.applies_from for r in section.rules} == {date(2026, 12, 30)}
    (section,) = evaluate_regimes(trace, Sources(documents=evidence.vault), ["EUDR"], date(2026, 12, 30))
    assert section.verdict is RegimeVerdict.FAIL


def test_a_plot_map_is_evidence_for_its_uploaders_batch_whoever_cited_it_first(evidence: Harness) -> None:
    """A hash is public: citing it does not make the document one's own, citing it first neither. The Xinjiang gin
    cites the cooperative's plot map first; the map is evidence for the cooperative's lot (it uploaded the map), not
    for the gin's batch."""
    coop = evidence.world.account("rubber-coop").address
    plots = evidence.doc(geojson_bytes(good_plots("borrowed")), DocumentKind.PLOT_GEOLOCATION, by=[coop])
    borrowed, _ = evidence.ledger.record_batch(
        evidence.world.account("gin-xinjiang"),
        NewBatch(
            GTIN_FIELD_LATEX,
            "BORROWED-1",
            "400110",
            Decimal(1),
            "KGM",
            Gln("6901234000016"),
            evidence.world_time(),
            documents=(plots,),
        ),
    )
    lot = evidence.rubber_lot(
        raw_documents=(
            plots,
            evidence.doc(deforestation(["borrowed-1", "borrowed-2"]), DocumentKind.DEFORESTATION_EVIDENCE),
            evidence.doc(b"%PDF-1.4 land titles borrowed", DocumentKind.LEGALITY_PERMIT),
        )
    )
    assert outcome(evidence, lot["gloves"], "EUDR-E2")[0] is Outcome.PASS
    assert "carries no plot geolocation" in evidence.section(borrowed, Regime.EUDR).findings_of("EUDR-E2")[0].message
