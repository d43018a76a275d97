"""The ESG metric catalogue: what a disclosure may report, in which unit, and which framework items it answers.

A metric code is ASCII and fits the contract's `bytes32`; a unit fits its `bytes16`. Values are fixed-point: a
metric declares the most decimals it allows (the chain stores `value * 10**decimals` with the decimals used).
`validate_metrics` is the single gate in front of `Ledger.publish_disclosure` and `Ledger.amend_disclosure`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from ledger.domain.errors import ValidationError
from ledger.domain.types import MetricValue

CODE_BYTES = 32
UNIT_BYTES = 16


class MetricCategory(StrEnum):
    CLIMATE = "climate"
    ENERGY = "energy"
    WATER = "water"
    WASTE = "waste"
    WORKFORCE = "workforce"
    HEALTH_SAFETY = "health_safety"
    PRODUCT = "product"


@dataclass(frozen=True)
class MetricDefinition:
    """One catalogued metric. `decimals` is the most decimals a reported value may carry."""

    code: str
    name: str
    unit: str
    decimals: int
    references: tuple[str, ...]
    category: MetricCategory
    maximum: Decimal | None = None  # inclusive upper bound where one exists (a share is at most 100 %)

    def __post_init__(self) -> None:
        if not self.code.isascii() or len(self.code.encode()) > CODE_BYTES:
            raise ValueError(f"metric code {self.code!r} must be ASCII of at most {CODE_BYTES} bytes")
        if not self.unit.isascii() or len(self.unit.encode()) > UNIT_BYTES:
            raise ValueError(f"unit {self.unit!r} of {self.code} must be ASCII of at most {UNIT_BYTES} bytes")


_GHG = ("ESRS E1-6", "IFRS S2")
_DEFINITIONS = (
    MetricDefinition(
        "GHG_SCOPE1", "Gross Scope 1 GHG emissions", "tCO2e", 3, ("GRI 305-1", *_GHG), MetricCategory.CLIMATE
    ),
    MetricDefinition(
        "GHG_SCOPE2_LB",
        "Gross location-based Scope 2 GHG emissions",
        "tCO2e",
        3,
        ("GRI 305-2", *_GHG),
        MetricCategory.CLIMATE,
    ),
    MetricDefinition(
        "GHG_SCOPE2_MB",
        "Gross market-based Scope 2 GHG emissions",
        "tCO2e",
        3,
        ("GRI 305-2", *_GHG),
        MetricCategory.CLIMATE,
    ),
    MetricDefinition(
        "GHG_SCOPE3", "Gross Scope 3 GHG emissions", "tCO2e", 3, ("GRI 305-3", *_GHG), MetricCategory.CLIMATE
    ),
    MetricDefinition(
        "ENERGY_TOTAL", "Total energy consumption", "MWh", 3, ("GRI 302-1", "ESRS E1-5"), MetricCategory.ENERGY
    ),
    MetricDefinition(
        "ENERGY_RENEWABLE_SHARE",
        "Share of energy consumption from renewable sources",
        "%",
        2,
        ("GRI 302-1", "ESRS E1-5"),
        MetricCategory.ENERGY,
        maximum=Decimal(100),
    ),
    MetricDefinition(
        "WATER_WITHDRAWAL", "Total water withdrawal", "m3", 3, ("GRI 303-3", "ESRS E3-4"), MetricCategory.WATER
    ),
    MetricDefinition(
        "WATER_CONSUMPTION", "Total water consumption", "m3", 3, ("GRI 303-5", "ESRS E3-4"), MetricCategory.WATER
    ),
    MetricDefinition(
        "WASTE_GENERATED", "Total waste generated", "t", 3, ("GRI 306-3", "ESRS E5-5"), MetricCategory.WASTE
    ),
    MetricDefinition(
        "WASTE_DIVERTED", "Waste diverted from disposal", "t", 3, ("GRI 306-4", "ESRS E5-5"), MetricCategory.WASTE
    ),
    MetricDefinition(
        "EMPLOYEES", "Total number of employees", "headcount", 0, ("GRI 2-7", "ESRS S1-6"), MetricCategory.WORKFORCE
    ),
    MetricDefinition(
        "INJURIES_RECORDABLE",
        "Recordable work-related injuries",
        "count",
        0,
        ("GRI 403-9", "ESRS S1-14"),
        MetricCategory.HEALTH_SAFETY,
    ),
    MetricDefinition(
        "INJURY_RATE",
        "Rate of recordable work-related injuries per 1,000,000 hours worked",
        "per1Mh",
        3,
        ("GRI 403-9", "ESRS S1-14"),
        MetricCategory.HEALTH_SAFETY,
    ),
    MetricDefinition(
        "PRODUCT_FOOTPRINT",
        "Product carbon footprint per declared unit",
        "kgCO2e/unit",
        3,
        ("ISO 14067", "GHG Protocol Product Standard"),
        MetricCategory.PRODUCT,
    ),
)

CATALOGUE: dict[str, MetricDefinition] = {d.code: d for d in _DEFINITIONS}


def metric(code: str) -> MetricDefinition:
    """The catalogued metric `code`, or `ValidationError` naming the allowed codes."""
    found = CATALOGUE.get(code)
    if found is None:
        raise ValidationError(f"unknown metric code {code!r}; allowed: {', '.join(CATALOGUE)}", field="metrics.code")
    return found


def metrics_for(reference: str) -> tuple[MetricDefinition, ...]:
    """Catalogued metrics answering a framework item, matched by prefix ("GRI 305", "ESRS E1-6", "IFRS S2")."""
    return tuple(d for d in _DEFINITIONS if any(r == reference or r.startswith(reference) for r in d.references))


def validate_metric(value: MetricValue) -> MetricValue:
    """One reported figure checked against the catalogue; the value is returned as a plain `Decimal`."""
    definition = metric(value.code)
    if value.unit != definition.unit:
        raise ValidationError(
            f"metric {value.code} must be reported in {definition.unit!r}, got {value.unit!r}", field="metrics.unit"
        )
    try:
        number = Decimal(str(value.value))
    except InvalidOperation:
        raise ValidationError(
            f"metric {value.code} value must be a number, got {value.value!r}", field="metrics.value"
        ) from None
    if not number.is_finite():
        raise ValidationError(f"metric {value.code} value must be finite", field="metrics.value")
    if number < 0:
        raise ValidationError(f"metric {value.code} must not be negative, got {number}", field="metrics.value")
    if definition.maximum is not None and number > definition.maximum:
        raise ValidationError(
            f"metric {value.code} must be at most {definition.maximum} {definition.unit}, got {number}",
            field="metrics.value",
        )
    exponent = number.as_tuple().exponent
    used = max(0, -exponent) if isinstance(exponent, int) else 0
    if used > definition.decimals and number != number.quantize(Decimal(1).scaleb(-definition.decimals)):
        raise ValidationError(
            f"metric {value.code} allows at most {definition.decimals} decimals, got {number}", field="metrics.value"
        )
    if used > definition.decimals:  # trailing zeros only: drop them
        number = number.quantize(Decimal(1).scaleb(-definition.decimals))
    return MetricValue(value.code, number, value.unit)


def validate_metrics(metrics: Sequence[MetricValue]) -> tuple[MetricValue, ...]:
    """The figures of one disclosure version: at least one, each catalogued with its unit, no metric twice."""
    if isinstance(metrics, MetricValue) or not metrics:
        raise ValidationError("a disclosure needs at least one metric", field="metrics")
    seen: set[str] = set()
    checked = []
    for value in metrics:
        if value.code in seen:
            raise ValidationError(
                f"metric {value.code} appears more than once; report each metric once per "
                "disclosure (amend the disclosure to restate it)",
                field="metrics.code",
            )
        seen.add(value.code)
        checked.append(validate_metric(value))
    return tuple(checked)
