"""Every bad input is an RFC 9457 problem with the right status; none is a 500."""

from __future__ import annotations

import pytest
from web3 import HTTPProvider

from api.app import create_app
from ledger.apiclient.signer import calldata
from ledger.client import Ledger
from ledger.demo.apparel import GTIN_LINT, DemoWorld, demo_account
from ledger.domain.types import FlagKind
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import RelayPolicy
from tests.api.conftest import Signer, TestClient, assert_problem, login
from tests.api.test_writes import lint

UNKNOWN_ID = "0x" + "ab" * 32
UNKNOWN_ADDRESS = "0x" + "12" * 20


def test_unknown_batch_participant_and_disclosure_are_404(client: TestClient) -> None:
    assert_problem(client.get(f"/batches/{UNKNOWN_ID}"), 404, "not_found")
    assert_problem(client.get(f"/batches/{UNKNOWN_ID}/trace"), 404)
    assert_problem(client.get(f"/participants/{UNKNOWN_ADDRESS}"), 404)
    assert_problem(client.get(f"/disclosures/{UNKNOWN_ID}"), 404)
    assert_problem(client.post("/due-diligence", json={"batch_id": UNKNOWN_ID}), 404)
    assert_problem(client.post("/due-diligence", json={"gtin": GTIN_LINT, "lot": "NO-SUCH-LOT"}), 404)


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/batches/0x1234", "batch_id"),
        ("/batches/not-an-id/trace", "batch_id"),
        ("/participants/0xnothex", "address"),
        ("/participants/0x1234/nonce", "address"),
        ("/batches?gtin=06931234000106", "gtin"),  # wrong check digit
        ("/batches?gtin=abc", "gtin"),
        ("/batches?producer=0x12", "producer"),
        ("/batches?country=XX", "country"),
        ("/batches?lot=%20", "lot"),
        ("/batches?cursor=bm9wZQ", "cursor"),
        ("/batches?limit=0", "limit"),
        ("/batches?limit=51", "limit"),
        ("/batches?limit=-3", "limit"),
        ("/disclosures?limit=1000", "limit"),
        ("/disclosures?period=2025-Q9", "period"),
        ("/disclosures?framework=SASB", "framework"),
        ("/disclosures/export?format=pdf", "format"),
        (f"/batches/{UNKNOWN_ID}/trace?max_depth=33", "max_depth"),
        (f"/batches/{UNKNOWN_ID}/trace?max_depth=NaN", "max_depth"),
        (f"/batches/{UNKNOWN_ID}/trace?format=svg", "format"),
    ],
)
def test_malformed_query_or_path_is_422(client: TestClient, url: str, field: str) -> None:
    body = assert_problem(client.get(url), 422)
    assert field in (body.get("field") or "") + body["detail"]


@pytest.mark.parametrize(
    "policy",
    [
        {"max_footprint_per_unit_kg": -1},
        {"max_footprint_per_unit_kg": "NaN"},
        {"max_footprint_per_unit_kg": "Infinity"},
        {"max_disclosure_age_days": -5},
        {"max_disclosure_age_days": 1.5},
        {"required_assurance": "absolute"},
        {"required_frameworks": ["SASB"]},
        {"required_documents": {"raw": ["selfie"]}},
        {"reject_regions": ["Narnia"]},
        {"surprise": True},
    ],
)
def test_bad_policy_values_are_422(client: TestClient, world: DemoWorld, policy: dict[str, object]) -> None:
    assert_problem(client.post("/due-diligence", json={"batch_id": world.passing_batch, "policy": policy}), 422)


def test_non_finite_json_number_is_422(client: TestClient, world: DemoWorld) -> None:
    raw = '{"batch_id": "' + world.passing_batch + '", "policy": {"max_footprint_per_unit_kg": NaN}}'
    assert_problem(client.post("/due-diligence", content=raw, headers={"Content-Type": "application/json"}), 422)


def test_unknown_fields_and_depth_over_the_cap_are_422(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    assert_problem(client.post("/due-diligence", json={"batch_id": world.passing_batch, "colour": "red"}), 422)
    assert_problem(client.post("/due-diligence", json={"batch_id": world.passing_batch, "max_depth": 33}), 422)
    body = signer.body(world.account("gin-gujarat"), calldata.record_batch(lint("X-1")))
    assert_problem(client.post("/batches", json={**body, "extra": 1}), 422)
    assert_problem(client.post("/batches", json={**body, "request": {**body["request"], "tip": 5}}), 422)


def test_malformed_signed_bodies_are_422(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    body = signer.body(world.account("gin-gujarat"), calldata.record_batch(lint("X-2")))
    request = body["request"]
    for broken in (
        {**body, "signature": "0x1234"},
        {**body, "request": {**request, "from": "0x12"}},
        {**body, "request": {**request, "gas": -1}},
        {**body, "request": {**request, "value": 5}},
        {**body, "request": {**request, "data": "0xdeadbeef"}},
        {**body, "request": {**request, "data": "0x" + request["data"][2:12]}},
        {"request": request},
        [],
        "text",
    ):
        assert_problem(client.post("/batches", json=broken), 422)


def test_a_batch_with_an_unknown_unit_is_422(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    from ledger.chain.calls import encode_call
    from ledger.chain.codec import batch_record

    record = list(batch_record(lint("UNIT-1")))
    record[4] = b"XYZ"  # not a UN/ECE Rec 20 unit, encoded by hand past the client-side check
    body = signer.body(world.account("gin-gujarat"), encode_call("recordBatch", tuple(record)))
    problem = assert_problem(client.post("/batches", json=body), 422)
    assert problem["field"] == "unit"


def test_bad_or_foreign_signature_is_403(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    gin = world.account("gin-gujarat")
    body = signer.body(gin, calldata.record_batch(lint("SIG-1")))
    tampered = {**body, "request": {**body["request"], "gas": body["request"]["gas"] + 1}}
    assert_problem(client.post("/batches", json=tampered), 403, "signature_invalid")
    forged = signer.body(world.account("spinning"), calldata.record_batch(lint("SIG-2")))
    forged["request"]["from"] = gin.address  # signed by spinning, claims to be the gin
    assert_problem(client.post("/batches", json=forged), 403, "signature_invalid")
    ahead = signer.body(gin, calldata.record_batch(lint("SIG-3")), nonce=signer.nonce(gin) + 5)
    assert_problem(client.post("/batches", json=ahead), 403)


def test_a_used_nonce_is_never_sent_again(
    client: TestClient, signer: Signer, world: DemoWorld, demo_ledger: Ledger
) -> None:
    """The same signed request again gets its first answer; another request for the same nonce is 409; an instance
    that never saw the request (no outbox entry) refuses it as the replay it is."""
    gin = world.account("gin-gujarat")
    body = signer.body(gin, calldata.record_batch(lint("REPLAY-1")))
    first = client.post("/batches", json=body)
    assert first.status_code == 201
    again = client.post("/batches", json=body)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = signer.body(gin, calldata.record_batch(lint("REPLAY-2")), nonce=body["request"]["nonce"])
    assert_problem(client.post("/batches", json=other), 409, "nonce_in_use")
    demo_ledger.use_relayer(Outbox(":memory:"), RelayPolicy())  # another instance, or an outbox lost
    assert_problem(client.post("/batches", json=body), 403, "signature_replayed")


def test_signer_without_the_role_is_403(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    brand = world.account("brand")  # registered, but no FACTORY role
    body = assert_problem(client.post("/batches", json=signer.body(brand, calldata.record_batch(lint("ROLE-1")))), 403)
    assert body["error"]["name"] == "AccessControlUnauthorizedAccount"
    stranger = demo_account("nobody")  # not registered at all
    assert_problem(client.post("/batches", json=signer.body(stranger, calldata.record_batch(lint("ROLE-2")))), 403)
    spinning = world.account("spinning")  # a factory, but not the producer of the batch it flags
    flag = calldata.flag_batch(world.batches["lint-gujarat"], FlagKind.RECALL, "not mine")
    assert_problem(
        client.post(f"/batches/{world.batches['lint-gujarat']}/flags", json=signer.body(spinning, flag)), 403
    )


def test_broken_contract_rules_are_409_with_the_decoded_error(
    client: TestClient, signer: Signer, world: DemoWorld
) -> None:
    gin = world.account("gin-gujarat")
    twice = calldata.record_batch(lint("GJ25-LB-0412"))  # the demo recorded this lot already
    body = assert_problem(client.post("/batches", json=signer.body(gin, twice)), 409, "batch_already_recorded")
    assert body["error"] == {"name": "BatchAlreadyRecorded", "args": {"batch_id": world.batches["lint-gujarat"]}}
    fabric = world.batches["fabric-a"]  # held by the garment factory, not by the weaver who made it
    transfer = calldata.transfer_custody(fabric, world.account("brand").address)
    body = assert_problem(
        client.post(f"/batches/{fabric}/custody", json=signer.body(world.account("weaving"), transfer)), 409
    )
    assert body["error"]["name"] == "BatchNotHolder"


def test_unreachable_chain_is_503() -> None:
    ledger = Ledger.embedded()
    with TestClient(create_app(ledger=ledger)) as client:
        client.headers.update(login(client, ledger.chain.operator))  # as the admin, while the chain answers
        ledger.chain.w3.provider = HTTPProvider("http://127.0.0.1:9", request_kwargs={"timeout": 2})
        ledger.indexer.invalidate()
        assert_problem(client.get("/health"), 503, "chain_unavailable")
        assert_problem(client.get(f"/batches/{UNKNOWN_ID}"), 503)
        assert_problem(client.post("/due-diligence", json={"batch_id": UNKNOWN_ID}), 503)
    ledger.close()


@pytest.mark.parametrize(
    "payload",
    [
        None,
        0,
        "x",
        [],
        {},
        {"request": None, "signature": None},
        {"request": {"from": 1}},
        {
            "request": {
                "from": "0x" + "00" * 20,
                "to": "0x" + "00" * 20,
                "value": 0,
                "gas": 10**80,
                "nonce": 2**300,
                "deadline": -1,
                "data": "0x",
            },
            "signature": "0x" + "00" * 65,
        },
        {
            "request": {
                "from": "0x" + "00" * 20,
                "to": "0x" + "00" * 20,
                "value": 0,
                "gas": 100000,
                "nonce": 0,
                "deadline": 2**40,
                "data": "0x" + "ff" * 40,
            },
            "signature": "0x" + "00" * 65,
        },
    ],
)
@pytest.mark.parametrize(
    "route",
    [
        "/batches",
        f"/batches/{UNKNOWN_ID}/custody",
        f"/batches/{UNKNOWN_ID}/flags",
        "/disclosures",
        f"/disclosures/{UNKNOWN_ID}/attestations",
        f"/disclosures/{UNKNOWN_ID}/revocations",
        "/due-diligence",
    ],
)
def test_no_junk_input_produces_a_500(client: TestClient, route: str, payload: object) -> None:
    reply = client.post(route, json=payload)
    assert 400 <= reply.status_code < 500, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")


def test_a_signature_for_the_wrong_ledger_is_403(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    body = signer.body(world.account("gin-gujarat"), calldata.record_batch(lint("WRONG-TO")))
    body["request"]["to"] = UNKNOWN_ADDRESS
    assert_problem(client.post("/batches", json=body), 403)


def test_a_disclosure_metric_outside_the_catalogue_is_422(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    from ledger.chain.calls import encode_call
    from ledger.chain.codec import text_to_bytes

    metric = (text_to_bytes("MOOD_OF_STAFF", 32), 7, 0, text_to_bytes("smiles", 16))
    data = encode_call(
        "publishDisclosure",
        text_to_bytes("2025", 16),
        text_to_bytes("GRI", 8),
        [metric],
        bytes(32),
        "https://reports.example/x.pdf",
        False,
    )
    body = assert_problem(client.post("/disclosures", json=signer.body(world.account("spinning"), data)), 422)
    assert "MOOD_OF_STAFF" in body["detail"]
