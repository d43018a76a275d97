"""Concurrent writes through the relayer, on the embedded chain and on anvil: one nonce allocator, no collisions."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal

from eth_account import Account
from eth_utils import keccak

from api.app import create_app
from ledger.apiclient.signer import calldata
from ledger.client import Ledger
from ledger.demo.apparel import GTIN_LINT
from ledger.domain.types import Gln, NewBatch, ParticipantProfile, Role, Site
from tests.api.conftest import Signer, TestClient, login

SITES = ("8901234000014", "6901234000016", "8931234000011", "6921234000014")
COUNTRIES = ("IN-GJ", "CN-XJ", "VN-SG", "CN-GD")


def test_concurrent_signed_writes_all_land_with_distinct_transactions(ledger: Ledger) -> None:
    factories = [Account.from_key(keccak(text=f"concurrent factory {n}")) for n in range(len(SITES))]
    for n, account in enumerate(factories):
        profile = ParticipantProfile(f"Factory {n}", COUNTRIES[n][:2], (Site(Gln(SITES[n]), COUNTRIES[n]),))
        ledger.register_participant(account.address, profile, [Role.FACTORY])
    with TestClient(create_app(ledger=ledger)) as client:
        client.headers.update(login(client, ledger.chain.operator))  # as the admin
        signer = Signer(client)
        bodies = []
        for n, account in enumerate(factories):
            for k in range(2):  # two requests per signer: nonces n and n+1, sent one after the other
                batch = NewBatch(
                    GTIN_LINT,
                    f"C{n}-{k}",
                    "520100",
                    Decimal(10 + k),
                    "KGM",
                    Gln(SITES[n]),
                    datetime.now(UTC).replace(microsecond=0),
                )
                bodies.append((n, signer.body(account, calldata.record_batch(batch), nonce=k)))
        locks = [threading.Lock() for _ in factories]

        def send(item: tuple[int, dict[str, object]]) -> int:
            n, body = item
            with locks[n]:  # a signer's own requests go in nonce order; different signers race
                return client.post("/batches", json=body).status_code

        with ThreadPoolExecutor(max_workers=len(factories)) as pool:
            statuses = list(pool.map(send, bodies))
        assert statuses == [201] * len(bodies)
        found = client.get("/batches", params={"gtin": GTIN_LINT, "limit": 50}).json()["items"]
        assert {b["lot"] for b in found} == {f"C{n}-{k}" for n in range(len(factories)) for k in range(2)}
        assert len({b["recorded"]["tx_hash"] for b in found}) == len(bodies)


def test_concurrent_retries_with_one_idempotency_key_send_once(client: TestClient, signer: Signer) -> None:
    from ledger.demo.apparel import demo_account

    gin = demo_account("gin-gujarat")
    batch = NewBatch(
        GTIN_LINT,
        "IDEM-RACE",
        "520100",
        Decimal(5),
        "KGM",
        Gln("8901234000014"),
        datetime.now(UTC).replace(microsecond=0),
    )
    body = signer.body(gin, calldata.record_batch(batch))
    before = signer.nonce(gin)
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(
            pool.map(lambda _: client.post("/batches", json=body, headers={"Idempotency-Key": "race"}), range(4))
        )
    assert {r.status_code for r in replies} == {201}
    assert len({r.json()["tx_hash"] for r in replies}) == 1
    assert sorted(r.headers["Idempotent-Replayed"] for r in replies) == ["false", "true", "true", "true"]
    assert signer.nonce(gin) == before + 1
