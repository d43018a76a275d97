"""Checks on identifiers and codes before anything is sent to the chain.

Each function returns the normalised value or raises `ValidationError` naming the field and what is allowed.
"""

from __future__ import annotations

import functools
import re
import time
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

import pycountry
from eth_utils import is_address, to_checksum_address

from ledger.domain import rules
from ledger.domain.errors import ValidationError
from ledger.domain.types import Address, BatchId, Gln, Gtin, Hash32
from ledger.domain.units import from_milli

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
#: How a unit reads where its name above is not the word a sentence needs: (one, many).
_SPOKEN: dict[str, tuple[str, str]] = {"C62": ("unit", "units"), "DZN": ("dozen", "dozen"), "EA": ("each", "each")}


def unit_name(code: str, *, plural: bool = False) -> str:
    """A UN/ECE Rec 20 code as a person reads it ("piece", "kilograms"): the one rendering of units in messages and
    pages. A code the ledger does not know (the chain may hold any) is shown as it is."""
    if code in _SPOKEN:
        return _SPOKEN[code][plural]
    name = UNITS.get(code)
    if name is None:
        return code
    return name + "s" if plural else name


def quantity_text(quantity: Decimal, code: str) -> str:
    """ "40,000 pieces", "1 piece", "14,400 kilograms": digits grouped, trailing zeros dropped, the unit by name."""
    number = f"{quantity.normalize():,f}" if quantity.is_finite() else str(quantity)
    return f"{number} {unit_name(code, plural=quantity != 1)}"


GS1_LOT = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]{1,20}$")  # GS1 AI(10), character set 82
PERIOD = re.compile(r"^(?P<year>\d{4})(?:-(?P<part>H[12]|Q[1-4]))?$")
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")
FRAMEWORKS = ("GRI", "ESRS", "ISSB")


def shown(value: object, limit: int = 80) -> str:
    """`repr(value)`, cut to `limit` characters: error messages echo what was sent, never a megabyte of it."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def gs1_check_digit(body: str) -> int:
    """GS1 mod-10 check digit of the digits before it (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def gtin(value: str) -> Gtin:
    """A GTIN-8/12/13/14, returned as GTIN-14 (left-padded with zeros)."""
    text = str(value).strip()
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        raise ValidationError(f"GTIN must be 8, 12, 13 or 14 digits, got {shown(value)}", field="gtin")
    if gs1_check_digit(text[:-1]) != int(text[-1]):
        raise ValidationError(
            f"GTIN {shown(value)} has a wrong check digit (expected {gs1_check_digit(text[:-1])})", field="gtin"
        )
    return Gtin(text.zfill(14))


def gln(value: str) -> Gln:
    text = str(value).strip()
    if not text.isdigit() or len(text) != 13:
        raise ValidationError(f"GLN must be 13 digits, got {shown(value)}", field="gln")
    if gs1_check_digit(text[:-1]) != int(text[-1]):
        raise ValidationError(f"GLN {shown(value)} has a wrong check digit", field="gln")
    return Gln(text)


def lot(value: str) -> str:
    if not GS1_LOT.match(value or ""):
        raise ValidationError(
            f"lot must be 1-20 characters of the GS1 AI(10) set (letters, digits, -./ etc.), got {shown(value)}",
            field="lot",
        )
    return value


def unit(value: str) -> str:
    if value not in UNITS:
        raise ValidationError(
            f"unit {shown(value)} is not a supported UN/ECE Rec 20 code; allowed: {', '.join(sorted(UNITS))}",
            field="unit",
        )
    return value


def hs_code(value: str) -> str:
    text = str(value).replace(".", "").strip()
    if not text.isdigit() or len(text) != 6:
        raise ValidationError(f"HS code must be 6 digits, got {shown(value)}", field="hs_code")
    return text


def country(value: str) -> str:
    code = (value or "").upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValidationError(f"{shown(value)} is not an ISO 3166-1 alpha-2 country code", field="country")
    return code


def subdivision(value: str) -> str:
    code = (value or "").upper()
    if len(code) > 6 or pycountry.subdivisions.get(code=code) is None:
        raise ValidationError(f"{shown(value)} is not an ISO 3166-2 subdivision code (e.g. CN-GD)", field="subdivision")
    return code


def region(value: str) -> str:
    """An ISO 3166-1 alpha-2 country or an ISO 3166-2 subdivision."""
    return subdivision(value) if "-" in (value or "") else country(value)


def address(value: str, field: str = "address") -> Address:
    found = _checksummed(value) if isinstance(value, str) and len(value) <= 42 else None
    if found is None:
        raise ValidationError(f"{shown(value)} is not an Ethereum address", field=field)
    return found


@functools.lru_cache(maxsize=4_096)
def _checksummed(value: str) -> Address | None:
    """The checksummed form of a valid address, else None. Cached: the checksum is a keccak (about 20 us) and every
    read names the same few addresses again and again."""
    return Address(to_checksum_address(value)) if is_address(value) else None


def hash32(value: str, field: str = "hash") -> Hash32:
    if not isinstance(value, str) or not HEX32.match(value):
        raise ValidationError(f"{field} must be 0x followed by 64 hex digits", field=field)
    return Hash32(value.lower())


def merkle_commitment(root: str, count: int, what: str) -> bytes:
    """A Merkle root (non-zero, 32 bytes) over 1 to 2**32-1 leaves (`uint32 count` on chain)."""
    raw = bytes.fromhex(hash32(root, "root")[2:])
    if not any(raw):
        raise ValidationError(f"the {what} root must not be zero", field="root")
    if not 1 <= count < 2**32:
        raise ValidationError(f"a root covers 1 to {2**32 - 1} {what}, got {count}", field="count")
    return raw


def batch_id(value: str) -> BatchId:
    return BatchId(hash32(value, field="batch_id"))


def quantity(
    value: Decimal | int | str,
    field: str = "quantity",
    *,
    allow_zero: bool = False,
    maximum_milli: int = rules.MAX_QUANTITY_MILLI,
) -> Decimal:
    """A finite, positive quantity with at most three decimals (stored as thousandths), at most `maximum_milli`
    thousandths (the contract's bound)."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{field} must be a number, got {shown(value)}", field=field) from None
    if not number.is_finite():
        raise ValidationError(f"{field} must be finite", field=field)
    if number < 0 or (number == 0 and not allow_zero):
        raise ValidationError(f"{field} must be positive, got {shown(value)}", field=field)
    if number.scaleb(3) > maximum_milli:  # before quantize, which fails on numbers wider than the context
        raise ValidationError(
            f"{field} is too large: {shown(value)} (at most {from_milli(maximum_milli):f})", field=field
        )
    if number != number.quantize(Decimal("0.001")):
        raise ValidationError(f"{field} has more than 3 decimals: {shown(value)}", field=field)
    return number


def period(value: str) -> str:
    """A reporting period: a year (2025), a half (2025-H1) or a quarter (2025-Q3)."""
    if not PERIOD.match(value or ""):
        raise ValidationError(
            f"period {shown(value)} must be a year (2025), a half (2025-H1) or a quarter (2025-Q3)", field="period"
        )
    return value


def framework(value: str) -> str:
    if value not in FRAMEWORKS:
        raise ValidationError(f"framework {shown(value)} is not one of {', '.join(FRAMEWORKS)}", field="framework")
    return value


def timestamp(value: datetime, field: str = "produced_at", *, now: float | None = None) -> datetime:
    """A time with a zone, not before 1970 and at most `rules.MAX_FUTURE_SECONDS` after `now` (default: the wall
    clock), the tolerance the contract allows against the block's time."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(f"{field} must be a time with a time zone", field=field)
    seconds = value.timestamp()
    if seconds < 0:
        raise ValidationError(f"{field} is before 1970: {value.isoformat()}", field=field)
    limit = (time.time() if now is None else now) + rules.MAX_FUTURE_SECONDS
    if seconds > limit:
        raise ValidationError(
            f"{field} is in the future: {value.isoformat()} (latest accepted "
            f"{datetime.fromtimestamp(int(limit), UTC).isoformat()})",
            field=field,
        )
    return value


def text(value: str, field: str, *, max_bytes: int, required: bool = True) -> str:
    """A free text (reason, URI): present if `required`, at most `max_bytes` UTF-8 bytes (the contract's bound)."""
    if not isinstance(value, str):
        raise ValidationError(f"{field} must be text", field=field)
    if required and not value.strip():
        raise ValidationError(f"{field} must not be empty", field=field)
    size = len(value.encode("utf-8", errors="surrogatepass"))
    if size > max_bytes:
        raise ValidationError(f"{field} is {size} bytes long; at most {max_bytes} are allowed", field=field)
    return value
