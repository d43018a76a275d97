"""Reading a document: the official schema (naming the path), bounds before parsing, GS1 keys in every form."""

from __future__ import annotations

import json

import pytest

from ledger.epcis import schema
from ledger.epcis.document import MAX_DOCUMENT_BYTES, EpcisDocumentError, load
from ledger.epcis.keys import GS1KeyError, class_key, gtin_and_lot, location_gln, party_gln
from ledger.epcis.schema import EpcisSchemaError
from tests.ledger.epcis.conftest import COTTON, EXAMPLES, document, lgtin, q, when


def event(**fields: object) -> dict[str, object]:
    return {
        "type": "ObjectEvent",
        "eventTime": when(),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "quantityList": [q(COTTON, "L1", 10)],
        **fields,
    }


BAD = [
    document(event(quantityList=[{"epcClass": lgtin(COTTON, "L1"), "quantity": 1, "uom": "kg"}])),
    document(event(type="FooEvent")),
    document(event(action="MOVE")),
    document(event(eventTimeZoneOffset="+25:00")),
    json.dumps({"type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": when(), "epcisBody": {}}),
]


def test_every_example_conforms_and_the_inlined_schema_judges_as_the_official_one() -> None:
    texts = [p.read_text() for p in sorted(EXAMPLES.glob("*.jsonld"))] + BAD
    for text in texts:
        body = json.loads(text)
        assert schema.problem(body) is None if text not in BAD else schema.problem(body) is not None
        assert schema.official_validator().is_valid(body) == (schema.problem(body) is None)


def test_a_document_that_fails_the_schema_is_refused_naming_the_path() -> None:
    with pytest.raises(EpcisSchemaError) as refused:
        load(BAD[0])
    assert refused.value.field == "$.epcisBody.eventList[0].quantityList[0].uom"
    assert "'kg' does not match" in str(refused.value)


def test_an_unknown_event_type_is_refused_by_the_schema() -> None:
    with pytest.raises(EpcisSchemaError) as refused:
        load(BAD[1])
    assert refused.value.field == "$.epcisBody.eventList[0].type"
    assert "FooEvent" in str(refused.value)


def test_a_10_mb_document_is_refused_before_it_is_parsed() -> None:
    padding = "x" * (10 * 1024 * 1024)
    text = document(event(**{"ledger:note": padding}))
    assert len(text.encode()) > MAX_DOCUMENT_BYTES
    with pytest.raises(EpcisDocumentError, match="at most 8,388,608"):
        load(text)


def test_nesting_deeper_than_the_bound_is_refused_before_parsing() -> None:
    with pytest.raises(EpcisDocumentError, match="nests more than"):
        load('{"a":' * 100_000 + "1" + "}" * 100_000)


def test_only_epcis_documents_are_read() -> None:
    with pytest.raises(EpcisDocumentError, match="expected an EPCISDocument"):
        load('{"type": "ObjectEvent"}')
    with pytest.raises(EpcisDocumentError, match="not JSON"):
        load("{nope")


@pytest.mark.parametrize(
    ("value", "refusal"),
    [
        ("NaN", "NaN is no JSON number"),
        ("-Infinity", "-Infinity is no JSON number"),
        ("1" + "0" * 400, "an integer of 401 digits"),
    ],
)
def test_numbers_json_has_not_are_refused_before_they_are_stored(value: str, refusal: str) -> None:
    """A NaN stored in a captured event made every later query of its lineage a 500 (it cannot be written as JSON);
    10**400 overflowed the hash's JSON-LD library."""
    sensor = {"sensorElementList": [{"sensorReport": [{"type": "Temperature", "value": "VALUE"}]}]}
    text = document(event(**sensor)).replace('"VALUE"', value)
    with pytest.raises(EpcisDocumentError, match=refusal):
        load(text)


def test_every_form_of_a_lot_names_the_same_gtin_and_lot() -> None:
    expected = (COTTON, "L/1")
    assert (class_key(lgtin(COTTON, "L%2F1")).gtin, class_key(lgtin(COTTON, "L%2F1")).lot) == expected
    assert gtin_and_lot(f"https://id.gs1.org/01/{COTTON}/10/L%2F1") == expected
    assert gtin_and_lot(f"https://shop.example/01/{COTTON[1:]}/10/L%2F1?17=260101") == expected
    assert gtin_and_lot(f"(01){COTTON}(10)L/1") == expected
    assert gtin_and_lot(f"]d201{COTTON}10L/1") == expected
    assert gtin_and_lot(COTTON[1:], "L/1") == expected  # GTIN-13 with the lot apart
    assert class_key(f"urn:epc:idpat:sgtin:{COTTON[1:8]}.0{COTTON[8:13]}.*").lot is None


def test_a_gtin_with_a_bad_check_digit_is_refused() -> None:
    bad = COTTON[:-1] + str((int(COTTON[-1]) + 1) % 10)
    for text in (f"(01){bad}(10)L1", f"https://id.gs1.org/01/{bad}/10/L1"):
        with pytest.raises(GS1KeyError, match="check digit"):
            gtin_and_lot(text)


def test_a_lot_over_20_characters_is_refused() -> None:
    lot = "L" * 21
    with pytest.raises(GS1KeyError, match="1-20 characters"):
        class_key(lgtin(COTTON, lot))
    with pytest.raises(GS1KeyError, match="1 to 20 characters"):
        gtin_and_lot(f"https://id.gs1.org/01/{COTTON}/10/{lot}")
    with pytest.raises(GS1KeyError, match="1-20 characters"):
        gtin_and_lot(COTTON, lot)


def test_sites_and_parties_read_from_urns_and_digital_links() -> None:
    assert location_gln("urn:epc:id:sgln:4012345.00001.0") == "4012345000016"
    assert location_gln("urn:epc:id:sgln:4012345.00001.dock-7") == "4012345000016"
    assert location_gln("https://id.gs1.org/414/4012345000016") == "4012345000016"
    assert party_gln("urn:epc:id:pgln:4012345.00001") == "4012345000016"
    assert party_gln("https://id.gs1.org/417/4012345000016") == "4012345000016"
    with pytest.raises(GS1KeyError, match="check digit"):
        party_gln("https://id.gs1.org/417/4012345000017")
