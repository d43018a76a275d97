"""Every example of the EPCIS 2.0 standard (../shared/epcis/examples) is captured or refused per event with a clear
reason, on a chain where the parties and sites it names are registered (as far as the ledger has them)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy
from ledger.client import Ledger
from ledger.domain.types import Gln, Gtin, NewBatch, ParticipantProfile, Role, Site
from ledger.epcis.keys import party_gln
from ledger.epcis.service import EpcisService
from tests.conftest import ChainUnderTest, account
from tests.ledger.epcis.conftest import EXAMPLES, Party, World

#: example (without its illustrative `ni:` eventIDs) -> for each event: the status and a phrase of the reason
EXPECTED = {
    "AssociationEvent-a.jsonld": [
        ("refused", "AssociationEvent changes nothing the ledger records and names no batch")
    ],
    "EPCISQueryDocument.jsonld": [
        ("refused", "names no owning_party or possessing_party in destinationList"),
        ("refused", "instance-level EPCs only"),
    ],
    "ErrorDeclarationAndCorrectiveEvent.jsonld": [("refused", "which was never captured"), ("refused", "names no lot")],
    "Example-TransactionEvents-2020_07_03y.jsonld": [
        ("refused", "CBV 2.0 event hash cannot be computed"),
        ("refused", "TransactionEvent changes nothing the ledger records and names no batch"),
    ],
    "Example_9.6.1-ObjectEvent.jsonld": [
        ("refused", "names no owning_party or possessing_party"),
        ("refused", "instance-level EPCs only"),
    ],
    "Example_9.6.2-ObjectEvent.jsonld": [("acknowledged", "custody was already with the capturing participant")],
    "Example_9.6.3-AggregationEvent.jsonld": [("acknowledged", "changes nothing the ledger records on chain")],
    "Example_9.6.4-TransformationEventWithDigitalLink.jsonld": [("refused", "outputs are instance-level EPCs only")],
}


@pytest.fixture(scope="module")
def gs1_chain() -> tuple[ChainUnderTest, Party, Party]:
    """GS1's example parties: 4012345 (the supplier of lot 998877, who shipped it) and 0614141 (its receiver, a
    factory with the sites the examples name)."""
    chain = Chain.embedded_chain()
    under_test = ChainUnderTest(chain, deploy(chain))
    ledger = under_test.ledger()
    supplier, receiver = account("gs1 example 4012345"), account("gs1 example 0614141")
    supplier_party = party_gln("urn:epc:id:sgln:4012345.00001.0")
    receiver_party = party_gln("urn:epc:id:sgln:0614141.00001.0")
    ledger.register_participant(
        supplier.address,
        ParticipantProfile(
            "Example Supplier GmbH", "DE", (Site(Gln("4012345000221"), "DE-BY"),), party_gln=supplier_party
        ),
        [Role.FACTORY],
    )
    ledger.register_participant(
        receiver.address,
        ParticipantProfile(
            "Example Receiver Inc",
            "US",
            (Site(Gln("0614141008889"), "US-NY"), Site(Gln("0614141073467"), "US-NY")),
            party_gln=receiver_party,
        ),
        [Role.FACTORY],
    )
    lot, _ = ledger.record_batch(
        supplier,
        NewBatch(
            Gtin("04012345123456"),
            "998877",
            "520100",
            Decimal(200),
            "KGM",
            Gln("4012345000221"),
            datetime(2013, 6, 1, tzinfo=UTC),
        ),
    )
    ledger.transfer_custody(supplier, lot, receiver.address)
    return (
        under_test,
        Party(supplier, Gln("4012345000221"), supplier_party),
        Party(receiver, Gln("0614141008889"), receiver_party),
    )


@pytest.fixture
def gs1_world(gs1_chain: tuple[ChainUnderTest, Party, Party]) -> Iterator[World]:
    under_test, supplier, receiver = gs1_chain
    with under_test.chain.isolated():
        ledger: Ledger = under_test.ledger()
        yield World(ledger, EpcisService(ledger, worker=False), receiver, supplier, supplier)
        ledger.close()


def without_hash_ids(text: str) -> str:
    """The example without the `ni:` eventIDs it declares: they are illustrative, none is its event's CBV 2.0 hash."""
    body = json.loads(text)
    for event in body["epcisBody"].get("eventList") or body["epcisBody"]["queryResults"]["resultsBody"]["eventList"]:
        if str(event.get("eventID", "")).startswith("ni:"):
            del event["eventID"]
    return json.dumps(body)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_example_declaring_hash_ids_that_are_not_its_events_hashes_is_refused(gs1_world: World, name: str) -> None:
    text = (EXAMPLES / name).read_text()
    job = gs1_world.capture(text)
    body = json.loads(text)["epcisBody"]
    events = body.get("eventList") or body["queryResults"]["resultsBody"]["eventList"]
    for event, result in zip(events, job.results, strict=True):
        if str(event.get("eventID", "")).startswith("ni:"):
            assert result.status.value == "refused" and "is not its CBV 2.0 hash" in (result.reason or ""), name


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_example_is_captured_or_refused_per_event_with_a_clear_reason(gs1_world: World, name: str) -> None:
    job = gs1_world.capture(without_hash_ids((EXAMPLES / name).read_text()))
    assert job.state.value == "done"
    found = [(r.status.value, r.reason or "") for r in job.results]
    assert len(found) == len(EXPECTED[name])
    for (status, reason), (expected_status, phrase) in zip(found, EXPECTED[name], strict=True):
        assert status == expected_status, (name, reason)
        assert phrase in reason, (name, reason)
    if name == "Example_9.6.2-ObjectEvent.jsonld":
        assert job.root is not None and job.results[0].proof == ()  # a single leaf is its own root
        stored = gs1_world.service.store.event(job.results[0].event_hash or "")
        assert stored is not None and stored.event["example:myField"] == "Example of a vendor/user extension"


def test_every_example_file_is_covered() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.jsonld")) == sorted(EXPECTED)
