"""The relayer pays for no doomed transaction, sends none twice, and loses none: each attack of issue 9 against a real
`ledger serve --demo` process on anvil, with every transaction the relayer sent checked afterwards (all succeeded:
it paid for no reverted one)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import HTTPProvider, Web3

from ledger.apiclient.signer import ApiSigner, body_of, calldata
from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import free_port
from ledger.chain.signing import SECP256K1_N, build_request, sign_request
from ledger.client import Ledger
from ledger.demo.apparel import GTIN_FABRIC, GTIN_LINT, GTIN_YARN, demo_account
from ledger.domain.types import FlagKind, Gln, NewBatch, ParticipantProfile, Role, Site
from tests.api.conftest import assert_problem
from tests.api.serve_process import ServeProcess
from tests.conftest import account
from tests.ledger.builders import gln

pytestmark = pytest.mark.anvil
RELAYER = Web3().eth.account.from_key(ANVIL_OPERATOR_KEY).address
GAS_BUDGET = 1_500_000
RATE = 8
NOW = datetime.now(UTC).replace(microsecond=0)


class Server:
    def __init__(self, process: ServeProcess, node_url: str) -> None:
        self.process = process
        self.http = httpx.Client(base_url=process.url, timeout=60, headers=process.admin())
        self.w3 = Web3(HTTPProvider(node_url))
        self.node_url = node_url

    def signer(self, who: str) -> ApiSigner:
        return ApiSigner(self.process.url, demo_account(who), client=self.http)

    def relayer_transactions(self) -> list[dict[str, Any]]:
        sent = []
        for number in range(self.w3.eth.block_number + 1):
            for tx in self.w3.eth.get_block(number, full_transactions=True)["transactions"]:
                if tx["from"] == RELAYER:  # type: ignore[index]
                    sent.append(dict(tx))  # type: ignore[arg-type]
        return sent

    def reverted(self) -> list[str]:
        return [
            tx["hash"].hex()
            for tx in self.relayer_transactions()
            if self.w3.eth.get_transaction_receipt(tx["hash"])["status"] != 1
        ]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("relayer") / ".ledger"
    node_port = free_port()
    process = ServeProcess(
        home,
        ["--demo"],
        {
            "LEDGER_NODE_PORT": str(node_port),
            "LEDGER_RELAY_GAS_BUDGET": str(GAS_BUDGET),
            "LEDGER_RELAY_RATE": str(RATE),
        },
    )
    process.start()
    running = Server(process, f"http://127.0.0.1:{node_port}")
    yield running
    running.http.close()
    process.stop()


def lint(lot: str) -> NewBatch:
    return NewBatch(GTIN_LINT, lot, "520100", Decimal(5), "KGM", Gln("8901234000014"), NOW)


def malleate(signature: str) -> str:
    raw = bytes.fromhex(signature[2:])
    r, s, v = raw[:32], int.from_bytes(raw[32:64], "big"), raw[64]
    return "0x" + (r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])).hex()


def test_malleated_signatures_cost_nothing(server: Server) -> None:
    signer = server.signer("gin-gujarat")
    body = signer.body(calldata.record_batch(lint("MALL-1")))
    sent_before = len(server.relayer_transactions())
    high_s = {**body, "signature": malleate(body["signature"])}
    for _ in range(20):  # the same malleated body, again and again
        assert_problem(server.http.post("/batches", json=high_s), 403, "signature_invalid")
    for v in (0, 1):
        assert_problem(
            server.http.post("/batches", json={**body, "signature": body["signature"][:-2] + f"{v:02x}"}),
            403,
            "signature_invalid",
        )
    assert len(server.relayer_transactions()) == sent_before  # not one transaction paid
    assert server.http.post("/batches", json=body).status_code == 201  # the genuine one still lands


def test_ten_concurrent_bodies_with_one_nonce_send_one_transaction(server: Server) -> None:
    signer = server.signer("spinning")
    nonce = signer.nonce()
    bodies = [
        signer.body(
            calldata.flag_batch(
                server.http.get("/batches", params={"gtin": GTIN_YARN}).json()["items"][0]["id"],
                FlagKind.QUALITY_HOLD,
                f"race {i}",
            ),
            nonce=nonce,
        )
        for i in range(10)
    ]
    sent_before = len(server.relayer_transactions())
    with ThreadPoolExecutor(max_workers=10) as pool:
        replies = list(pool.map(lambda b: server.http.post(f"/batches/{_flagged(b)}/flags", json=b), bodies))
    statuses = sorted(r.status_code for r in replies)
    assert statuses.count(201) == 1 and set(statuses) <= {201, 409}, [r.text for r in replies]
    assert len(server.relayer_transactions()) == sent_before + 1


def _flagged(body: dict[str, Any]) -> str:
    from ledger.chain.calls import decode_call

    return str(decode_call(body["request"]["data"]).args["batchId"])


def test_a_request_asking_for_more_gas_than_the_cap_is_refused_before_sending(server: Server) -> None:
    signer = server.signer("garment")
    domain, ledger_address = signer.domain()
    data = calldata.record_batch(lint("GREEDY-GAS"))
    request = build_request(signer.account.address, ledger_address, data, nonce=signer.nonce(), gas=13_000_000)
    body = assert_problem(
        server.http.post("/batches", json=body_of(sign_request(signer.account, domain, request))), 422
    )
    assert body["field"] == "request.gas" and "cap" in body["detail"]


def test_the_least_gas_the_schema_allows_is_answered_never_a_500(server: Server) -> None:
    """The signed gas is what the forwarder hands the inner call; the relayer's dry run adds the transaction's own
    intrinsic gas (a dry run with 21,000 gas in all once failed on the node with a 500)."""
    signer = server.signer("spinning")
    domain, ledger_address = signer.domain()
    yarn = server.http.get("/batches", params={"gtin": GTIN_YARN}).json()["items"][0]["id"]
    data = calldata.flag_batch(yarn, FlagKind.RELEASE, "cleared")
    for gas in (21_000, 25_000):
        request = build_request(signer.account.address, ledger_address, data, nonce=signer.nonce(), gas=gas)
        reply = server.http.post(f"/batches/{yarn}/flags", json=body_of(sign_request(signer.account, domain, request)))
        assert reply.status_code in (201, 422), reply.text
        if reply.status_code == 422:
            assert reply.json()["field"] == "request.gas"


def test_a_participant_past_its_daily_gas_budget_gets_429_with_retry_after(server: Server) -> None:
    signer = server.signer("gin-gujarat")
    replies = []
    for bulk in range(4):  # about 0.9M gas each: the 1.5M budget is spent after two
        replies.append(
            server.http.post(
                "/batches", json=signer.body(calldata.record_batches([lint(f"BUDGET-{bulk}-{n}") for n in range(20)]))
            )
        )
        if replies[-1].status_code != 201:
            break
    assert [r.status_code for r in replies[:2]] == [201, 201], [r.text for r in replies]
    body = assert_problem(replies[-1], 429, "budget_exhausted")
    assert 0 < int(replies[-1].headers["Retry-After"]) <= 86_400 and "budget" in body["detail"]
    usage = {u["participant"]: u for u in server.http.get("/relayer").json()["usage_today"]}
    assert usage[demo_account("gin-gujarat").address]["gas"] >= GAS_BUDGET


def test_the_request_rate_is_bounded_per_participant(server: Server) -> None:
    signer = server.signer("auditor")  # requests the contract's dry run refuses cost no gas and take no place
    unknown = "0x" + "ab" * 32
    refused = [
        server.http.post(
            f"/disclosures/{unknown}/revocations",
            json=signer.body(calldata.revoke_attestation(unknown, 1, "nothing to revoke")),
        )
        for _ in range(RATE + 2)
    ]
    assert {r.status_code for r in refused} == {404}
    weaving = server.signer("weaving")  # relayed requests do: past the rate, refused at once, valid or not
    replies = [
        server.http.post(
            "/batches",
            json=weaving.body(
                calldata.record_batch(
                    NewBatch(GTIN_FABRIC, f"RATE-{n}", "520811", Decimal(1), "MTR", Gln("6921234000014"), NOW)
                )
            ),
        )
        for n in range(RATE + 2)
    ]
    assert {r.status_code for r in replies[:RATE]} == {201}, [r.text for r in replies]
    assert [r.status_code for r in replies[-2:]] == [429, 429]
    assert replies[-1].json()["code"] == "rate_limited"


def test_idempotency_keys_are_scoped_to_the_signer(server: Server) -> None:
    headers = {"Idempotency-Key": "shared-key-1"}
    gin = server.http.post(
        "/batches",
        json=server.signer("gin-xinjiang").body(
            calldata.record_batch(NewBatch(GTIN_LINT, "KEY-XJ", "520100", Decimal(3), "KGM", Gln("6901234000016"), NOW))
        ),
        headers=headers,
    )
    assert gin.status_code == 201, gin.text
    other = server.http.post(
        "/batches",
        json=server.signer("garment").body(
            calldata.record_batch(
                NewBatch("06931234000105", "KEY-GA", "620520", Decimal(3), "H87", Gln("6931234000013"), NOW)
            )
        ),
        headers=headers,
    )
    assert other.status_code == 201, other.text  # another signer's key does not collide
    assert other.json()["tx_hash"] != gin.json()["tx_hash"]


def test_admin_writes_beside_the_relayer_on_one_key_never_collide(server: Server) -> None:
    """An admin script registers and suspends participants with the key the service relays with, while writes are
    relayed: neither answers 'nonce too low'."""
    admin = Ledger.connect(server.node_url, server.process.home)  # the same operator key, another process's nonces
    errors: list[str] = []

    def relay_writes() -> None:
        signer = server.signer("garment")
        for n in range(6):
            reply = server.http.post(
                "/batches",
                json=signer.body(
                    calldata.record_batch(
                        NewBatch(
                            "06931234000105", f"BESIDE-{n}", "620520", Decimal(1), "H87", Gln("6931234000013"), NOW
                        )
                    )
                ),
            )
            if reply.status_code != 201:
                errors.append(reply.text)

    worker = threading.Thread(target=relay_writes)
    worker.start()
    for n in range(4):
        newcomer = account(f"admin beside relayer {n}")
        admin.register_participant(newcomer.address, ParticipantProfile(f"Newcomer {n} Ltd", "VN"), [Role.FACTORY])
        admin.set_suspended(newcomer.address, True, "pending onboarding checks")
    worker.join()
    admin.close()
    assert errors == []


def test_the_relayer_paid_for_no_reverted_transaction(server: Server) -> None:
    """Runs last in this module: every transaction the relayer sent in all the attacks above succeeded."""
    assert server.relayer_transactions()
    assert server.reverted() == []
    health = server.http.get("/health").json()
    assert health["relayer"]["failed"] == 0 and health["relayer"]["pending"] == 0


# -- a crash mid-write ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("block_time", [None, 3], ids=["instant blocks", "3 s blocks"])
def test_a_retry_after_kill_9_mid_write_returns_the_first_answer(tmp_path: Path, block_time: int | None) -> None:
    from ledger.chain.node import start_anvil

    node = start_anvil(free_port(), block_time=block_time)
    home = tmp_path / ".ledger"
    try:
        admin = Ledger.connect(node.url, home)
        factory = account("crash factory")
        admin.register_participant(
            factory.address, ParticipantProfile("Crash Test Mill", "CN", (Site(gln(42), "CN-GD"),)), [Role.FACTORY]
        )
        admin.close()
        serve = ServeProcess(home, ["--rpc-url", node.url], {"LEDGER_RELAY_STUCK_AFTER": "120"})
        serve.start()
        http = httpx.Client(base_url=serve.url, timeout=60)
        batch = NewBatch(GTIN_LINT, "CRASH-1", "520100", Decimal(1), "KGM", gln(42), NOW)
        body = ApiSigner(serve.url, factory, client=http).body(calldata.record_batch(batch))
        headers = {"Idempotency-Key": "crash-1"}
        answered: list[httpx.Response] = []

        def post() -> None:
            with contextlib.suppress(httpx.TransportError):  # the server is killed under it
                answered.append(http.post("/batches", json=body, headers=headers))

        writer = threading.Thread(target=post)
        writer.start()
        time.sleep(1.0 if block_time else 0.3)
        assert serve.process is not None
        serve.process.kill()  # kill -9: no cleanup at all
        serve.process.wait()
        writer.join()
        serve.start()  # restart: the outbox is matched with the chain
        retry = httpx.post(f"{serve.url}/batches", json=body, headers=headers, timeout=60)
        assert retry.status_code == 201, retry.text + serve.log()
        if answered and answered[0].status_code == 201:
            assert retry.json() == answered[0].json()
        w3 = Web3(HTTPProvider(node.url))
        relayed = [
            tx
            for n in range(w3.eth.block_number + 1)
            for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]
            if tx["to"] == w3.to_checksum_address(http.get("/eip712/domain").json()["verifying_contract"])
        ]
        assert len(relayed) == 1  # one transaction, never a second
        assert retry.json()["tx_hash"] == "0x" + bytes(relayed[0]["hash"]).hex()
        serve.stop()
        http.close()
    finally:
        node.stop()
