"""EPCIS as the standard says (issue 16): declared hash ids are checked, every event is served and found by its CBV
2.0 hash, valid events that change nothing on chain are stored and queried like the others, lineage exports carry
flags and page on within the trace bounds, and paging never leads to an empty page."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ledger.domain.errors import ValidationError
from ledger.domain.types import BatchId, FlagKind, Gtin, InputUse, NewBatch
from ledger.epcis import schema
from ledger.epcis.document import load
from ledger.epcis.hashing import event_hashes
from ledger.epcis.query import EventQuery
from ledger.trace import MIN_NODES
from tests.ledger.epcis.conftest import CLOTH, COTTON, YARN, World, document, q, statuses, when


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
    return {
        "type": "ObjectEvent",
        "eventTime": when(1),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "inspecting",
        "disposition": "conformant",
        "readPoint": {"id": f"https://id.gs1.org/414/{world.factory.site}"},
        "quantityList": [q(COTTON, lot, 100)],
        "sensorElementList": [
            {
                "sensorMetadata": {"time": when(1.01)},
                "sensorReport": [{"type": "Temperature", "value": 21.5, "uom": "CEL"}],
            }
        ],
        **extra,
    }


def test_valid_events_that_change_nothing_on_chain_are_stored_committed_and_queried(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    cotton = str(world.ledger.find_batch(COTTON, "A").id)
    packing = {
        "type": "AggregationEvent",
        "eventTime": when(0.5),
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "packing",
        "parentID": "urn:epc:id:sscc:4012345.0000000001",
        "childQuantityList": [q(COTTON, "A", 100)],
    }
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


def wide_lineage(world: World) -> tuple[str, list[str]]:
    """A native lineage of 83 batches: 80 raw lots, two intermediates of 40 each, one output of the two."""
    site = world.factory.site
    assert site is not None
    made = datetime.now(UTC) - timedelta(days=3)
    raws, _ = world.ledger.record_batches(
        world.factory.account,
        [NewBatch(Gtin(COTTON), f"R{n:02d}", "520100", Decimal(10), "KGM", site, made) for n in range(80)],
    )
    middles, _ = world.ledger.record_batches(
        world.factory.account,
        [
            NewBatch(
                Gtin(YARN),
                f"M{half}",
                "520512",
                Decimal(400),
                "KGM",
                site,
                made + timedelta(hours=1),
                inputs=tuple(InputUse(r, Decimal(10)) for r in raws[40 * half : 40 * half + 40]),
            )
            for half in (0, 1)
        ],
    )
    top, _ = world.ledger.record_batch(
        world.factory.account,
        NewBatch(
            Gtin(CLOTH),
            "T",
            "520812",
            Decimal(800),
            "KGM",
            site,
            made + timedelta(hours=2),
            inputs=tuple(InputUse(m, Decimal(400)) for m in middles),
        ),
    )
    return str(top), [str(m) for m in middles]


def ids(page: Any) -> list[str]:
    return [e["eventID"] for e in page.document["epcisBody"]["eventList"]]


def test_a_lineage_past_the_node_cap_is_cut_and_says_where_to_continue(world: World) -> None:
    top, middles = wide_lineage(world)
    whole = world.service.lineage(top, lambda _b: True, per_page=500)
    assert len(ids(whole)) == 83 and "ledger:truncated" not in whole.document
    cut = world.service.lineage(top, lambda _b: True, max_nodes=MIN_NODES, per_page=500)
    assert schema.problem(cut.document) is None
    truncated = cut.document["ledger:truncated"]
    assert truncated["by"] == "max_nodes" and truncated["continueFrom"]
    assert len(ids(cut)) <= MIN_NODES
    found = set(ids(cut))
    for batch in truncated["continueFrom"]:  # exporting each batch to continue from gives the rest of the lineage
        found |= set(ids(world.service.lineage(batch, lambda _b: True, max_nodes=MIN_NODES, per_page=500)))
    assert found == set(ids(whole))
    assert set(truncated["continueFrom"]) <= set(middles)


def test_lineage_pages_follow_the_token_and_a_full_last_page_has_no_next(world: World) -> None:
    top, _middles = wide_lineage(world)
    whole = ids(world.service.lineage(top, lambda _b: True, per_page=500))
    seen: list[str] = []
    token = None
    for _ in range(100):
        page = world.service.lineage(top, lambda _b: True, per_page=10, page_token=token)
        assert schema.problem(page.document) is None and len(ids(page)) <= 10
        seen += ids(page)
        token = page.next_page_token
        if token is None:
            break
    assert seen == whole
    exact = world.service.lineage(top, lambda _b: True, per_page=len(whole))
    assert ids(exact) == whole and exact.next_page_token is None
    with pytest.raises(ValidationError, match="nextPageToken"):
        world.service.lineage(top, lambda _b: True, page_token="forged")


def test_a_flag_raised_on_chain_is_in_the_lineage_of_a_batch_downstream(world: World) -> None:
    raw = world.record(COTTON, "F1", "500")
    world.ledger.flag_batch(world.factory.account, raw, FlagKind.QUALITY_HOLD, "moisture above 12%")
    assert world.factory.site is not None
    made, _ = world.ledger.record_batch(
        world.factory.account,
        NewBatch(
            Gtin(YARN),
            "F2",
            "520512",
            Decimal(400),
            "KGM",
            world.factory.site,
            datetime.now(UTC) - timedelta(days=1),
            inputs=(InputUse(BatchId(raw), Decimal(450)),),
        ),
    )
    lineage = world.service.lineage(str(made), lambda _b: True).document
    assert schema.problem(lineage) is None
    flags = [e for e in lineage["epcisBody"]["eventList"] if e.get("disposition") == "non_conformant"]
    assert len(flags) == 1 and flags[0]["ledger:reason"] == "moisture above 12%"
    assert flags[0]["ledger:batch"] == raw and flags[0]["bizStep"] == "inspecting"
    assert (
        flags[0]["eventID"]
        == event_hashes(load(json.dumps(lineage)))[lineage["epcisBody"]["eventList"].index(flags[0])].value
    )


def test_a_query_page_that_is_exactly_full_gives_no_next_page(world: World) -> None:
    job = world.capture(document(world.commission(q(COTTON, "A", 100)), world.commission(q(COTTON, "B", 100))))
    assert statuses(job) == ["recorded", "recorded"]
    page = world.service.events(EventQuery(per_page=2), lambda _b: True)
    assert len(page.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 2
    assert page.next_page_token is None
    first = world.service.events(EventQuery(per_page=1), lambda _b: True)
    assert first.next_page_token is not None
    last = world.service.events(EventQuery(per_page=1, next_page_token=first.next_page_token), lambda _b: True)
    assert len(last.document["epcisBody"]["queryResults"]["resultsBody"]["eventList"]) == 1
    assert last.next_page_token is None


def test_the_lineage_route_pages_with_link_next_and_keeps_the_trace_bounds(world: World) -> None:
    from api.app import create_app
    from api.settings import ApiSettings
    from tests.api.conftest import login

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    top, _middles = wide_lineage(world)
    with TestClient(create_app(ApiSettings(max_trace_nodes=100), world.ledger)) as http:
        headers = login(http, world.factory.account)
        url: str | None = f"/batches/{top}/epcis?perPage=30"
        seen: list[str] = []
        while url is not None:
            reply = http.get(url, headers=headers)
            assert reply.status_code == 200, reply.text
            assert reply.headers["content-type"].startswith("application/ld+json")
            seen += [e["eventID"] for e in reply.json()["epcisBody"]["eventList"]]
            link = reply.headers.get("link")
            url = link[1 : link.index(">")] if link else None
            assert link is None or link.endswith('rel="next"')
        assert len(seen) == len(set(seen)) == 83
        too_many = http.get(f"/batches/{top}/epcis?max_nodes=101", headers=headers)
        assert too_many.status_code == 422 and "max_nodes" in too_many.text
        cut = http.get(f"/batches/{top}/epcis?max_nodes=65&perPage=500", headers=headers).json()
        assert cut["ledger:truncated"]["by"] == "max_nodes"
        for bad in ("nextPageToken=forged", "perPage=501", "perPage=0", "max_depth=9999"):
            refused = http.get(f"/batches/{top}/epcis?{bad}", headers=headers)
            assert refused.status_code == 422, bad
            assert refused.headers["content-type"].startswith("application/problem+json"), bad


def test_verify_refuses_an_event_served_under_a_hash_id_that_is_not_its_own(world: World) -> None:
    from ledger.epcis import verify

    job = world.capture(document(world.commission(q(COTTON, "A", 100))))
    served = world.service.events(EventQuery(), lambda _b: True).document
    text = json.dumps(served)
    assert [c.proven for c in verify.check(load(text), verify.proofs_in(text))] == [True]
    served["epcisBody"]["queryResults"]["resultsBody"]["eventList"][0]["eventID"] = (
        "ni:///sha-256;" + "cd" * 32 + "?ver=CBV2.0"
    )
    forged = json.dumps(served)
    checks = verify.check(load(forged), verify.proofs_in(forged))
    assert [c.proven for c in checks] == [False] and job.results[0].event_hash in (checks[0].problem or "")


def test_a_captured_lineage_pages_through_its_events_as_captured(world: World) -> None:
    shipped = world.ship([q(YARN, "Y", 120)], world.buyer)
    job = world.capture(
        document(
            world.commission(q(COTTON, "A", 100), q(COTTON, "B", 50), days_ago=5),
            world.transform([q(COTTON, "A", 100), q(COTTON, "B", 50)], [q(YARN, "Y", 120)], days_ago=3),
            shipped,
        )
    )
    yarn = str(job.results[1].produced[0])
    seen: list[str] = []
    proven: set[str] = set()
    token = None
    for _ in range(10):
        page = world.service.lineage(yarn, lambda _b: True, per_page=1, page_token=token)
        seen += ids(page)
        proven |= set(page.document["ledger:proofs"]["events"])
        token = page.next_page_token
        if token is None:
            break
    assert seen == [r.event_hash for r in job.results] and proven == set(seen)
