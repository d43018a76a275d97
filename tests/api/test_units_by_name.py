"""Pages name units ("piece", "kilogram"), never a bare UN/ECE code: the passport and the report read quantities and
footprints through one rendering of `ledger.domain.validation.UNITS`."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fastapi.testclient import TestClient

from api.render import quantity_text, unit_name
from ledger.demo.apparel import DemoWorld


def test_the_passport_page_names_the_unit(anonymous: TestClient, world: DemoWorld) -> None:
    page = anonymous.get(f"/batches/{world.passing_batch}/passport", headers={"Accept": "text/html"}).text
    assert "30,000 pieces" in page and "kg CO2e per piece" in page
    assert "H87" not in page
    body = anonymous.get(f"/batches/{world.passing_batch}/passport").json()
    assert (body["unit"], body["unit_name"]) == ("H87", "piece")  # JSON keeps the code and adds its name


def test_the_report_page_names_the_unit(client: TestClient, world: DemoWorld) -> None:
    page = client.get(f"/due-diligence/{world.passing_batch}", headers={"Accept": "text/html"}).text
    assert "30,000 pieces" in page and "kg CO2e per piece" in page
    assert "30000 H87" not in page and "(H87)" not in page  # the code is for machines: words only, as the passport


@pytest.mark.parametrize(
    ("quantity", "unit", "text"),
    [
        (Decimal(40000), "H87", "40,000 pieces"),
        (Decimal(1), "H87", "1 piece"),
        (Decimal("14400.000"), "KGM", "14,400 kilograms"),
        (Decimal("0.5"), "KGM", "0.5 kilograms"),
        (Decimal(3), "DZN", "3 dozen"),
        (Decimal(2), "C62", "2 units"),
        (Decimal(5), "ZZZ", "5 ZZZ"),  # a code the ledger does not know is shown as it is
    ],
)
def test_quantities_read_with_the_units_name(quantity: Decimal, unit: str, text: str) -> None:
    assert quantity_text(quantity, unit) == text


def test_a_footprint_is_per_one_unit() -> None:
    assert unit_name("H87") == "piece" and unit_name("KWH") == "kilowatt hour" and unit_name("C62") == "unit"


@pytest.mark.parametrize("fmt", ["mermaid", "dot"])
def test_trace_graphs_name_the_unit(client: TestClient, world: DemoWorld, fmt: str) -> None:
    graph = client.get(f"/batches/{world.passing_batch}/trace", params={"format": fmt}).text
    assert "30,000 pieces" in graph and "H87" not in graph


def test_a_footprint_finding_names_the_unit(client: TestClient, world: DemoWorld) -> None:
    report = client.post(
        "/due-diligence", json={"batch_id": world.passing_batch, "policy": {"max_footprint_per_unit_kg": "0.001"}}
    ).json()
    (over,) = (f for f in report["findings"] if f["rule"] == "footprint_over_limit")
    assert "kg CO2e per piece, above" in over["message"]
