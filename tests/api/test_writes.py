"""Factories' and auditors' signed writes: relayed, checked, idempotent, concurrent."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from api.app import create_app
from api.settings import ApiSettings
from ledger.apiclient.signer import calldata
from ledger.client import Ledger
from ledger.demo.apparel import GTIN_LINT, DemoWorld, doc
from ledger.domain.types import AssuranceLevel, FlagKind, Gln, InputUse, MetricValue, NewBatch, Opinion
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import RelayPolicy
from tests.api.conftest import Signer, TestClient, assert_problem


def lint(lot: str, quantity: str = "500", **extra: object) -> NewBatch:
    return NewBatch(
        GTIN_LINT,
        lot,
        "520100",
        Decimal(quantity),
        "KGM",
        Gln("8901234000014"),
        datetime.now(UTC).replace(microsecond=0),
        **extra,
    )  # type: ignore[arg-type]


def test_factory_records_a_batch_and_buyers_see_it(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    gin = world.account("gin-gujarat")
    reply = client.post("/batches", json=signer.body(gin, calldata.record_batch(lint("GJ25-LB-0999"))))
    assert reply.status_code == 201, reply.text
    result = reply.json()
    assert result["function"] == "recordBatch" and result["signer"] == gin.address
    [batch_id] = result["created"]
    batch = client.get(f"/batches/{batch_id}").json()
    assert batch["lot"] == "GJ25-LB-0999" and batch["producer"] == gin.address
    assert batch["recorded"]["tx_hash"] == result["tx_hash"]


def test_several_batches_in_one_signed_call(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    gin = world.account("gin-gujarat")
    data = calldata.record_batches([lint("BULK-1"), lint("BULK-2")])
    result = client.post("/batches", json=signer.body(gin, data)).json()
    assert result["function"] == "recordBatches" and len(result["created"]) == 2


def test_custody_flags_and_release_through_the_api(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    fabric = world.batches["fabric-a"]
    garment, brand = world.account("garment"), world.account("brand")
    # fabric-a is held by the garment factory: it hands the leftover to the brand
    reply = client.post(
        f"/batches/{fabric}/custody", json=signer.body(garment, calldata.transfer_custody(fabric, brand.address))
    )
    assert reply.status_code == 201, reply.text
    assert client.get(f"/batches/{fabric}").json()["holder"] == brand.address
    weaving = world.account("weaving")
    hold = calldata.flag_batch(fabric, FlagKind.QUALITY_HOLD, "shade variation")
    assert client.post(f"/batches/{fabric}/flags", json=signer.body(weaving, hold)).status_code == 201
    release = calldata.flag_batch(fabric, FlagKind.RELEASE, "re-tested within tolerance")
    assert client.post(f"/batches/{fabric}/flags", json=signer.body(weaving, release)).status_code == 201
    flags = client.get(f"/batches/{fabric}").json()["flags"]
    assert [(f["kind"], f["active"]) for f in flags] == [("quality_hold", False), ("release", False)]


def test_disclosure_publish_attest_and_revoke_through_the_api(
    client: TestClient, signer: Signer, world: DemoWorld
) -> None:
    spinning, auditor = world.account("spinning"), world.account("auditor")
    data = calldata.publish_disclosure(
        "2025-Q3",
        "ISSB",
        [MetricValue("GHG_SCOPE1", Decimal("310.5"), "tCO2e")],
        doc("spinning Q3"),
        "https://reports.example/spy/2025-q3.pdf",
    )
    published = client.post("/disclosures", json=signer.body(spinning, data)).json()
    [disclosure_id] = published["created"]
    attest = calldata.attest(disclosure_id, 1, AssuranceLevel.REASONABLE, Opinion.UNMODIFIED, doc("assurance"))
    reply = client.post(f"/disclosures/{disclosure_id}/attestations", json=signer.body(auditor, attest))
    assert reply.status_code == 201, reply.text
    assert client.get(f"/disclosures/{disclosure_id}").json()["audited"] is True
    revoke = calldata.revoke_attestation(disclosure_id, 1, "engagement letter withdrawn")
    reply = client.post(f"/disclosures/{disclosure_id}/revocations", json=signer.body(auditor, revoke))
    assert reply.status_code == 201, reply.text
    body = client.get(f"/disclosures/{disclosure_id}").json()
    assert body["audited"] is False and body["attestations"][0]["revoke_reason"] == "engagement letter withdrawn"
    amend = calldata.amend_disclosure(
        disclosure_id,
        [MetricValue("GHG_SCOPE1", Decimal("320"), "tCO2e")],
        doc("spinning Q3 rev1"),
        "https://reports.example/spy/2025-q3-r1.pdf",
        "boiler meter recalibrated",
    )
    assert client.post("/disclosures", json=signer.body(spinning, amend)).json()["function"] == "amendDisclosure"
    assert client.get(f"/disclosures/{disclosure_id}").json()["latest_version"] == 2


def test_a_route_refuses_calls_of_another_function(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    garment = world.account("garment")
    custody = calldata.transfer_custody(world.batches["fabric-a"], world.account("brand").address)
    body = assert_problem(client.post("/batches", json=signer.body(garment, custody)), 422, "invalid_input")
    assert "transferCustody" in body["detail"]
    other = world.batches["fabric-b"]
    assert_problem(client.post(f"/batches/{other}/custody", json=signer.body(garment, custody)), 422)


def test_idempotent_retry_returns_the_first_answer_and_sends_nothing(
    client: TestClient, signer: Signer, world: DemoWorld
) -> None:
    gin = world.account("gin-gujarat")
    body = signer.body(gin, calldata.record_batch(lint("IDEM-1")))
    headers = {"Idempotency-Key": "retry-me-1"}
    first = client.post("/batches", json=body, headers=headers)
    nonce = signer.nonce(gin)
    again = client.post("/batches", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert (first.headers["Idempotent-Replayed"], again.headers["Idempotent-Replayed"]) == ("false", "true")
    assert signer.nonce(gin) == nonce  # nothing was sent again
    other = signer.body(gin, calldata.record_batch(lint("IDEM-2")))
    assert_problem(client.post("/batches", json=other, headers=headers), 422, "idempotency_key_reused")
    # without the key, the same signed request is known too: its first answer, nothing sent
    resent = client.post("/batches", json=body)
    assert resent.status_code == 201 and resent.json() == first.json()
    assert resent.headers["Idempotent-Replayed"] == "true" and signer.nonce(gin) == nonce


def test_concurrent_writes_from_many_signers_all_land(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    factories = ["gin-gujarat", "gin-xinjiang", "spinning", "weaving", "garment"]
    sites = {
        "gin-gujarat": "8901234000014",
        "gin-xinjiang": "6901234000016",
        "spinning": "8931234000011",
        "weaving": "6921234000014",
        "garment": "6931234000013",
    }
    bodies = []
    for name in factories:
        batch = NewBatch(
            GTIN_LINT,
            f"PAR-{name[:8]}",
            "520100",
            Decimal(7),
            "KGM",
            Gln(sites[name]),
            datetime.now(UTC).replace(microsecond=0),
        )
        bodies.append(signer.body(world.account(name), calldata.record_batch(batch)))
    with ThreadPoolExecutor(max_workers=len(bodies)) as pool:
        replies = list(pool.map(lambda b: client.post("/batches", json=b), bodies))
    assert [r.status_code for r in replies] == [201] * len(bodies), [r.text for r in replies]
    assert len({r.json()["tx_hash"] for r in replies}) == len(bodies)
    found = client.get("/batches", params={"gtin": GTIN_LINT, "limit": 50}).json()["items"]
    assert {b["lot"] for b in found} >= {f"PAR-{n[:8]}" for n in factories}


def test_signed_inputs_consumed_beyond_what_is_left_are_a_conflict(
    client: TestClient, signer: Signer, world: DemoWorld
) -> None:
    spinning = world.account("spinning")
    # lint-gujarat: 24000 kg, 18000 kg already spun
    yarn = NewBatch(
        GTIN_LINT,
        "OVER-1",
        "520512",
        Decimal(100),
        "KGM",
        Gln("8931234000011"),
        datetime.now(UTC).replace(microsecond=0),
        inputs=(InputUse(world.batches["lint-gujarat"], Decimal(6001)),),
    )
    body = assert_problem(client.post("/batches", json=signer.body(spinning, calldata.record_batch(yarn))), 409)
    assert body["error"]["name"] == "BatchInsufficientQuantity"
    assert body["error"]["args"]


def test_the_api_helper_signs_with_domain_and_nonce_from_the_api(client: TestClient, world: DemoWorld) -> None:
    from ledger.apiclient.signer import ApiSigner

    helper = ApiSigner("http://testserver", world.account("gin-gujarat"), client=client)
    body = helper.body(calldata.record_batch(lint("HELPER-1")))
    assert client.post("/batches", json=body).status_code == 201
    assert helper.nonce() == body["request"]["nonce"] + 1


def test_expired_signature_is_forbidden(client: TestClient, signer: Signer, world: DemoWorld) -> None:
    gin = world.account("gin-gujarat")
    body = signer.body(gin, calldata.record_batch(lint("LATE-1")), now=time.time() - 7_200)
    assert_problem(client.post("/batches", json=body), 403, "signature_expired")


def test_idempotent_answers_survive_a_restart_of_the_service(
    demo_ledger: Ledger, world: DemoWorld, tmp_path: Path
) -> None:
    """With an outbox file (as `ledger serve` keeps), a retry after a restart still gets the first answer."""
    path = tmp_path / "relayer" / "outbox.sqlite"
    gin = world.account("gin-gujarat")
    headers = {"Idempotency-Key": "survives-restart"}
    demo_ledger.use_relayer(Outbox(path), RelayPolicy())
    with TestClient(create_app(ApiSettings(), demo_ledger)) as first_client:
        body = Signer(first_client).body(gin, calldata.record_batch(lint("IDEM-R")))
        first = first_client.post("/batches", json=body, headers=headers)
        assert first.status_code == 201
    demo_ledger.relayer.outbox.close()
    demo_ledger.use_relayer(Outbox(path), RelayPolicy())  # a new process: only the file is shared
    with TestClient(create_app(ApiSettings(), demo_ledger)) as restarted:
        again = restarted.post("/batches", json=body, headers=headers)
        assert again.status_code == 201
        assert again.json() == first.json()
        assert again.headers["Idempotent-Replayed"] == "true"
