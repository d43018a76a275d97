"""Buyers see whether a batch was recorded in its own transaction or anchored under a Merkle root, with its proof."""

import json
from datetime import UTC, datetime
from decimal import Decimal

from fastapi.testclient import TestClient

from ledger.anchoring import anchor_batches, build_bundle
from ledger.client import Ledger
from ledger.demo.apparel import DEMO_PARTICIPANTS, GTIN_SHIRT, DemoWorld
from ledger.domain.types import Gln, NewBatch


def garments(lot: str) -> NewBatch:
    site = DEMO_PARTICIPANTS[4].profile.sites[0].gln  # the garment factory's
    return NewBatch(GTIN_SHIRT, lot, "620520", Decimal(500), "H87", Gln(site), datetime(2025, 9, 1, tzinfo=UTC))


def test_an_individually_recorded_batch_shows_its_transaction(client: TestClient, world: DemoWorld) -> None:
    body = client.get(f"/batches/{world.passing_batch}/recording").json()
    assert body["kind"] == "recorded"
    assert body["tx"]["tx_hash"].startswith("0x")
    assert body["proof"] == []


def test_a_handed_in_bundle_makes_anchored_batches_provable(
    client: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    factory = world.account("garment")
    batches = [garments(f"HG-ANCH-{n}") for n in range(5)]
    # The root goes on chain (anchored directly, not through anchor_batches): this service has no proofs yet ...
    demo_ledger.relay(
        demo_ledger.sign(
            factory,
            demo_ledger.contract.functions.anchorBatches(
                bytes.fromhex(build_bundle(factory.address, batches).root[2:]), len(batches), "s3://bundles/1"
            ),
        )
    )
    bundle = build_bundle(factory.address, batches)
    assert client.get(f"/batches/{bundle.records[1].batch_id}/recording").status_code == 404

    # ... until the factory hands in its bundle.
    imported = client.post("/anchors/bundles", json=json.loads(bundle.to_json()))
    assert imported.status_code == 200, imported.text
    assert imported.json()["records"] == 5
    target = bundle.records[1]
    body = client.get(f"/batches/{target.batch_id}/recording").json()
    assert body["kind"] == "anchored"
    assert body["root"] == bundle.root
    assert body["proof"] == list(target.proof)


def test_a_bundle_whose_root_was_never_anchored_is_refused(client: TestClient, world: DemoWorld) -> None:
    bundle = build_bundle(world.account("garment").address, [garments("HG-NEVER-1")])
    answer = client.post("/anchors/bundles", json=json.loads(bundle.to_json()))
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/problem+json")


def test_a_bundle_with_a_tampered_record_is_refused(client: TestClient, demo_ledger: Ledger, world: DemoWorld) -> None:
    factory = world.account("garment")
    receipt = anchor_batches(demo_ledger, factory, [garments("HG-T-1"), garments("HG-T-2")], "s3://bundles/3")
    assert receipt.bundle is not None
    body = json.loads(receipt.bundle.to_json())
    body["records"][0]["record"]["quantity"] = "5000"
    answer = client.post("/anchors/bundles", json=body)
    assert answer.status_code == 422


def test_an_unknown_batch_has_no_recording(client: TestClient) -> None:
    assert client.get("/batches/0x" + "ab" * 32 + "/recording").status_code == 404
