"""Bounded JSON: refuse nesting deeper than a limit before the parser sees it.

Why it matters: importing py_ecc (through eth-account and py-evm) raises the interpreter's recursion limit to 100,000,
so the C JSON parser no longer stops deep nesting before it overflows the C stack, and one 200 KB text of `[[[[...`
kills the process with SIGSEGV. The check reads the raw bytes at C speed (`bytes.count`, one regular expression,
`bytes.translate`), so it holds whatever the recursion limit is. Used by the API's request limits and by every reader
of JSON that comes from outside (EPCIS documents, uploaded documents, screening lists).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from ledger.errors import ValidationError

#: A JSON string, to its closing quote or, if it never closes, to the end of the input (so a match never fails and
#: is retried further on). Possessive quantifiers: no backtracking, one linear pass whatever the input.
_STRING = re.compile(rb'"(?:[^"\\]++|\\.)*+(?:"|\\?\Z)', re.DOTALL)
_NOT_BRACKETS = bytes(c for c in range(256) if c not in b"[]{}")
_STEP = [1 if c in b"[{" else -1 if c in b"]}" else 0 for c in range(256)]

#: Nesting allowed in documents read from the vault (GeoJSON nests four levels for a MultiPolygon's positions).
DOCUMENT_JSON_DEPTH = 32


def json_too_deep(data: bytes | str, limit: int) -> bool:
    """True if the JSON text opens more than `limit` arrays or objects inside one another (brackets inside strings
    do not count). Everything runs at C speed: strings removed by one regular expression, the other bytes but
    brackets deleted, then the running depth summed. A parser stops at the first bracket that closes more than was
    opened, so what comes after cannot nest it deeper than this counts."""
    raw = data.encode() if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:  # fewer brackets than the limit: no scan needed
        return False
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKETS)
    return max(accumulate(map(_STEP.__getitem__, brackets), initial=0)) > limit


def load_json(data: bytes, *, limit: int = DOCUMENT_JSON_DEPTH, decimals: bool = False) -> Any:
    """Parse JSON from outside: at most `limit` levels deep, UTF-8 (a BOM is allowed). Numbers with a fraction come
    back as `Decimal` when `decimals` is set (their written precision is kept). Raises `ValidationError`."""
    if json_too_deep(data, limit):
        raise ValidationError(f"JSON nested more than {limit} levels deep")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError("not UTF-8 text") from None
    try:
        if decimals:
            from decimal import Decimal

            return json.loads(text, parse_float=Decimal)
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise ValidationError(f"not JSON: {exc}") from None
