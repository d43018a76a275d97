"""Serving events again: GET /events (EPCIS query parameters, visibility, paging), the round trip of hashes, and a
batch's lineage as an EPCISDocument that validates against the official schema."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import BatchId, Gtin, InputUse, NewBatch
from ledger.epcis import schema
from ledger.epcis.document import load
from ledger.epcis.hashing import event_hashes
from ledger.epcis.keys import location_uri
from ledger.epcis.query import EventQuery
from tests.ledger.epcis.conftest import COTTON, YARN, World, document, lgtin, q, statuses


def captured(world: World) -> tuple[str, list[str]]:
    shipped = world.ship([q(YARN, "Y", 120)], world.buyer)
    shipped["epcList"] = ["urn:epc:id:sgtin:4012345.054321.1001"]
    text = document(
        world.commission(q(COTTON, "A", 100), q(COTTON, "B", 50), days_ago=5),
        world.transform([q(COTTON, "A", 100), q(COTTON, "B", 50)], [q(YARN, "Y", 120)], days_ago=3),
        shipped,
    )
    job = world.capture(text)
    assert statuses(job) == ["recorded"] * 3
    return text, [r.event_hash or "" for r in job.results]


def events(world: World, may_see: Any = None, **params: Any) -> list[dict[str, Any]]:
    page = world.service.events(EventQuery.from_params(params), may_see or (lambda _b: True))
    assert schema.problem(page.document) is None
    result: list[dict[str, Any]] = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return result


def test_a_captured_document_queried_back_gives_the_same_event_hashes(world: World) -> None:
    text, hashes = captured(world)
    page = world.service.events(EventQuery(), lambda _b: True)
    served = load(json.dumps(page.document))
    assert [h.value for h in event_hashes(served)] == hashes == [h.value for h in event_hashes(load(text))]
    proofs = page.document["ledger:proofs"]
    assert proofs["ledger"] == world.ledger.deployment.ledger and set(proofs["events"]) == set(hashes)


def test_query_parameters_filter_the_events(world: World) -> None:
    captured(world)
    site = world.factory.site or ""
    assert [e["type"] for e in events(world, eventType="TransformationEvent")] == ["TransformationEvent"]
    assert len(events(world, eventType="ObjectEvent|TransformationEvent")) == 3
    assert [e["bizStep"] for e in events(world, EQ_bizStep="https://ref.gs1.org/cbv/BizStep-shipping")] == ["shipping"]
    since = (datetime.now(UTC) - timedelta(days=4)).isoformat()
    assert len(events(world, GE_eventTime=since)) == 2 and len(events(world, LT_eventTime=since)) == 1
    assert len(events(world, MATCH_epcClass=lgtin(COTTON, "A"))) == 2  # commissioned, then consumed
    assert len(events(world, MATCH_epcClass=f"urn:epc:idpat:sgtin:{COTTON[1:8]}.0{COTTON[8:13]}.*")) == 2
    assert len(events(world, MATCH_epcClass=f"https://id.gs1.org/01/{YARN}/10/Y")) == 2
    assert len(events(world, MATCH_anyEPC="urn:epc:idpat:sgtin:4012345.054321.*")) == 1
    assert len(events(world, MATCH_anyEPC="urn:epc:id:sgtin:4012345.054321.1002")) == 0
    for form in (site, location_uri(site), f"urn:epc:id:sgln:{site[:7]}.{site[7:12]}.0"):
        assert len(events(world, EQ_bizLocation=form)) == 2
    assert events(world, EQ_eventID="urn:uuid:none") == []
    with pytest.raises(ValidationError, match="not supported"):
        EventQuery.from_params({"EQ_disposition": "active"})
    with pytest.raises(ValidationError, match="perPage"):
        EventQuery.from_params({"perPage": "0"})


def test_pages_follow_the_next_page_token(world: World) -> None:
    _text, hashes = captured(world)
    seen: list[str] = []
    token = None
    for _ in range(5):
        page = world.service.events(EventQuery(per_page=1, next_page_token=token), lambda _b: True)
        seen += [h.value or "" for h in event_hashes(load(json.dumps(page.document)))]
        token = page.next_page_token
        if token is None:
            break
    assert seen == hashes
    with pytest.raises(ValidationError, match="nextPageToken"):
        world.service.events(EventQuery(next_page_token="forged"), lambda _b: True)


def test_a_caller_sees_only_the_events_of_batches_it_may_see(world: World) -> None:
    captured(world)
    yarn = str(world.ledger.find_batch(YARN, "Y").id)
    found = events(world, may_see=lambda b: b == yarn)
    assert [e["type"] for e in found] == ["TransformationEvent", "ObjectEvent"]
    assert events(world, may_see=lambda _b: False) == []


def test_prefixes_bound_differently_by_two_documents_are_renamed_and_hashes_kept(world: World) -> None:
    base = json.loads(document())["@context"]
    first = world.commission(q(COTTON, "A", 1), **{"ex:note": "ex:first"})
    second = world.commission(q(COTTON, "B", 1), **{"ex:note": "ex:second"})
    hashes = []
    for event, iri in ((first, "https://one.example/"), (second, "https://two.example/")):
        job = world.capture(document(event, context=[*base, {"ex": iri}]))
        hashes.append(job.results[0].event_hash)
    page = world.service.events(EventQuery(), lambda _b: True)
    served = page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    assert served[0]["ex:note"] == "ex:first" and served[1]["ex2:note"] == "ex2:second"
    assert [h.value for h in event_hashes(load(json.dumps(page.document)))] == hashes


def test_the_lineage_of_a_captured_batch_is_a_valid_epcis_document(world: World) -> None:
    _text, hashes = captured(world)
    yarn = str(world.ledger.find_batch(YARN, "Y").id)
    lineage = world.service.lineage(yarn, lambda _b: True).document
    assert schema.problem(lineage) is None
    assert [h.value for h in event_hashes(load(json.dumps(lineage)))] == hashes  # served as captured
    assert set(lineage["ledger:proofs"]["events"]) == set(hashes)
    with pytest.raises(NotFoundError):
        world.service.lineage(yarn, lambda b: b != yarn)


def test_the_lineage_of_native_batches_is_synthesised_and_valid(world: World) -> None:
    raw = BatchId(world.record(COTTON, "N1", "500"))
    assert world.factory.site is not None
    made, _ = world.ledger.record_batch(
        world.factory.account,
        NewBatch(
            Gtin(YARN),
            "N2",
            "520512",
            Decimal(40),
            "H87",
            world.factory.site,
            datetime.now(UTC) - timedelta(days=1),
            inputs=(InputUse(raw, Decimal("450.5")),),
        ),
    )
    world.ledger.transfer_custody(world.factory.account, made, world.buyer.address)
    lineage = world.service.lineage(str(made), lambda _b: True).document
    assert schema.problem(lineage) is None
    found = lineage["epcisBody"]["eventList"]
    assert [(e["type"], e.get("bizStep")) for e in found] == [
        ("ObjectEvent", "commissioning"),
        ("TransformationEvent", "commissioning"),
        ("ObjectEvent", "shipping"),
    ]
    assert found[1]["inputQuantityList"] == [
        {"epcClass": f"https://id.gs1.org/01/{COTTON}/10/N1", "quantity": 450.5, "uom": "KGM"}
    ]
    assert "uom" not in found[1]["outputQuantityList"][0]  # pieces: a count
    assert found[2]["destinationList"][0]["destination"].endswith(world.buyer.party)
    assert [e["eventID"] for e in found] == [h.value for h in event_hashes(load(json.dumps(lineage)))]
    assert "ledger:proofs" not in lineage  # nothing of it was captured through EPCIS


def test_bad_query_parameters_are_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="not an EPCIS 2\\.0 event type"):
        EventQuery.from_params({"eventType": "FooEvent"})
    for forged in ("events:99999999999999999999999", "events:\u0661"):  # past SQLite's integers; a non-ASCII digit
        token = base64.urlsafe_b64encode(forged.encode()).decode()
        with pytest.raises(ValidationError, match="nextPageToken"):
            world.service.events(EventQuery(next_page_token=token), lambda _b: True)
