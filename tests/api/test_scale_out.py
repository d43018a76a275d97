"""Scaling out: two API processes, each with its own index and relayer key, serve one anvil node. They answer the
same report, and a write accepted by one is read by the other."""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.codec import batch_id_of
from ledger.chain.node import AnvilNode
from ledger.demo.apparel import GTIN_FABRIC, demo_account
from ledger.domain.types import FlagKind
from tests.api.serve_process import ServeProcess, two_instances

FLAGGED = {"gtin": "06931234000105", "lot": "HG-DG-25-B-1202"}
PASSING = {"gtin": "06931234000105", "lot": "HG-DG-25-A-1201"}
SHARED_SECRET = "scale-out-test-7c1e9a3b5d2f4068a9b1c3d5e7f90a2b"


@pytest.fixture(scope="module")
def instances(
    module_anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Both sign tokens with one secret. Shared by this file's tests, which touch different participants."""
    secret = {"API_AUTH_SECRET": SHARED_SECRET}
    with two_instances(module_anvil.url, tmp_path_factory.mktemp("scale-out"), secret, secret) as both:
        yield both


def test_two_instances_on_one_node_answer_the_same_and_see_each_others_writes(
    instances: tuple[ServeProcess, ServeProcess],
) -> None:
    first, second = instances
    with httpx.Client(timeout=30, headers=first.admin()) as http:  # a token from one instance, used on both
        for batch in (FLAGGED, PASSING):
            one = http.post(f"{first.url}/due-diligence", json=batch)
            two = http.post(f"{second.url}/due-diligence", json=batch)
            assert one.status_code == two.status_code == 200, one.text + two.text
            assert one.json() == two.json()  # same chain, same block: the same report
        assert http.post(f"{first.url}/due-diligence", json=PASSING).json()["verdict"] == "PASS"

        # The weaving mill flags the passing line's fabric through the second instance ...
        fabric = batch_id_of(demo_account("weaving").address, GTIN_FABRIC, "PRW-2025-A-77")
        with httpx.Client(base_url=second.url, timeout=30) as second_http:
            signer = ApiSigner(second.url, demo_account("weaving"), client=second_http)
            body = signer.body(calldata.flag_batch(fabric, FlagKind.RECALL, "azo dye above REACH limit"))
        written = http.post(f"{second.url}/batches/{fabric}/flags", json=body)
        assert written.status_code == 201, written.text
        assert written.json()["tx_hash"].startswith("0x")

        # ... and the first instance, which never saw the request, reads it from the chain.
        deadline = time.monotonic() + 10
        while True:
            report = http.post(f"{first.url}/due-diligence", json=PASSING).json()
            if report["verdict"] == "FAIL" or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert report["verdict"] == "FAIL"
        assert any(f["rule"] == "active_flag" and "REACH" in f["message"] for f in report["findings"])


def test_a_token_works_on_every_instance_and_a_suspension_through_one_binds_the_other(
    instances: tuple[ServeProcess, ServeProcess],
) -> None:
    first, second = instances
    brand = demo_account("brand")
    token = first.login(brand)
    with httpx.Client(timeout=30, headers=token) as http:
        assert http.get(f"{second.url}/auth/me").json()["address"] == brand.address
        assert http.post(f"{second.url}/due-diligence", json=PASSING).status_code == 200
    with httpx.Client(base_url=first.url, timeout=30, headers=first.admin()) as admin_http:
        from eth_account import Account

        from ledger.chain.connection import ANVIL_OPERATOR_KEY

        admin = ApiSigner(first.url, Account.from_key(ANVIL_OPERATOR_KEY), client=admin_http)
        suspended = admin_http.post(
            f"/admin/participants/{brand.address}/status",
            json=admin.body(calldata.set_suspended(brand.address, True, "sanctions screening hit")),
        )
        assert suspended.status_code == 201, suspended.text
    with httpx.Client(timeout=30, headers=token) as http:
        deadline = time.monotonic() + 10
        while (reply := http.get(f"{second.url}/auth/me")).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.1)  # the other instance reads the chain at its next request
        assert reply.status_code == 401 and "suspended" in reply.json()["detail"]
        assert "invalid_token" in reply.headers["WWW-Authenticate"]
