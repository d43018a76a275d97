"""Checks on identifiers and codes before anything is sent to the chain.

Each function returns the normalised value or raises `ValidationError` naming the field and what is allowed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pycountry
from eth_utils import is_address, to_checksum_address

from ledger.errors import ValidationError
from ledger.types import Address, BatchId, Gln, Gtin, Hash32

# UN/ECE Recommendation 20 codes used for goods in apparel, textile, electronics and raw-material trade.
UNITS: dict[str, str] = {
    "KGM": "kilogram",
    "GRM": "gram",
    "TNE": "tonne",
    "LBR": "pound",
    "MTR": "metre",
    "KMT": "kilometre",
    "CMT": "centimetre",
    "YRD": "yard",
    "MTK": "square metre",
    "YDK": "square yard",
    "MTQ": "cubic metre",
    "LTR": "litre",
    "H87": "piece",
    "C62": "one (unit)",
    "EA": "each",
    "PR": "pair",
    "DZN": "dozen",
    "SET": "set",
    "XBE": "bundle",
    "XBL": "bale",
    "XRO": "roll",
    "XCT": "carton",
    "XPK": "package",
    "KWH": "kilowatt hour",
    "MWH": "megawatt hour",
}
GS1_LOT = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")  # GS1 AI(10), character set 82
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>H[12]|Q[1-4]))?$")
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
FRAMEWORKS = ("GRI", "ESRS", "ISSB")


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin(value: str) -> Gtin:
    """A GTIN-8/12/13/14, returned as GTIN-14 (left-padded with zeros)."""
    text = str(value).strip()
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        raise ValidationError(f"GTIN must be 8, 12, 13 or 14 digits, got {value!r}", field="gtin")
    if gs1_check_digit(text[:-1]) != int(text[-1]):
        raise ValidationError(
            f"GTIN {value!r} has a wrong check digit (expected {gs1_check_digit(text[:-1])})", field="gtin"
        )
    return Gtin(text.zfill(14))


def gln(value: str) -> Gln:
    text = str(value).strip()
    if not text.isdigit() or len(text) != 13:
        raise ValidationError(f"GLN must be 13 digits, got {value!r}", field="gln")
    if gs1_check_digit(text[:-1]) != int(text[-1]):
        raise ValidationError(f"GLN {value!r} has a wrong check digit", field="gln")
    return Gln(text)


def lot(value: str) -> str:
    if not GS1_LOT.match(value or ""):
        raise ValidationError(
            f"lot must be 1-20 characters of the GS1 AI(10) set (letters, digits, -./ etc.), got {value!r}",
            field="lot",
        )
    return value


def unit(value: str) -> str:
    if value not in UNITS:
        raise ValidationError(
            f"unit {value!r} is not a supported UN/ECE Rec 20 code; allowed: {', '.join(sorted(UNITS))}",
            field="unit",
        )
    return value


def hs_code(value: str) -> str:
    text = str(value).replace(".", "").strip()
    if not text.isdigit() or len(text) != 6:
        raise ValidationError(f"HS code must be 6 digits, got {value!r}", field="hs_code")
    return text


def country(value: str) -> str:
    code = (value or "").upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(f"{value!r} is not an ISO 3166-1 alpha-2 country code", field="country")
    return code


def subdivision(value: str) -> str:
    code = (value or "").upper()
    if len(code) > 6 or pycountry.subdivisions.get(code=code) is None:
        raise ValidationError(f"{value!r} is not an ISO 3166-2 subdivision code (e.g. CN-GD)", field="subdivision")
    return code


def region(value: str) -> str:
    """An ISO 3166-1 alpha-2 country or an ISO 3166-2 subdivision."""
    return subdivision(value) if "-" in (value or "") else country(value)


def address(value: str, field: str = "address") -> Address:
    if not isinstance(value, str) or not is_address(value):
        raise ValidationError(f"{value!r} is not an Ethereum address", field=field)
    return Address(to_checksum_address(value))


def hash32(value: str, field: str = "hash") -> Hash32:
    if not isinstance(value, str) or not HEX32.match(value):
        raise ValidationError(f"{field} must be 0x followed by 64 hex digits", field=field)
    return Hash32(value.lower())


def batch_id(value: str) -> BatchId:
    return BatchId(hash32(value, field="batch_id"))


def quantity(value: Decimal | int | str, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """A finite, positive quantity with at most three decimals (stored as thousandths)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{field} must be a number, got {value!r}", field=field) from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be finite", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(f"{field} must be positive, got {value}", field=field)
    if number != number.quantize(Decimal("0.001")):
        raise ValidationError(f"{field} has more than 3 decimals: {value}", field=field)
    if number * 1000 >= 2**64:
        raise ValidationError(f"{field} is too large: {value}", field=field)
    return number


def period(value: str) -> str:
    """A reporting period: a year (2025), a half (2025-H1) or a quarter (2025-Q3)."""
    if not PERIOD.match(value or ""):
        raise ValidationError(
            f"period {value!r} must be a year (2025), a half (2025-H1) or a quarter (2025-Q3)", field="period"
        )
    return value


def framework(value: str) -> str:
    if value not in FRAMEWORKS:
        raise ValidationError(f"framework {value!r} is not one of {', '.join(FRAMEWORKS)}", field="framework")
    return value


def timestamp(value: datetime, field: str = "produced_at") -> datetime:
    if value.tzinfo is None:
        raise ValidationError(f"{field} must carry a time zone", field=field)
    if value > datetime.now(UTC).replace(microsecond=0) and (value - datetime.now(UTC)).total_seconds() > 3600:
        raise ValidationError(f"{field} is in the future: {value.isoformat()}", field=field)
    return value
