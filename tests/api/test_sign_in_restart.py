"""A used sign-in message stays used: the real `ledger serve` process, restarted on the same workspace, refuses the
same message and signature again (the used nonces live in `<home>/auth/used-nonces.sqlite`, not in memory)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from ledger.apiclient.signer import sign_in, siwe_message
from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import AnvilNode
from tests.api.serve_process import ServeProcess


@pytest.fixture
def server(tmp_path: Path, module_anvil: AnvilNode) -> Iterator[ServeProcess]:
    running = ServeProcess(tmp_path / ".ledger", ["--rpc-url", module_anvil.url])
    yield running
    running.stop()


def test_a_used_sign_in_message_is_refused_after_a_restart(server: ServeProcess) -> None:
    admin = Account.from_key(ANVIL_OPERATOR_KEY)
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        body = sign_in(admin, siwe_message(admin.address, http.get("/auth/nonce").json()))
        assert http.post("/auth/login", json=body).status_code == 200
        assert http.post("/auth/login", json=body).status_code == 401
    server.stop()
    server.start()
    with httpx.Client(base_url=server.url, timeout=30) as http:
        replayed = http.post("/auth/login", json=body)
        assert replayed.status_code == 401, replayed.text
        assert "already used" in replayed.json()["detail"]
        fresh = sign_in(admin, siwe_message(admin.address, http.get("/auth/nonce").json()))
        assert http.post("/auth/login", json=fresh).status_code == 200  # signing in again works
    assert (server.home / "auth" / "used-nonces.sqlite").exists()
