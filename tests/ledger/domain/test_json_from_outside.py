"""Every reader of JSON from outside decides the encoding once (UTF-8, a BOM allowed) and counts the nesting on the
text it parses. Nesting here stays at 1,000 levels: deep enough to pass any limit, shallow enough that a reader
without the check parses it instead of crashing this process."""

from __future__ import annotations

import codecs
import json

import pytest

from ledger.anchoring import BUNDLE_FORMAT, AnchorBundle
from ledger.domain.errors import ValidationError
from ledger.domain.jsonlimits import NotUtf8Error, json_text, load_json
from ledger.epcis.verify import proofs_in
from ledger.esg.formats import read_export

NESTED = "[" * 1_000 + "]" * 1_000
TEXT = '{"name": "Zürich \u2200", "n": [1, 2]}'


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_or_without_a_bom_are_not_json_text(encoding: str) -> None:
    with pytest.raises(NotUtf8Error, match="UTF-8"):
        json_text(TEXT.encode(encoding))
    with pytest.raises(NotUtf8Error):
        load_json(TEXT.encode(encoding))


def test_utf8_with_or_without_a_bom_is_the_same_text() -> None:
    assert json_text(TEXT.encode()) == json_text(codecs.BOM_UTF8 + TEXT.encode()) == TEXT
    assert load_json(codecs.BOM_UTF8 + TEXT.encode()) == json.loads(TEXT)


def test_a_bracket_hidden_by_a_utf16_code_unit_is_still_counted() -> None:
    """U+2200 in UTF-16 holds the byte of `"`: counted in the bytes, the brackets after it looked like a string."""
    with pytest.raises(NotUtf8Error):
        load_json(('["\u2200", ' + NESTED + "]").encode("utf-16-le"))
    with pytest.raises(ValidationError, match="nested"):
        load_json(('["\u2200", ' + NESTED + "]").encode())


def test_an_esg_json_export_nested_too_deep_is_refused() -> None:
    with pytest.raises(ValidationError, match="nested"):
        read_export(('{"manifest": {}, "rows": ' + NESTED + "}").encode(), "json")


def test_an_anchor_bundle_nested_too_deep_is_refused() -> None:
    with pytest.raises(ValidationError, match="nested"):
        AnchorBundle.from_json(json.dumps({"format": BUNDLE_FORMAT})[:-1] + ', "records": ' + NESTED + "}")


def test_a_receipt_nested_too_deep_is_refused_by_verify() -> None:
    with pytest.raises(ValidationError, match="nested"):
        proofs_in('{"epcisBody": ' + NESTED + "}")
    with pytest.raises(NotUtf8Error):
        proofs_in('{"type": "EPCISDocument"}'.encode("utf-16"))
