"""CBV 2.0 event hashes: the reference implementation's, offline, one event one hash."""

from __future__ import annotations

import json

from epcis_event_hash_generator import hash_generator, json_to_py

from ledger.epcis.document import load
from ledger.epcis.hashing import digest_of, event_hashes, hash_events
from tests.ledger.epcis.conftest import COTTON, EXAMPLES, document, q, when

#: The reference implementation reads only EPCISDocuments, and fails on the rail example's nested term definitions.
REFERENCE_READS = [
    p for p in sorted(EXAMPLES.glob("*.jsonld")) if "QueryDocument" not in p.name and "TransactionEvents" not in p.name
]


def test_hashes_equal_the_reference_implementations_on_the_standards_examples() -> None:
    assert len(REFERENCE_READS) == 6
    for path in REFERENCE_READS:
        reference = hash_generator.epcis_hashes_from_events(
            json_to_py.event_list_from_epcis_document_str(path.read_text())
        )
        assert [h.value for h in event_hashes(load(path.read_text()))] == reference, path.name


def test_an_event_the_reference_cannot_hash_is_named_not_dropped() -> None:
    hashed = event_hashes(load((EXAMPLES / "Example-TransactionEvents-2020_07_03y.jsonld").read_text()))
    assert hashed[0].value is None and "failed" in (hashed[0].problem or "")
    assert hashed[1].value is not None and digest_of(hashed[1].value).startswith("0x")


def test_an_event_hashes_the_same_whatever_document_carries_it() -> None:
    noted = {
        "type": "ObjectEvent",
        "eventTime": when(),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "quantityList": [q(COTTON, "L1", 5)],
        "ledger:note": "shipping",
    }
    shipped = {**noted, "bizStep": "shipping"}
    del shipped["ledger:note"]
    alone = event_hashes(load(document(noted)))[0].value
    together = event_hashes(load(document(shipped, noted)))[1].value
    assert alone == together
    # the reference implementation hashes a document's events together: its answer depends on the neighbours
    reference = hash_generator.epcis_hashes_from_events(
        json_to_py.event_list_from_epcis_document_str(document(shipped, noted))
    )
    assert reference[1] != alone


def test_a_remote_context_is_never_fetched() -> None:
    text = document(
        {
            "type": "ObjectEvent",
            "eventTime": when(),
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE",
            "quantityList": [q(COTTON, "L1", 5)],
        },
        context=[
            "https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
            "https://contexts.example/private.jsonld",
        ],
    )
    (hashed,) = event_hashes(load(text))
    assert hashed.value is None
    assert "not available offline" in (hashed.problem or "")


def test_the_hash_ignores_the_event_id_and_the_error_declaration() -> None:
    base = {
        "type": "ObjectEvent",
        "eventTime": when(),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "quantityList": [q(COTTON, "L1", 5)],
    }
    declared = {
        **base,
        "eventID": "urn:uuid:1",
        "errorDeclaration": {"declarationTime": when(0), "reason": "incorrect_data"},
    }
    context = json.loads(document())["@context"]
    assert hash_events([base], context)[0] == hash_events([declared], context)[0]
