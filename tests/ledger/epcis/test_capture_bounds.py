"""What one capture request and one member may ask of a real `ledger serve` (on its anvil node): bounded events and
signed requests (413 naming the setting, stated in the OpenAPI), a known capture answered from its digest before any
signature is checked again, and each member's jobs in a lane of their own (one member waiting out its rate limit
delays no other member's capture; its backlog is bounded, 429)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from ledger.apiclient.epcis import CaptureClient
from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_LINT, GTIN_YARN, demo_account
from ledger.domain.types import Gln, NewBatch
from ledger.epcis import capture
from ledger.epcis.keys import location_uri, party_uri
from ledger.epcis.model import CaptureJob
from tests.api.conftest import assert_problem
from tests.api.serve_process import ServeProcess
from tests.ledger.epcis.conftest import CONTEXT, when

pytestmark = pytest.mark.anvil
MAX_EVENTS = 3
MAX_REQUESTS = 4
RATE = 3  # relayed requests per member per minute
SITES = {"gin-gujarat": "8901234000014", "gin-xinjiang": "6901234000016", "spinning": "8931234000011"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    running = ServeProcess(
        tmp_path_factory.mktemp("capture-bounds") / ".ledger",
        ["--demo"],
        {
            "LEDGER_NODE_PORT": str(free_port()),
            "LEDGER_RELAY_RATE": str(RATE),
            "API_MAX_CAPTURE_EVENTS": str(MAX_EVENTS),
            "API_MAX_CAPTURE_REQUESTS": str(MAX_REQUESTS),
            "API_MAX_CAPTURE_JOBS": "1",
        },
    )
    running.start()
    yield running
    running.stop()


def commission(who: str, gtin: str, lot: str, *, days_ago: float = 2) -> dict[str, Any]:
    item = {"epcClass": f"https://id.gs1.org/01/{gtin}/10/{lot}", "quantity": 900, "uom": "KGM"}
    return {
        "type": "ObjectEvent",
        "eventTime": when(days_ago),
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD",
        "bizStep": "commissioning",
        "bizLocation": {"id": location_uri(SITES[who])},
        "quantityList": [item],
        "ilmd": {"ledger:hsCode": "520100"},
    }


def ship(gtin: str, lot: str, to: str) -> dict[str, Any]:
    item = {"epcClass": f"https://id.gs1.org/01/{gtin}/10/{lot}", "quantity": 900, "uom": "KGM"}
    return {
        "type": "ObjectEvent",
        "eventTime": when(1),
        "eventTimeZoneOffset": "+00:00",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "quantityList": [item],
        "destinationList": [{"type": "owning_party", "destination": party_uri(to)}],
    }


def document(*events: dict[str, Any]) -> str:
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": when(0),
            "epcisBody": {"eventList": list(events)},
        }
    )


def signed_capture(client: CaptureClient, text: str, *, ttl: int = 3_600) -> dict[str, Any]:
    """The body `CaptureClient.capture` sends: facts, mapping, signatures."""
    planned, facts = client.plan(text)
    domain, ledger_address = client.signer.domain()
    return capture.sign(planned, text, client.account, facts, domain, ledger_address, ttl=ttl).to_json()


def job_of(http: httpx.Client, reply: httpx.Response) -> CaptureJob:
    assert reply.status_code == 202, reply.text
    return CaptureJob.from_json(http.get(reply.headers["location"]).json())


def wait_until(check: Any, timeout: float = 60.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_too_many_events_or_signed_requests_are_refused_naming_the_setting(server: ServeProcess) -> None:
    who = demo_account("weaving")
    with httpx.Client(base_url=server.url, timeout=60, headers=server.login(who)) as http:
        text = document(*(commission("spinning", GTIN_YARN, f"BOUND-{n}") for n in range(MAX_EVENTS + 1)))
        reply = http.post("/capture/facts", json={"document": text, "capturer": who.address})
        body = assert_problem(reply, 413, "capture_too_large")
        assert "4 events" in body["detail"] and "API_MAX_CAPTURE_EVENTS" in body["detail"]
        signer = ApiSigner(server.url, who, client=http)
        request = signer.body(calldata.flag_batch("0x" + "ab" * 32, "quality_hold", "bounds"))
        reply = http.post(
            "/capture",
            json={
                "document": document(commission("spinning", GTIN_YARN, "BOUND-X")),
                "capturer": who.address,
                "requests": [request] * (MAX_REQUESTS + 1),
            },
        )
        body = assert_problem(reply, 413, "capture_too_large")
        assert "5 signed requests" in body["detail"] and "API_MAX_CAPTURE_REQUESTS" in body["detail"]
        openapi = http.get("/openapi.json").json()
        facts_413 = openapi["paths"]["/capture/facts"]["post"]["responses"]["413"]["description"]
        capture_413 = openapi["paths"]["/capture"]["post"]["responses"]["413"]["description"]
        assert f"{MAX_EVENTS} events per document (API_MAX_CAPTURE_EVENTS)" in facts_413
        assert f"{MAX_REQUESTS} signed requests (API_MAX_CAPTURE_REQUESTS)" in capture_413
        assert "API_MAX_CAPTURE_JOBS" in openapi["paths"]["/capture"]["post"]["responses"]["429"]["description"]
        assert openapi["components"]["schemas"]["CaptureIn"]["properties"]["requests"]["maxItems"] == MAX_REQUESTS


def test_the_same_body_again_is_its_first_job_though_its_signatures_would_now_be_refused(server: ServeProcess) -> None:
    who = demo_account("spinning")
    with (
        httpx.Client(base_url=server.url, timeout=60, headers=server.login(who)) as http,
        CaptureClient(server.url, who, client=http) as client,
    ):
        text = document(commission("spinning", GTIN_YARN, "SAME-BODY-1"))
        validity = capture.MIN_VALIDITY_SECONDS + 5
        body = signed_capture(client, text, ttl=validity)
        first = http.post("/capture", json=body)
        job = job_of(http, first)
        assert client.wait(job.id, timeout=120).state.value == "done"
        deadline = body["requests"][0]["request"]["deadline"]
        # once less than MIN_VALIDITY_SECONDS are left, a submission with these signatures is refused
        assert wait_until(lambda: time.time() > deadline - capture.MIN_VALIDITY_SECONDS + 1, timeout=30)
        fresh = {**body, "document": text + " "}  # the same signed requests beside other bytes: checked again
        assert_problem(http.post("/capture", json=fresh), 403, "signature_invalid")
        again = http.post("/capture", json=body)  # the known body: its job, nothing checked or queued again
        assert again.status_code == 202 and again.headers["location"] == first.headers["location"]
        assert again.json()["state"] == "done"


def test_a_member_waiting_out_its_rate_limit_delays_no_other_members_capture(server: ServeProcess) -> None:
    gujarat, xinjiang = demo_account("gin-gujarat"), demo_account("gin-xinjiang")
    with (
        httpx.Client(base_url=server.url, timeout=60, headers=server.login(gujarat)) as http,
        CaptureClient(server.url, gujarat, client=http) as client,
    ):
        spent = http.post(
            "/batches",
            json=client.signer.body(
                calldata.record_batch(
                    NewBatch(
                        GTIN_LINT,
                        "LANE-DIRECT",
                        "520100",
                        Decimal(5),
                        "KGM",
                        Gln(SITES["gin-gujarat"]),
                        datetime.now(UTC).replace(microsecond=0),
                    )
                )
            ),
        )
        assert spent.status_code == 201, spent.text  # one of its RATE requests this minute
        start = client.signer.nonce()
        # three writes (record, ship, commit): the third waits for the rate limit, in gujarat's lane
        slow = job_of(
            http,
            http.post(
                "/capture",
                json=signed_capture(
                    client,
                    document(
                        commission("gin-gujarat", GTIN_LINT, "LANE-GJ"), ship(GTIN_LINT, "LANE-GJ", SITES["spinning"])
                    ),
                ),
            ),
        )
        assert wait_until(lambda: client.signer.nonce() == start + 2), "gujarat's first two writes did not land"
        backlog = http.post(
            "/capture", json=signed_capture(client, document(commission("gin-gujarat", GTIN_LINT, "LANE-GJ-2")))
        )
        body = assert_problem(backlog, 429, "capture_backlog")  # one job in hand at a time (API_MAX_CAPTURE_JOBS=1)
        assert "API_MAX_CAPTURE_JOBS" in body["detail"] and int(backlog.headers["Retry-After"]) > 0
    with (
        httpx.Client(base_url=server.url, timeout=60, headers=server.login(xinjiang)) as other,
        CaptureClient(server.url, xinjiang, client=other) as other_client,
    ):
        quick = job_of(
            other,
            other.post(
                "/capture",
                json=signed_capture(other_client, document(commission("gin-xinjiang", GTIN_LINT, "LANE-XJ"))),
            ),
        )
        done = wait_until(lambda: other_client.job(quick.id).finished, timeout=45)
        assert done, "xinjiang's capture waited behind gujarat's rate limit"
        assert [r.status.value for r in other_client.job(quick.id).results] == ["recorded"]
    with httpx.Client(base_url=server.url, timeout=60, headers=server.login(gujarat)) as http:
        waiting = CaptureJob.from_json(http.get(f"/capture/{slow.id}").json())
        assert not waiting.finished  # still waiting out gujarat's own rate limit
