"""EPCIS as the standard says (issue 16): declared hash ids are checked, every event is served and found by its CBV
2.0 hash, valid events that change nothing on chain are stored and queried like the others, lineage exports carry
flags and page on within the trace bounds, and paging never leads to an empty page."""

from __future__ import annotations

from typing import Any

from ledger.epcis import schema
from ledger.epcis.document import load
from ledger.epcis.hashing import event_hashes
from ledger.epcis.query import EventQuery
from tests.epcis.conftest import COTTON, World, document, q, statuses, when


def hash_of(event: dict[str, Any]) -> str:
    found = event_hashes(load(document(event)))[0].value
    assert found is not None
    return found


def events(world: World, **params: Any) -> list[dict[str, Any]]:
    page = world.service.events(EventQuery.from_params(params), lambda _b: True)
    assert schema.problem(page.document) is None
    found: list[dict[str, Any]] = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return found


def test_a_declared_hash_id_that_is_not_the_events_cbv_hash_is_refused(world: World) -> None:
    lying = world.commission(q(COTTON, "A", 100))
    real = hash_of(lying)
    lying["eventID"] = "ni:///sha-256;" + "ab" * 32 + "?ver=CBV2.0"
    job = world.capture(document(lying))
    assert statuses(job) == ["refused"] and "is not its CBV 2.0 hash" in (job.results[0].reason or "")
    assert real in (job.results[0].reason or "")
    assert world.ledger.search_batches(gtin=COTTON, lot="A") == [] and events(world) == []
    honest = world.commission(q(COTTON, "B", 100))
    honest["eventID"] = hash_of(honest)
    named = world.commission(q(COTTON, "C", 100), eventID="urn:uuid:5b0d1c1e-0000-4000-8000-000000000001")
    assert statuses(world.capture(document(honest, named))) == ["recorded", "recorded"]
    assert [e["eventID"] for e in events(world)] == [honest["eventID"], named["eventID"]]


def test_every_event_is_served_and_found_by_its_cbv_hash(world: World) -> None:
    bare = world.commission(q(COTTON, "A", 100))
    named = world.commission(q(COTTON, "B", 100), eventID="urn:uuid:5b0d1c1e-0000-4000-8000-000000000002")
    job = world.capture(document(bare, named))
    assert statuses(job) == ["recorded", "recorded"]
    first, second = (r.event_hash or "" for r in job.results)
    served = events(world)
    assert [e["eventID"] for e in served] == [first, named["eventID"]]  # a declared id is kept as declared
    assert [h.value for h in event_hashes(load(document(*served)))] == [first, second]  # hashes unchanged
    assert [e["eventID"] for e in events(world, EQ_eventID=first)] == [first]
    assert [e["eventID"] for e in events(world, EQ_eventID=second)] == [named["eventID"]]
    assert [e["eventID"] for e in events(world, EQ_eventID=named["eventID"])] == [named["eventID"]]
    assert len(events(world, EQ_eventID=f"{first}|{named['eventID']}")) == 2
    lineage = world.service.lineage(str(job.results[0].produced[0]), lambda _b: True).document
    assert [e["eventID"] for e in lineage["epcisBody"]["eventList"]] == [first]


def inspection(world: World, lot: str, **extra: Any) -> dict[str, Any]:
    return {"type": "ObjectEvent", "eventTime": when(1), "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE", "bizStep": "inspecting", "disposition": "conformant",
            "readPoint": {"id": f"https://id.gs1.org/414/{world.factory.site}"}, "quantityList": [q(COTTON, lot, 100)],
            "sensorElementList": [{"sensorMetadata": {"time": when(1.01)},
                                   "sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL"}]}],
            **extra}


def test_valid_events_that_change_nothing_on_chain_are_stored_committed_and_queried(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    cotton = str(world.ledger.find_batch(COTTON, "A").id)
    packing = {"type": "AggregationEvent", "eventTime": when(0.5), "eventTimeZoneOffset": "+00:00",
               "action": "ADD", "bizStep": "packing", "parentID": "urn:epc:id:sscc:4012345.0000000001",
               "childQuantityList": [q(COTTON, "A", 100)]}
    observed = inspection(world, "A")
    job = world.capture(document(observed, packing))
    assert statuses(job) == ["acknowledged", "acknowledged"], job
    assert job.root is not None and all(r.root == job.root for r in job.results)
    found = events(world, EQ_bizStep="inspecting")
    assert [e["eventID"] for e in found] == [job.results[0].event_hash]
    assert found[0]["sensorElementList"] == observed["sensorElementList"]
    page = world.service.events(EventQuery(event_types=("AggregationEvent",)), lambda b: b == cotton)
    assert len(page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    assert set(page.document["ledger:proofs"]["events"]) == {job.results[1].event_hash}
    hidden = world.service.events(EventQuery(event_types=("AggregationEvent",)), lambda b: b != cotton)
    assert hidden.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"] == []
    lineage = world.service.lineage(cotton, lambda _b: True).document["epcisBody"]["eventList"]
    assert [e.get("bizStep") for e in lineage] == ["commissioning", "inspecting", "packing"]
    again = world.capture(document(observed))
    assert statuses(again) == ["duplicate"]


def test_events_that_change_nothing_are_refused_when_about_no_batch_of_the_capturer(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    theirs = world.capture(document(inspection(world, "A")), world.other)
    assert statuses(theirs) == ["refused"] and "neither produced nor holds" in (theirs.results[0].reason or "")
    serials = inspection(world, "A", epcList=["urn:epc:id:sgtin:4012345.012345.1"])
    del serials["quantityList"]
    job = world.capture(document(serials))
    assert statuses(job) == ["refused"] and "names no batch" in (job.results[0].reason or "")
    assert events(world, EQ_bizStep="inspecting") == []
