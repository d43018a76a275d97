"""The ESG metric catalogue, and disclosures with bad metrics or periods refused before anything is sent."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld, doc
from ledger.domain.errors import ValidationError
from ledger.domain.types import MetricValue
from ledger.esg import CATALOGUE, metrics_for, validate_metrics

REQUIRED = {
    "GHG_SCOPE1": ("tCO2e", {"GRI 305-1", "ESRS E1-6", "IFRS S2"}),
    "GHG_SCOPE2_LB": ("tCO2e", {"GRI 305-2", "ESRS E1-6", "IFRS S2"}),
    "GHG_SCOPE2_MB": ("tCO2e", {"GRI 305-2", "ESRS E1-6", "IFRS S2"}),
    "GHG_SCOPE3": ("tCO2e", {"GRI 305-3", "ESRS E1-6", "IFRS S2"}),
    "ENERGY_TOTAL": ("MWh", {"GRI 302-1", "ESRS E1-5"}),
    "ENERGY_RENEWABLE_SHARE": ("%", {"GRI 302-1", "ESRS E1-5"}),
    "WATER_WITHDRAWAL": ("m3", {"GRI 303-3", "ESRS E3-4"}),
    "WATER_CONSUMPTION": ("m3", {"GRI 303-5", "ESRS E3-4"}),
    "WASTE_GENERATED": ("t", {"GRI 306-3", "ESRS E5-5"}),
    "WASTE_DIVERTED": ("t", {"GRI 306-4", "ESRS E5-5"}),
    "EMPLOYEES": ("headcount", {"GRI 2-7", "ESRS S1-6"}),
    "INJURIES_RECORDABLE": ("count", {"GRI 403-9", "ESRS S1-14"}),
    "INJURY_RATE": ("per1Mh", {"GRI 403-9", "ESRS S1-14"}),
    "PRODUCT_FOOTPRINT": ("kgCO2e/unit", set()),
}
GOOD = (MetricValue("GHG_SCOPE1", Decimal("410.5"), "tCO2e"), MetricValue("EMPLOYEES", Decimal(240), "headcount"))


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_the_catalogue_carries_each_required_metric_with_its_unit_and_references(code: str) -> None:
    unit, references = REQUIRED[code]
    definition = CATALOGUE[code]
    assert definition.code == code
    assert definition.unit == unit
    assert references <= set(definition.references)
    assert definition.name
    assert len(code.encode("ascii")) <= 32
    assert len(unit.encode("ascii")) <= 16


def test_metrics_are_found_by_framework_reference() -> None:
    assert {d.code for d in metrics_for("GRI 305")} == {"GHG_SCOPE1", "GHG_SCOPE2_LB", "GHG_SCOPE2_MB", "GHG_SCOPE3"}
    assert {d.code for d in metrics_for("ESRS S1-14")} == {"INJURIES_RECORDABLE", "INJURY_RATE"}


def test_valid_metrics_pass_and_come_back_as_decimals() -> None:
    checked = validate_metrics([MetricValue("ENERGY_RENEWABLE_SHARE", "37.50", "%")])  # type: ignore[arg-type]
    assert checked == (MetricValue("ENERGY_RENEWABLE_SHARE", Decimal("37.50"), "%"),)
    assert validate_metrics(GOOD) == GOOD


# -- refused through the ledger, leaving it unchanged ----------------------------------------------------------------


def refused(ledger: Ledger, action: Callable[[], object]) -> ValidationError:
    """Run `action`, expect `ValidationError`, and check nothing was sent: same head, same disclosures."""
    ledger.sync()
    head, stats = ledger.chain.head, ledger.store.stats()
    with pytest.raises(ValidationError) as caught:
        action()
    assert ledger.chain.head == head
    ledger.sync()
    assert ledger.store.stats() == stats
    return caught.value


def test_an_unknown_metric_code_is_refused_naming_the_allowed_codes(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    bad = (*GOOD, MetricValue("GHG_SCOPE4", Decimal(1), "tCO2e"))
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), "2025-Q1", "GRI", bad, doc("r"), "u")
    )
    assert error.field == "metrics.code"
    assert "GHG_SCOPE4" in str(error)
    for code in CATALOGUE:
        assert code in str(error)


def test_a_wrong_unit_is_refused_naming_the_metrics_unit(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    bad = (MetricValue("GHG_SCOPE1", Decimal(410), "kgCO2e"),)
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), "2025-Q1", "GRI", bad, doc("r"), "u")
    )
    assert error.field == "metrics.unit"
    assert "'tCO2e'" in str(error) and "'kgCO2e'" in str(error)


def test_a_duplicate_metric_is_refused(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    bad = (*GOOD, MetricValue("GHG_SCOPE1", Decimal(411), "tCO2e"))
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), "2025-Q1", "GRI", bad, doc("r"), "u")
    )
    assert error.field == "metrics.code"
    assert "GHG_SCOPE1 appears more than once" in str(error)


@pytest.mark.parametrize("period", ["2025-Q5", "2025-H3", "FY2025", "2025-M01", "25", "2025-q1", ""])
def test_a_period_that_is_not_a_year_half_or_quarter_is_refused(demo: tuple[Ledger, DemoWorld], period: str) -> None:
    ledger, world = demo
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), period, "GRI", GOOD, doc("r"), "u")
    )
    assert error.field == "period"
    assert "2025-H1" in str(error) and "2025-Q3" in str(error)


@pytest.mark.parametrize(
    ("metric", "field", "words"),
    [
        (MetricValue("EMPLOYEES", Decimal("10.5"), "headcount"), "metrics.value", "at most 0 decimals"),
        (MetricValue("GHG_SCOPE1", Decimal("1.0001"), "tCO2e"), "metrics.value", "at most 3 decimals"),
        (MetricValue("GHG_SCOPE1", Decimal(-1), "tCO2e"), "metrics.value", "must not be negative"),
        (MetricValue("ENERGY_RENEWABLE_SHARE", Decimal("100.01"), "%"), "metrics.value", "at most 100"),
        (MetricValue("WATER_WITHDRAWAL", Decimal("NaN"), "m3"), "metrics.value", "finite"),
    ],
)
def test_out_of_range_values_are_refused(
    demo: tuple[Ledger, DemoWorld], metric: MetricValue, field: str, words: str
) -> None:
    ledger, world = demo
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), "2025-Q1", "GRI", (metric,), doc("r"), "u")
    )
    assert error.field == field
    assert words in str(error)


def test_a_disclosure_without_metrics_is_refused(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    error = refused(
        ledger, lambda: ledger.publish_disclosure(world.account("garment"), "2025-Q1", "GRI", (), doc("r"), "u")
    )
    assert error.field == "metrics"


@pytest.mark.parametrize(
    "bad",
    [
        (MetricValue("WATER_USE", Decimal(1), "m3"),),
        (MetricValue("WATER_WITHDRAWAL", Decimal(1), "l"),),
        (MetricValue("EMPLOYEES", Decimal(1), "headcount"), MetricValue("EMPLOYEES", Decimal(2), "headcount")),
    ],
    ids=["unknown code", "wrong unit", "duplicate"],
)
def test_an_amendment_with_bad_metrics_is_refused(demo: tuple[Ledger, DemoWorld], bad: tuple[MetricValue]) -> None:
    ledger, world = demo
    disclosure_id = world.disclosures["weaving"]
    before = ledger.disclosure(disclosure_id)
    refused(
        ledger,
        lambda: ledger.amend_disclosure(world.account("weaving"), disclosure_id, bad, doc("r2"), "u", "restated"),
    )
    assert ledger.disclosure(disclosure_id) == before


def test_a_valid_disclosure_with_every_catalogued_metric_is_published(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    metrics = tuple(
        MetricValue(d.code, Decimal("12.5") if d.decimals else Decimal(12), d.unit) for d in CATALOGUE.values()
    )
    disclosure_id, _ = ledger.publish_disclosure(world.account("garment"), "2025-H1", "ISSB", metrics, doc("r"), "u")
    published = ledger.disclosure(disclosure_id)
    assert published.latest.metrics == metrics
    assert published.period == "2025-H1"


def test_metrics_of_a_signed_call_are_checked_like_the_clients() -> None:
    """The API relays calls signed elsewhere: their ABI-encoded metrics go through the same catalogue."""
    from ledger.chain.calls import decode_call, encode_call
    from ledger.writes.disclosures import decode_metrics, encode_metrics, validate_metrics

    def decoded(metrics: tuple[MetricValue, ...]) -> list[dict[str, object]]:
        data = encode_call(
            "publishDisclosure",
            b"2025".ljust(16, b"\0"),
            b"GRI".ljust(8, b"\0"),
            encode_metrics(metrics),
            bytes(32),
            "u",
            False,
        )
        return decode_call(data).args["metrics"]

    assert validate_metrics(decode_metrics(decoded(GOOD))) == GOOD
    with pytest.raises(ValidationError) as caught:
        validate_metrics(decode_metrics(decoded((MetricValue("GHG_SCOPE1", Decimal(1), "t"),))))
    assert caught.value.field == "metrics.unit"
