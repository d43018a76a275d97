"""The ledger's fixed-point scales: the contract counts quantities in thousandths of the batch's unit (and
emissions in grams), so every amount crosses the chain as an integer of thousandths. Pure Decimal arithmetic, in the
domain layer so that validation and the codec share it."""

from __future__ import annotations

from decimal import Decimal, localcontext

__all__ = ["MILLI", "from_milli", "from_scaled", "plain", "to_milli"]

MILLI = Decimal(1000)


def to_milli(value: Decimal) -> int:
    return int(value * MILLI)


def from_milli(value: int) -> Decimal:
    """Thousandths to a Decimal without trailing zeros or exponent (1500 -> 1.5, 1000000 -> 1000); exact for any
    uint64."""
    return from_scaled(int(value), 3)


def from_scaled(value: int, decimals: int) -> Decimal:
    """`value / 10**decimals` exactly, whatever the size of either (an int256 with 255 decimals included)."""
    sign = 1 if value < 0 else 0
    return plain(Decimal((sign, tuple(int(d) for d in str(abs(value))), -decimals)))


def plain(value: Decimal) -> Decimal:
    """`value` without trailing fractional zeros and never in exponent form. Exact for any finite value: the
    context is widened to the value's own digits (the default 28 would round an int256)."""
    if not value.is_finite():
        return value
    with localcontext() as context:
        context.prec = max(28, len(value.as_tuple().digits) + abs(int(value.as_tuple().exponent)) + 2)
        return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()
