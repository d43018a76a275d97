"""Bounded JSON: refuse nesting deeper than a limit before the parser sees it.

Why it matters: importing py_ecc (through eth-account and py-evm) raises the interpreter's recursion limit to 100,000,
so the C JSON parser no longer stops deep nesting before it overflows the C stack, and one 200 KB text of `[[[[...`
kills the process with SIGSEGV. The check reads the raw bytes at C speed (`bytes.count`, one regular expression,
`bytes.translate`), so it holds whatever the recursion limit is. Used by the API's request limits and by every reader
of JSON that comes from outside (EPCIS documents, uploaded documents, screening lists).

The check and the parser must read the same text. Python's parser, given bytes, guesses UTF-8, UTF-16 or UTF-32 by
itself; a check that counts brackets in the bytes is then fooled by a UTF-16 body (a character whose code holds the
byte of `"` opens a "string" that hides every bracket after it). So the encoding is decided once, here: UTF-8, as
RFC 8259 asks of JSON exchanged between systems (a leading BOM is ignored, as it allows), and anything else is
refused (`json_text`). The depth is counted on that text and that text is what gets parsed.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ledger.domain.errors import ValidationError

__all__ = ["DOCUMENT_JSON_DEPTH", "NotUtf8Error", "json_text", "json_too_deep", "load_json"]

#: A JSON string, to its closing quote or, if it never closes, to the end of the input (so a match never fails and
#: is retried further on). Possessive quantifiers: no backtracking, one linear pass whatever the input.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_STEP = [1 if c in b"[{" else -1 if c in b"]}" else 0 for c in range(256)]

#: Nesting allowed in documents read from the vault (GeoJSON nests four levels for a MultiPolygon's positions).
DOCUMENT_JSON_DEPTH = 32


class NotUtf8Error(ValidationError):
    """JSON from outside that is not UTF-8 text (RFC 8259 section 8.1): UTF-16, UTF-32, or broken bytes."""

    code = "json_not_utf8"


def json_text(data: bytes) -> str:
    """The text of a JSON body: its bytes read as UTF-8, a leading BOM dropped. Raises `NotUtf8Error` for anything
    else, UTF-16 and UTF-32 included (with or without a BOM): a NUL is never part of JSON text, and Python's parser
    would read bytes holding one as UTF-16 or UTF-32."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # a UTF-16 or UTF-32 byte-order mark
        raise NotUtf8Error(
            "JSON must be UTF-8 (RFC 8259 section 8.1): this is UTF-16 or UTF-32 (it starts with a byte-order mark)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(f"JSON must be UTF-8 (RFC 8259 section 8.1): byte {exc.start} is not") from None
    nul = text.find("\0")
    if nul >= 0:
        raise NotUtf8Error(
            f"JSON must be UTF-8 (RFC 8259 section 8.1): byte {len(text[:nul].encode())} is NUL, "
            "as in UTF-16 or UTF-32 (and never in JSON text)"
        )
    return text.removeprefix("\ufeff")


def json_too_deep(data: bytes | str, limit: int) -> bool:
    """True if the JSON text opens more than `limit` arrays or objects inside one another (brackets inside strings
    do not count). Everything runs at C speed: strings removed by one regular expression, the other bytes but
    brackets deleted, then the running depth summed. A parser stops at the first bracket that closes more than was
    opened, so what comes after cannot nest it deeper than this counts."""
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:  # fewer brackets than the limit: no scan needed
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=0)) > limit


def load_json(data: bytes | str, *, limit: int = DOCUMENT_JSON_DEPTH, decimals: bool = False) -> Any:
    """Parse JSON from outside: UTF-8 (a BOM is allowed; `json_text`), at most `limit` levels deep, counted on the
    text that is parsed. Numbers with a fraction come back as `Decimal` when `decimals` is set (their written
    precision is kept). Raises `ValidationError`."""
    text = json_text(data) if isinstance(data, bytes) else data.removeprefix("\ufeff")
    if json_too_deep(text, limit):
        raise ValidationError(f"JSON nested more than {limit} levels deep")
    try:
        if decimals:
            from decimal import Decimal

            return json.loads(text, parse_float=Decimal)
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"not JSON: {exc}") from None
