"""Buyers' reads: search, batch detail, trace, participants, disclosures, domain, health, OpenAPI."""

from __future__ import annotations

import csv
import io
import json

from ledger.client import Ledger
from ledger.demo.apparel import GTIN_LINT, DemoWorld
from tests.api.conftest import TestClient


def test_search_pages_through_every_batch_once(client: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/batches", params=params).json()
        assert len(page["items"]) <= 3
        seen += [b["id"] for b in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 8  # the demo's eight batches
    assert pages == 3


def test_search_filters_by_gtin_country_and_producer(client: TestClient, world: DemoWorld) -> None:
    lint = client.get("/batches", params={"gtin": GTIN_LINT}).json()["items"]
    assert {b["lot"] for b in lint} == {"GJ25-LB-0412", "AKS-2025-0977"}
    indian = client.get("/batches", params={"country": "IN"}).json()["items"]
    assert [b["lot"] for b in indian] == ["GJ25-LB-0412"]
    spinning = client.get("/batches", params={"producer": world.account("spinning").address}).json()["items"]
    assert {b["lot"] for b in spinning} == {"SPY-25-A-031", "SPY-25-B-032"}
    by_label = client.get("/batches", params={"gtin": "6931234000105", "lot": "HG-DG-25-B-1202"}).json()["items"]
    assert [b["id"] for b in by_label] == [world.flagged_batch]


def test_batch_detail_shows_producer_inputs_documents_custody_flags_and_record(
    client: TestClient, world: DemoWorld
) -> None:
    fabric = client.get(f"/batches/{world.batches['fabric-b']}").json()
    assert fabric["producer_profile"]["legal_name"] == "Pearl River Weaving & Dyeing Co Ltd"
    assert fabric["facility_subdivision"] == "CN-GD"
    assert fabric["inputs"] == [{"batch_id": world.batches["yarn-b"], "quantity": "14000"}]
    assert [d["kind"] for d in fabric["documents"]] == ["bill_of_lading"]
    assert [c["to_address"] for c in fabric["custody"]] == [world.account("garment").address]
    assert fabric["flags"][0]["kind"] == "quality_hold" and fabric["flags"][0]["active"] is True
    assert fabric["recorded"]["tx_hash"].startswith("0x") and fabric["recorded"]["block_number"] > 0
    assert fabric["remaining"] == "2000"  # 70000 m woven, 68000 m cut into garments


def test_trace_lists_nodes_with_producer_country_and_consumption(client: TestClient, world: DemoWorld) -> None:
    trace = client.get(f"/batches/{world.flagged_batch}/trace").json()
    nodes = {n["lot"]: n for n in trace["nodes"]}
    assert set(nodes) == {"HG-DG-25-B-1202", "PRW-2025-B-78", "SPY-25-B-032", "GJ25-LB-0412", "AKS-2025-0977"}
    xinjiang = nodes["AKS-2025-0977"]
    assert (xinjiang["tier"], xinjiang["country"], xinjiang["subdivision"]) == (3, "CN", "CN-XJ")
    assert xinjiang["quantity_consumed"] == "10000" and xinjiang["process_emissions_kg"] is None
    assert nodes["PRW-2025-B-78"]["flags"][0]["kind"] == "quality_hold"
    assert len(trace["edges"]) == 4 and trace["as_of_block"] > 0 and trace["truncated"] is False


def test_trace_renders_as_mermaid_and_dot(client: TestClient, world: DemoWorld) -> None:
    mermaid = client.get(f"/batches/{world.passing_batch}/trace", params={"format": "mermaid"})
    assert mermaid.headers["content-type"].startswith("text/vnd.mermaid")
    assert mermaid.text.startswith("graph BT") and mermaid.text.count("-->") == 3
    dot = client.get(f"/batches/{world.passing_batch}/trace", params={"format": "dot"})
    assert dot.text.startswith("digraph trace {") and dot.text.count("->") == 3


def test_trace_depth_limit_marks_truncation(client: TestClient, world: DemoWorld) -> None:
    trace = client.get(f"/batches/{world.passing_batch}/trace", params={"max_depth": 1}).json()
    assert {n["tier"] for n in trace["nodes"]} == {0, 1} and trace["truncated"] is True


def test_participant_shows_profile_roles_disclosures_and_batch_count(client: TestClient, world: DemoWorld) -> None:
    weaving = client.get(f"/participants/{world.account('weaving').address.lower()}").json()
    assert weaving["legal_name"] == "Pearl River Weaving & Dyeing Co Ltd" and weaving["country"] == "CN"
    assert weaving["roles"] == ["FACTORY"] and weaving["suspended"] is False
    assert weaving["details"]["batches"] == 2 and weaving["party_gln"] == "6921234000014"
    [disclosure] = weaving["disclosures"]
    assert disclosure["framework"] == "ESRS" and disclosure["amended_since_attestation"] is True
    assert disclosure["audited"] is False and disclosure["attested_version"] == 1


def test_disclosure_history_shows_versions_reasons_and_what_each_attestation_covers(
    client: TestClient, world: DemoWorld
) -> None:
    body = client.get(f"/disclosures/{world.disclosures['weaving']}").json()
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][1]["reason"].startswith("Scope 1 restated")
    assert body["versions"][1]["supersedes"] == 1
    assert [a["version"] for a in body["versions"][0]["attested_by"]] == [1]
    assert body["versions"][1]["attested_by"] == []
    assert body["amended_since_attestation"] is True
    revoked = client.get(f"/disclosures/{world.disclosures['gin-xinjiang']}").json()["attestations"][0]
    assert revoked["active"] is False and revoked["revoke_reason"].startswith("site access")


def test_disclosures_filter_by_framework_and_attestation_with_pages(client: TestClient) -> None:
    gri = client.get("/disclosures", params={"framework": "GRI"}).json()["items"]
    assert len(gri) == 3 and {d["framework"] for d in gri} == {"GRI"}
    audited = client.get("/disclosures", params={"attested": True, "limit": 2}).json()
    assert len(audited["items"]) == 2 and audited["next_cursor"]
    rest = client.get("/disclosures", params={"attested": True, "limit": 2, "cursor": audited["next_cursor"]}).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None  # gin-gujarat, spinning, garment
    assert all(d["audited"] for d in audited["items"] + rest["items"])
    unaudited = client.get("/disclosures", params={"attested": False}).json()["items"]
    assert len(unaudited) == 2


def test_export_answers_csv_and_json_with_the_manifest(client: TestClient, world: DemoWorld) -> None:
    reply = client.get("/disclosures/export", params={"format": "csv", "framework": "ESRS"})
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
    assert "attachment" in reply.headers["content-disposition"]
    rows = [r for r in csv.reader(io.StringIO(reply.text)) if r and not r[0].startswith("#")]
    assert len(rows) > 1
    body = json.loads(client.get("/disclosures/export", params={"format": "json"}).content)
    assert body["manifest"]["chain_id"] > 0


def test_domain_and_nonce_tell_clients_how_to_sign(client: TestClient, demo_ledger: Ledger, world: DemoWorld) -> None:
    domain = client.get("/eip712/domain").json()
    assert domain["verifying_contract"] == demo_ledger.deployment.forwarder
    assert domain["ledger"] == demo_ledger.deployment.ledger
    assert domain["chain_id"] == demo_ledger.chain.chain_id
    assert domain["types"]["ForwardRequest"][0]["name"] == "from"
    nonce = client.get(f"/participants/{world.account('garment').address}/nonce").json()
    assert nonce["nonce"] == demo_ledger.nonce(world.account("garment").address) > 0


def test_health_reports_head_and_index_lag(client: TestClient) -> None:
    client.get("/batches")  # reads sync the index
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["lag"] == 0 and health["indexed_block"] == health["chain_head"]


#: Routes answering from data shipped with the service, never from the chain: they cannot be unavailable.
STATIC = {"/regimes", "/.well-known/gs1resolver"}


def test_openapi_documents_models_examples_and_errors_for_every_route(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    assert "Problem" in spec["components"]["schemas"]
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            ok = next((operation["responses"][s] for s in ("200", "201", "202") if s in operation["responses"]), None)
            assert ok and ok.get("content"), (method, path)
            errors = {s for s in operation["responses"] if s.startswith(("4", "5"))}
            assert "503" in errors or path in STATIC, (method, path)
            assert operation.get("summary"), (method, path)
            if method == "post":
                assert "examples" in json.dumps(
                    spec["components"]["schemas"].get("SignedRequestIn", {})
                ) or "examples" in json.dumps(operation)
    assert client.get("/docs").status_code == 200


def test_a_digital_link_or_scanned_element_string_names_a_gtin_and_lot(client: TestClient) -> None:
    lint = client.get("/batches", params={"gtin": GTIN_LINT}).json()["items"][0]
    by_code = client.get("/batches", params={"gtin": GTIN_LINT, "lot": lint["lot"]}).json()["items"]
    for label in (f"https://id.gs1.org/01/{GTIN_LINT}/10/{lint['lot']}", f"(01){GTIN_LINT}(10){lint['lot']}"):
        assert client.get("/batches", params={"gtin": label}).json()["items"] == by_code
        report = client.post("/due-diligence", json={"gtin": label})
        assert report.status_code == 200 and report.json()["batch"]["id"] == lint["id"], report.text
    assert client.get("/batches", params={"gtin": GTIN_LINT[1:]}).json()["items"][0] == lint  # GTIN-13 as GTIN-14
    wrong = client.get("/batches", params={"gtin": f"(01){GTIN_LINT}(10)A", "lot": "B"})
    assert wrong.status_code == 422 and "names lot 'A', not 'B'" in wrong.json()["detail"]
    bad = client.post("/due-diligence", json={"gtin": f"(01){GTIN_LINT[:-1]}{(int(GTIN_LINT[-1]) + 1) % 10}(10)A"})
    assert bad.status_code == 422 and "check digit" in bad.json()["detail"]
    no_lot = client.post("/due-diligence", json={"gtin": GTIN_LINT})
    assert no_lot.status_code == 422 and "has no lot (batch) number" in no_lot.json()["detail"]
