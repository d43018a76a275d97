"""The capture path: what the service checks of a signed capture before relaying anything, what a failing write
does to the events after it, the HTTP routes, and the whole path on a real anvil node with the events proven
against the chain."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace

import pytest

from ledger.apiclient.epcis import with_proofs
from ledger.apiclient.signer import sign as sign_request
from ledger.client import Ledger
from ledger.domain.errors import SignatureInvalidError
from ledger.epcis import capture, verify
from ledger.epcis.document import load
from ledger.epcis.job import run_job
from ledger.epcis.model import JobState
from ledger.epcis.service import EpcisService
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import RelayPolicy
from ledger.writes.batches import transfer_custody
from tests.ledger.epcis.conftest import COTTON, YARN, World, document, q, register_world, statuses

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def test_signed_requests_that_do_not_match_the_mapping_are_refused_before_any_write(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    text = document(world.ship([q(COTTON, "A", 100)], world.buyer))
    honest = world.submission(text)
    batch = world.ledger.find_batch(COTTON, "A")
    forged = sign_request(
        world.factory.account,
        world.ledger.domain,
        world.ledger.deployment.ledger,
        transfer_custody(batch.id, world.other.address),
        nonce=honest.requests[0].request.nonce,
    )
    job = world.service.capture_now(replace(honest, requests=(forged, *honest.requests[1:])))
    assert job.state.value == "failed" and "signed request 0 is not the write" in (job.error or "")
    assert statuses(job) == ["refused"] and "refused as a whole" in (job.results[0].reason or "")
    assert world.ledger.find_batch(COTTON, "A").holder == world.factory.address
    assert world.ledger.nonce(world.factory.address) == honest.requests[0].request.nonce


def test_a_request_signed_by_another_key_is_refused_before_it_is_queued(world: World) -> None:
    text = document(world.commission(q(COTTON, "A", 100)))
    honest = world.submission(text)
    other_key = sign_request(
        world.other.account,
        world.ledger.domain,
        world.ledger.deployment.ledger,
        honest.requests[0].request.data,
        nonce=honest.requests[0].request.nonce,
    )
    with pytest.raises(SignatureInvalidError, match="not the capturer"):
        world.service.submit(replace(honest, requests=(other_key, *honest.requests[1:])))
    with pytest.raises(SignatureInvalidError, match="signed by"):
        world.service.submit(
            replace(honest, requests=(replace(honest.requests[0], signature=other_key.signature), *honest.requests[1:]))
        )
    assert world.service.store.unfinished_jobs() == []


def test_a_capture_signed_before_the_chain_changed_is_refused_as_a_whole(world: World) -> None:
    world.capture(document(world.commission(q(COTTON, "A", 100))))
    stale = world.submission(document(world.transform([q(COTTON, "A", 60)], [q(YARN, "Y", 50)])))
    world.capture(document(world.transform([q(COTTON, "A", 50)], [q(YARN, "Z", 40)])))  # meanwhile: 50 left
    job = world.service.capture_now(stale)
    assert job.state.value == "failed" and "gather the facts again" in (job.error or "")
    assert world.ledger.find_batch(COTTON, "A").remaining == 50


def test_a_document_altered_after_it_was_signed_is_refused_as_a_whole(world: World) -> None:
    signed = world.submission(document(world.commission(q(COTTON, "A", 100))))
    altered = replace(signed, document=document(world.commission(q(COTTON, "A", 900))))  # same signatures, 900 kg
    job = world.service.capture_now(altered)
    assert job.state.value == "failed" and "changed after it was signed" in (job.error or "")
    assert "event #0" in (job.error or "") and world.ledger.search_batches(gtin=COTTON, lot="A") == []


def test_the_same_submission_sent_twice_is_one_job(world: World) -> None:
    submission = world.submission(document(world.commission(q(COTTON, "A", 100))))
    first = world.service.capture_now(submission)
    job, new = world.service.submit(capture.CaptureSubmission.from_json(json.loads(json.dumps(submission.to_json()))))
    assert (job.id, new, job.state.value) == (first.id, False, "done")


def test_a_refused_write_refuses_its_events_and_every_event_after_it(world: World) -> None:
    world.ledger.use_relayer(Outbox(":memory:"), RelayPolicy(gas_budget_per_day=1))  # spent by the first write
    text = document(
        world.commission(q(COTTON, "A", 100)),
        world.ship([q(COTTON, "A", 100)], world.buyer),
        world.commission(q(COTTON, "B", 1), days_ago=1),
    )
    job = world.capture(text)
    assert statuses(job) == ["recorded", "refused", "refused"]
    assert "write 1 (transferCustody) was refused" in (job.results[1].reason or "")
    assert "budget today" in (job.results[1].reason or "")
    assert "their nonces follow it" in (job.results[2].reason or "")
    assert job.root is None and "its hash is not committed" in (job.results[0].reason or "")
    # the event that landed is stored and answered as a duplicate; its hash is committed when captured again
    world.ledger.use_relayer(Outbox(":memory:"), RelayPolicy())
    again = world.capture(text)
    assert statuses(again) == ["duplicate", "recorded", "recorded"]
    assert again.results[0].root == again.root is not None


def test_capture_over_http_answers_202_and_reports_each_event(world: World) -> None:
    from api.app import create_app
    from api.settings import ApiSettings
    from tests.api.conftest import login

    with TestClient(create_app(ApiSettings(), world.ledger)) as http:
        http.headers.update(login(http, world.factory.account))
        text = document(
            world.commission(q(COTTON, "A", 100)),
            {**world.commission(q(COTTON, "B", 1)), "bizLocation": {"id": "urn:epc:id:sgln:1.2.0"}},
        )
        facts = http.post("/capture/facts", json={"document": text, "capturer": world.factory.address})
        assert facts.status_code == 200, facts.text
        parsed = capture.CaptureFacts.from_json(facts.json())
        planned = capture.prepare(text, world.factory.address, parsed)[1]
        body = capture.sign(
            planned, text, world.factory.account, parsed, world.ledger.domain, world.ledger.deployment.ledger
        ).to_json()
        reply = http.post("/capture", json=body)
        assert reply.status_code == 202, reply.text
        location = reply.headers["location"]
        job = http.app.state.epcis.wait(location.rsplit("/", 1)[1])  # type: ignore[attr-defined]
        assert job.finished
        answer = http.get(location).json()
        assert [e["status"] for e in answer["events"]] == ["recorded", "refused"]
        assert "bizLocation" in answer["events"][1]["reason"] and answer["root"]
        again = http.post("/capture", json=body)
        assert again.status_code == 202 and again.headers["location"] == location
        bad = http.post("/capture", json={**body, "document": text.replace('"KGM"', '"kg"')})
        assert bad.status_code == 422 and "quantityList[0].uom: 'kg' does not match" in bad.json()["detail"]
        assert http.get("/capture/" + "0" * 32).status_code == 404


def test_capture_and_proof_on_each_chain(ledger: Ledger) -> None:
    factory, _other, buyer = register_world(ledger)
    service = EpcisService(ledger, worker=False)
    world = World(ledger, service, factory, _other, buyer)
    text = document(
        world.commission(q(COTTON, "A", 100), q(COTTON, "B", 50)),
        world.transform([q(COTTON, "A", 100), q(COTTON, "B", 50)], [q(YARN, "Y", 120)]),
        world.ship([q(YARN, "Y", 120)], buyer),
    )
    job = world.capture(text)
    assert statuses(job) == ["recorded", "recorded", "recorded"], job
    assert ledger.find_batch(YARN, "Y").holder == buyer.address
    receipt = json.dumps(with_proofs(text, job, ledger.deployment.ledger, ledger.chain.chain_id))
    checks = verify.check(load(receipt), verify.proofs_in(receipt), ledger.chain, ledger.deployment.ledger)
    assert [c.proven for c in checks] == [True, True, True]
    assert {c.committer for c in checks} == {factory.address} and checks[0].count == 3
    changed = json.loads(receipt)
    changed["epcisBody"]["eventList"][2]["quantityList"][0]["quantity"] = 121
    tampered = json.dumps(changed)
    checks = verify.check(load(tampered), verify.proofs_in(tampered), ledger.chain, ledger.deployment.ledger)
    assert [c.proven for c in checks] == [True, True, False]
    assert "changed after it was captured" in (checks[2].problem or "")
    service.store.close()


def test_a_job_run_again_after_a_stop_sends_nothing_twice(world: World) -> None:
    job = world.capture(document(world.commission(q(COTTON, "A", 100)), world.ship([q(COTTON, "A", 100)], world.buyer)))
    nonce = world.ledger.nonce(world.factory.address)
    world.service.store.update_job(job.id, state=JobState.RUNNING)  # as a process killed mid-job leaves it
    again = run_job(world.ledger, world.service.store, job.id)
    assert again.state.value == "done" and world.ledger.nonce(world.factory.address) == nonce
    assert [r.transactions for r in again.results] == [r.transactions for r in job.results]
    assert again.root == job.root and again.commit_tx == job.commit_tx
