"""The report's top badge and `verdict` never hide a worse regime verdict (JSON and the printable page)."""

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
from tests.api.conftest import login
from tests.evidence import Harness


@pytest.fixture
def http(evidence: Harness) -> Iterator[TestClient]:
    app = create_app(ApiSettings(), evidence.ledger, vault=evidence.vault, lists=evidence.lists)
    with TestClient(app) as client:
        client.headers.update(login(client, evidence.ledger.chain.operator))
        yield client


def test_a_failing_eudr_section_makes_the_badge_and_the_verdict_fail(http: TestClient, evidence: Harness) -> None:
    body = {"batch_id": evidence.world.batches["gloves-b"], "regimes": ["EUDR"], "as_of": "2027-01-15"}
    report = http.post("/due-diligence", json=body).json()
    assert report["regimes"][0]["verdict"] == "FAIL"
    assert (report["verdict"], report["policy_verdict"]) == ("FAIL", "REVIEW")
    page = http.post("/due-diligence", json=body, headers={"Accept": "text/html"}).text
    badge = re.search(r'<h1>Due-diligence report <span class="verdict (\w+)">(\w+)</span>', page)
    assert badge is not None and badge.groups() == ("FAIL", "FAIL")
