"""Rule packs over HTTP: GET /regimes, and due-diligence reports with one section per regime (JSON and HTML)."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.regimes import packs
from tests.api.conftest import assert_problem, login
from tests.evidence import Harness

ALL = ["EUDR", "UFLPA", "CSDDD", "BATTERY", "EU_FLR"]


@pytest.fixture
def http(evidence: Harness) -> Iterator[TestClient]:
    app = create_app(ApiSettings(), evidence.ledger, vault=evidence.vault, lists=evidence.lists)
    with TestClient(app) as client:
        client.headers.update(login(client, evidence.ledger.chain.operator))  # the admin: sees every chain
        yield client


def test_get_regimes_lists_every_pack_with_its_version_and_rules(http: TestClient) -> None:
    body = http.get("/regimes").json()
    assert [p["regime"] for p in body] == ALL
    eudr = body[0]
    assert eudr["rules_version"] == "2025.12" and eudr["applies_from"] == "2026-12-30"
    e4 = next(r for r in eudr["rules"] if r["id"] == "EUDR-E4")
    assert set(e4) == {"id", "title", "severity", "article", "applies_from", "message"}
    assert sum(len(p["rules"]) for p in body) == sum(len(p.rules) for p in packs())


def test_a_report_gains_one_section_per_regime_in_the_order_asked(http: TestClient, evidence: Harness) -> None:
    reply = http.post(
        "/due-diligence",
        json={"batch_id": evidence.world.batches["gloves-b"], "regimes": ["EUDR", "UFLPA"], "as_of": "2027-01-15"},
    )
    assert reply.status_code == 200, reply.text
    report = reply.json()
    eudr, uflpa = report["regimes"]
    assert (eudr["regime"], eudr["verdict"], eudr["as_of"]) == ("EUDR", "FAIL", "2027-01-15")
    assert uflpa["regime"] == "UFLPA"
    assert set(eudr) == {
        "regime",
        "title",
        "law",
        "rules_version",
        "as_of",
        "verdict",
        "outlook",
        "scope",
        "rules",
        "findings",
        "reference_data",
        "lists",
    }
    e3 = next(f for f in eudr["findings"] if f["rule"] == "EUDR-E3")
    assert (e3["severity"], e3["status"], e3["article"], e3["applies_from"]) == (
        "fail",
        "in_force",
        "Art. 2(28)",
        "2026-12-30",
    )
    assert e3["evidence"] == [
        {
            "kind": "document",
            "what": "plot map of batch KSRC-26-B-0312",
            "sha256": e3["evidence"][0]["sha256"],
            "document_kind": "plot_geolocation",
            "in_vault": True,
        }
    ]
    assert {r["rule"]: r["outcome"] for r in eudr["rules"]}["EUDR-E3"] == "fail"
    assert report["verdict"] in ("PASS", "REVIEW", "FAIL")  # the policy's verdict stands beside the regimes'


def test_screening_findings_cite_the_list_entry_version_and_date(http: TestClient, evidence: Harness) -> None:
    report = http.post(
        "/due-diligence", json={"batch_id": evidence.world.batches["garments-b"], "regimes": ["UFLPA"]}
    ).json()
    (section,) = report["regimes"]
    assert section["lists"][0] | {"sha256": None} == {
        "name": "uflpa",
        "version": 1,
        "list_date": "2026-10-01",
        "sha256": None,
        "entries": 11,
    }
    entries = [
        e for f in section["findings"] if f["rule"] == "UFLPA-U2" for e in f["evidence"] if e["kind"] == "list_entry"
    ]
    assert {e["score"] for e in entries} >= {100.0}
    assert all(
        {"list", "list_version", "list_date", "entry", "matched", "screened", "score", "row"} <= set(e) for e in entries
    )


def test_before_the_law_applies_its_rules_are_reported_as_upcoming(http: TestClient, evidence: Harness) -> None:
    report = http.post(
        "/due-diligence", json={"batch_id": evidence.world.batches["garments-b"], "regimes": ["EU_FLR"]}
    ).json()  # as_of: the date of the block
    (section,) = report["regimes"]
    assert (section["verdict"], section["outlook"]) == ("UPCOMING", "REVIEW")
    assert {f["status"] for f in section["findings"]} == {"upcoming"}
    assert {f["applies_from"] for f in section["findings"]} == {"2027-12-14"}


def test_the_html_report_shows_one_section_per_regime(http: TestClient, evidence: Harness) -> None:
    page = http.post(
        "/due-diligence",
        json={"batch_id": evidence.world.batches["packs-b"], "regimes": ALL, "as_of": "2028-01-15"},
        headers={"Accept": "text/html"},
    )
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    html = page.text
    assert "<h2>Regimes</h2>" in html
    assert re.findall(r'<section class="regime"><h3>(\w+):', html) == ALL
    assert '<span class="verdict FAIL">FAIL</span>' in html  # the battery line without a footprint
    assert "BATTERY-B1" in html and "Art. 7(1)" in html and "NOT APPLICABLE" in html
    link = http.get(
        f"/due-diligence/{evidence.world.batches['packs-b']}",
        params={"regimes": "BATTERY,EUDR", "format": "html", "as_of": "2028-01-15"},
    )
    assert re.findall(r'<section class="regime"><h3>(\w+):', link.text) == ["BATTERY", "EUDR"]


def test_an_unknown_regime_is_refused(http: TestClient, evidence: Harness) -> None:
    batch = evidence.world.batches["gloves-a"]
    assert_problem(http.post("/due-diligence", json={"batch_id": batch, "regimes": ["CBAM"]}), 422)
    body = assert_problem(http.get(f"/due-diligence/{batch}", params={"regimes": "EUDR,CBAM", "format": "json"}), 422)
    assert "unknown regime 'CBAM'" in body["detail"]


def test_a_report_date_before_the_chains_first_block_is_refused(http: TestClient, evidence: Harness) -> None:
    body = assert_problem(
        http.post(
            "/due-diligence",
            json={"batch_id": evidence.world.batches["gloves-a"], "regimes": ["EUDR"], "as_of": "2019-12-31"},
        ),
        422,
    )
    assert body["field"] == "as_of" and "first block" in body["detail"]


@pytest.mark.parametrize("as_of", [20260101, 1.5, True])
def test_a_report_date_that_is_not_a_written_date_is_refused_saying_how_to_write_one(
    http: TestClient, evidence: Harness, as_of: object
) -> None:
    body = assert_problem(
        http.post(
            "/due-diligence", json={"batch_id": evidence.world.batches["gloves-a"], "regimes": ["EUDR"], "as_of": as_of}
        ),
        422,
    )
    assert "YYYY-MM-DD" in body["detail"]
