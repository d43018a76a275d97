"""Buyers' due diligence: verdicts, findings with evidence, footprint, reproducibility, HTML."""

from __future__ import annotations

import json
from decimal import Decimal

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.domain.types import FlagKind
from tests.api.conftest import TestClient, assert_problem


def _report(client: TestClient, **body: object) -> dict:  # type: ignore[type-arg]
    reply = client.post("/due-diligence", json=body)
    assert reply.status_code == 200, reply.text
    return reply.json()  # type: ignore[no-any-return]


def test_flagged_batch_fails_on_xinjiang_cotton_quality_hold_and_revoked_attestation(
    client: TestClient, world: DemoWorld
) -> None:
    report = _report(client, batch_id=world.flagged_batch)
    assert report["verdict"] == "FAIL"
    rules = {(f["rule"], f["severity"]) for f in report["findings"]}
    assert ("high_risk_region", "fail") in rules
    assert ("active_flag", "fail") in rules
    assert ("missing_document", "review") in rules
    assert ("attestation_revoked", "review") in rules
    region = next(f for f in report["findings"] if f["rule"] == "high_risk_region")
    assert region["batch_id"] == world.batches["lint-xinjiang"] and region["tier"] == 3
    assert "CN-XJ" in region["message"]
    assert region["evidence"]["tx_hash"] == client.get(f"/batches/{region['batch_id']}").json()["recorded"]["tx_hash"]
    flag = next(f for f in report["findings"] if f["rule"] == "active_flag")
    assert flag["batch_id"] == world.batches["fabric-b"] and "colour fastness" in flag["message"]


def test_passing_batch_passes_with_only_informational_findings(client: TestClient, world: DemoWorld) -> None:
    report = _report(client, batch_id=world.passing_batch)
    assert report["verdict"] == "PASS"
    assert {f["severity"] for f in report["findings"]} <= {"info"}
    summary = report["summary"]
    assert (summary["tiers"], summary["suppliers"], summary["countries"]) == (4, 4, ["CN", "IN", "VN"])
    assert Decimal(summary["audited_input_share"]) == Decimal("0.6667")  # the weaver's amendment is not assured


def test_footprint_rolls_up_process_emissions_in_proportion_to_quantity_consumed(
    client: TestClient, world: DemoWorld
) -> None:
    footprint = _report(client, batch_id=world.passing_batch)["footprint"]
    # lint 7200 kg / 24000 kg; yarn 21600 + 12000 kg lint; fabric 36400 + 10400 kg yarn; garments 15000 + 51000 m
    lint = Decimal(7200) / 24000
    yarn = (Decimal(21600) + lint * 12000) / 10800
    fabric = (Decimal(36400) + yarn * 10400) / 52000
    total = Decimal(15000) + fabric * 51000
    assert Decimal(footprint["total_kg"]) == total.quantize(Decimal("0.001"))
    assert Decimal(footprint["per_unit_kg"]) == (total / 30000).quantize(Decimal("0.001"))
    assert footprint["unit"] == "H87" and Decimal(footprint["data_coverage"]) == 1
    flagged = _report(client, batch_id=world.flagged_batch)["footprint"]
    assert flagged["steps_without_data"] == [world.batches["lint-xinjiang"]]
    assert Decimal("0.5") < Decimal(flagged["data_coverage"]) < 1


def test_same_request_at_same_block_gives_the_same_report(client: TestClient, world: DemoWorld) -> None:
    first = _report(client, batch_id=world.flagged_batch)
    again = _report(client, batch_id=world.flagged_batch)
    assert first == again and first["as_of_block"] > 0


def test_report_as_of_an_earlier_block_ignores_later_facts(
    client: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    before = _report(client, batch_id=world.passing_batch)
    demo_ledger.flag_batch(world.account("garment"), world.passing_batch, FlagKind.RECALL, "needle found in seam")
    now = _report(client, batch_id=world.passing_batch)
    assert now["verdict"] == "FAIL" and now["as_of_block"] > before["as_of_block"]
    replayed = _report(client, batch_id=world.passing_batch, as_of_block=before["as_of_block"])
    assert replayed == before


def test_policy_rules_change_the_verdict(client: TestClient, world: DemoWorld) -> None:
    strict = _report(client, batch_id=world.passing_batch, policy={"required_assurance": "limited"})
    assert strict["verdict"] == "REVIEW"
    assert any(f["rule"] == "amended_since_attestation" and f["severity"] == "review" for f in strict["findings"])
    india = _report(client, batch_id=world.passing_batch, policy={"review_regions": ["IN-GJ"]})
    assert india["verdict"] == "REVIEW" and india["findings"][0]["rule"] == "review_region"
    heavy = _report(client, batch_id=world.passing_batch, policy={"max_footprint_per_unit_kg": "1.5"})
    assert heavy["verdict"] == "FAIL" and heavy["findings"][0]["rule"] == "footprint_over_limit"
    lenient = _report(
        client,
        batch_id=world.flagged_batch,
        policy={"reject_regions": [], "reject_flagged": False, "required_documents": {}},
    )
    assert lenient["verdict"] == "REVIEW"
    documents = _report(client, batch_id=world.passing_batch, policy={"required_documents": {"0": ["certificate"]}})
    assert documents["findings"][0]["rule"] == "missing_document" and documents["findings"][0]["tier"] == 0


def test_frameworks_and_disclosure_age_are_checked(client: TestClient, world: DemoWorld) -> None:
    issb = _report(client, batch_id=world.passing_batch, policy={"required_frameworks": ["ISSB"]})
    assert sum(f["rule"] == "framework_missing" for f in issb["findings"]) == 4
    fresh = _report(client, batch_id=world.passing_batch, policy={"max_disclosure_age_days": 0})
    assert fresh["verdict"] == "PASS"  # published today: zero days old


def test_batch_can_be_named_by_gtin_and_lot(client: TestClient, world: DemoWorld) -> None:
    report = _report(client, gtin="06931234000105", lot="HG-DG-25-B-1202")
    assert report["batch"]["id"] == world.flagged_batch


def test_html_report_for_accept_header_and_get_link(client: TestClient, world: DemoWorld) -> None:
    reply = client.post("/due-diligence", json={"batch_id": world.flagged_batch}, headers={"Accept": "text/html"})
    assert reply.headers["content-type"].startswith("text/html")
    assert "FAIL" in reply.text and "CN-XJ" in reply.text and "<table>" in reply.text
    policy = json.dumps({"reject_regions": [], "reject_flagged": False})
    link = client.get(
        f"/due-diligence/{world.flagged_batch}",
        params={"policy": policy},
        headers={"Accept": "text/html,application/xhtml+xml"},
    )
    assert link.headers["content-type"].startswith("text/html") and "REVIEW" in link.text
    as_json = client.get(f"/due-diligence/{world.passing_batch}", params={"format": "json"}).json()
    assert as_json["verdict"] == "PASS"


def test_bad_policy_is_refused(client: TestClient, world: DemoWorld) -> None:
    assert_problem(
        client.post("/due-diligence", json={"batch_id": world.passing_batch, "policy": {"reject_regions": ["XX-99"]}}),
        422,
    )
    assert_problem(
        client.post(
            "/due-diligence",
            json={"batch_id": world.passing_batch, "policy": {"required_documents": {"tier9": ["certificate"]}}},
        ),
        422,
    )
    assert_problem(client.get(f"/due-diligence/{world.passing_batch}", params={"policy": "{not json"}), 422)
    assert_problem(client.post("/due-diligence", json={"gtin": "06931234000105"}), 422)
    assert_problem(client.post("/due-diligence", json={"batch_id": world.passing_batch, "as_of_block": 10**9}), 422)
