"""EPCIS over HTTP, members-only: capture facts and jobs are the capturer's own, facts never tell what the capturer
may not see, queries and lineages show the events of batches the caller may see, and the Digital Link resolver gives
everyone the passport and members who may see the batch its other links."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from api.app import create_app
from api.settings import ApiSettings
from ledger.epcis import capture, schema
from ledger.epcis.digital_link import GS1
from ledger.epcis.facts import ANOTHER_CAPTURER
from tests.api.conftest import login
from tests.ledger.epcis.conftest import COTTON, YARN, World, document, q, statuses

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.fixture
def http(world: World) -> Iterator[TestClient]:
    """The API over the world's ledger; the world captures in process through the app's own EPCIS service."""
    with TestClient(create_app(ApiSettings(), world.ledger)) as client:
        world.service.store.close()
        world.service = client.app.state.epcis  # type: ignore[attr-defined]
        yield client


def as_(client: TestClient, who: LocalAccount) -> dict[str, str]:
    return login(client, who)


def shipped_yarn(world: World, commissioning: dict[str, Any] | None = None) -> tuple[str, str]:
    """Cotton commissioned, spun into yarn and shipped to the buyer (one capture); the cotton and yarn batch ids."""
    job = world.capture(
        document(
            commissioning or world.commission(q(COTTON, "A", 100), days_ago=4),
            world.transform([q(COTTON, "A", 100)], [q(YARN, "Y", 90)], days_ago=3),
            world.ship([q(YARN, "Y", 90)], world.buyer),
        )
    )
    assert statuses(job) == ["recorded"] * 3, job
    return job.results[0].produced[0], job.results[1].produced[0]


def event_list(reply: Any) -> list[dict[str, Any]]:
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"].startswith("application/ld+json")
    assert schema.problem(reply.json()) is None
    found: list[dict[str, Any]] = reply.json()["epcisBody"]["queryResults"]["resultsBody"]["eventList"]
    return found


def test_capture_facts_and_jobs_are_the_capturers_own(world: World, http: TestClient) -> None:
    text = document(world.commission(q(COTTON, "A", 100)))
    body = {"document": text, "capturer": world.factory.address}
    assert http.post("/capture/facts", json=body).status_code == 401
    other = as_(http, world.other.account)
    refused = http.post("/capture/facts", json=body, headers=other)
    assert refused.status_code == 404 and "sign in with its key" in refused.json()["detail"]
    mine = as_(http, world.factory.account)
    facts = capture.CaptureFacts.from_json(http.post("/capture/facts", json=body, headers=mine).json())
    planned = capture.prepare(text, world.factory.address, facts)[1]
    signed = capture.sign(
        planned, text, world.factory.account, facts, world.ledger.domain, world.ledger.deployment.ledger
    ).to_json()
    assert http.post("/capture", json=signed, headers=other).status_code == 404
    reply = http.post("/capture", json=signed, headers=mine)
    assert reply.status_code == 202, reply.text
    location = reply.headers["location"]
    world.service.wait(location.rsplit("/", 1)[1])
    assert http.get(location, headers=mine).json()["counts"]["recorded"] == 1
    assert http.get(location, headers=other).status_code == 404  # another member: no such job
    assert http.get(location).status_code == 401
    admin = as_(http, world.ledger.chain.operator)
    assert http.get(location, headers=admin).status_code == 200


def test_facts_never_tell_a_capturer_what_it_may_not_see(world: World, http: TestClient) -> None:
    """A receipt of lot A from the factory, asked for by another factory that never saw lot A, and the factory's own
    commissioning event captured again by the other: the facts say neither which batch the factory holds nor what
    its event produced."""
    first = world.commission(q(COTTON, "A", 100), days_ago=4)
    cotton, _yarn = shipped_yarn(world, first)
    receipt = {**world.ship([q(COTTON, "A", 100)], world.other), "bizStep": "receiving"}
    text = document(first, receipt)
    other = as_(http, world.other.account)
    facts = http.post("/capture/facts", json={"document": text, "capturer": world.other.address}, headers=other)
    assert facts.status_code == 200, facts.text
    answered = facts.json()
    assert cotton not in facts.text and all(v == [] for v in answered["held"].values())
    (captured,) = [v for v in answered["captured"].values() if v is not None]
    assert captured["capturer"] == ANOTHER_CAPTURER and captured["produced"] == [] and captured["capture_id"] == ""
    planned = capture.prepare(text, world.other.address, capture.CaptureFacts.from_json(answered))[1]
    assert planned.events[0].reason == "another participant captured this event (the same CBV 2.0 hash)"


def test_events_and_lineages_show_what_the_caller_may_see(world: World, http: TestClient) -> None:
    cotton, yarn = shipped_yarn(world)
    assert http.get("/events").status_code == 401
    factory, buyer, other = (as_(http, p.account) for p in (world.factory, world.buyer, world.other))
    assert len(event_list(http.get("/events", headers=factory))) == 3
    # the buyer holds the yarn: it sees the events of the yarn and of the cotton upstream of it
    assert len(event_list(http.get("/events", headers=buyer))) == 3
    assert event_list(http.get("/events", headers=other)) == []
    page = http.get("/events", params={"perPage": 1}, headers=factory)
    assert len(event_list(page)) == 1 and 'rel="next"' in page.headers["link"]
    following = page.headers["link"].split(">")[0].lstrip("<")
    assert len(event_list(http.get(following, headers=factory))) == 1
    unsupported = http.get("/events", params={"EQ_disposition": "active"}, headers=factory)
    assert unsupported.status_code == 422 and "not supported" in unsupported.json()["detail"]
    lineage = http.get(f"/batches/{yarn}/epcis", headers=buyer)
    assert lineage.status_code == 200 and schema.problem(lineage.json()) is None
    assert len(lineage.json()["epcisBody"]["eventList"]) == 3
    for who in (other, {}):
        assert http.get(f"/batches/{cotton}/epcis", headers=who).status_code in (401, 404)


def test_digital_link_gives_everyone_the_passport_and_members_the_links_they_may_see(
    world: World, http: TestClient
) -> None:
    _cotton, yarn = shipped_yarn(world)
    path = f"/01/{YARN}/10/Y"
    redirect = http.get(path, follow_redirects=False)
    assert redirect.status_code == 307 and redirect.headers["location"].endswith(f"/batches/{yarn}/passport")
    assert 'rel="linkset"' in redirect.headers["link"]
    forged = http.get(path, headers={"Host": "evil.example"}, follow_redirects=False)  # no API_PUBLIC_URL set
    assert forged.headers["location"] == f"/batches/{yarn}/passport"  # a path: the scan stays on this service
    assert http.get(redirect.headers["location"]).status_code == 200  # the passport is public
    public = http.get(path, params={"linkType": "linkset"})
    assert public.headers["content-type"].startswith("application/linkset+json")
    assert {k.removeprefix(GS1) for k in public.json()["linkset"][0]} == {"anchor", "pip", "defaultLink"}
    other = http.get(
        path, params={"linkType": "gs1:traceability"}, headers=as_(http, world.other.account), follow_redirects=False
    )
    assert other.status_code == 404  # a member who may not see it: no such link for it (GS1 2.6.2)
    buyer = as_(http, world.buyer.account)
    trace = http.get(path, params={"linkType": "gs1:traceability"}, headers=buyer, follow_redirects=False)
    assert trace.status_code == 307 and trace.headers["location"].startswith(f"/batches/{yarn}/trace?")
    assert http.get(trace.headers["location"], headers=buyer).status_code == 200
    linkset = http.get(path, params={"linkType": "linkset"}, headers=buyer).json()["linkset"][0]
    assert GS1 + "sustainabilityInfo" in linkset and GS1 + "epcis" in linkset
    bad_check_digit = http.get(f"/01/{YARN[:-1]}{(int(YARN[-1]) + 1) % 10}/10/Y")
    assert bad_check_digit.status_code == 400 and "check digit" in bad_check_digit.json()["detail"]
    assert http.get(f"/01/{YARN}/10/NONE", follow_redirects=False).status_code == 300  # walks up to the GTIN


def test_a_lot_holding_a_slash_resolves_and_links_use_the_public_url(world: World) -> None:
    """GS1's AI 10 allows '/', which a Digital Link writes as %2F; links name API_PUBLIC_URL when it is set, whatever
    Host the request carried (a cache in front cannot be poisoned with another host)."""
    batch = world.record(COTTON, "DL/TEST-1", "5")
    with TestClient(create_app(ApiSettings(public_url="https://id.example.com"), world.ledger)) as client:
        found = client.get(f"/01/{COTTON}/10/DL%2FTEST-1", headers={"Host": "evil.example"}, follow_redirects=False)
        assert found.status_code == 307, found.text
        assert found.headers["location"] == f"https://id.example.com/batches/{batch}/passport"
        assert found.headers["link"].startswith(f"<https://id.example.com/01/{COTTON}/10/DL%2FTEST-1?linkType")
        assert client.get(f"/01/{COTTON}/10/DL/TEST-1").status_code == 400  # an odd path: no Digital Link URI
