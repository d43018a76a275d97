"""`ledger serve --demo`: a write answered 201, then `kill -9` of the server and its anvil before anvil saved the
write's block (it saves its state file once a second). The state file saved before the write, put back, makes that
deterministic. At the next start the relayer finds the write lost and sends it again: the batch is found, the
idempotent retry answers from the new receipt, and `/health` shows the index at the head with nothing pending."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_LINT, demo_account
from ledger.domain.types import Gln, NewBatch
from tests.anvil_state import saved_state
from tests.api.serve_process import ServeProcess


def test_a_write_answered_before_the_node_lost_its_block_is_on_chain_after_a_kill_9_restart(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    state_file = server.home / "node" / "state.json"
    gin = demo_account("gin-gujarat")
    lint = NewBatch(
        GTIN_LINT,
        "GJ25-LOST-1",
        "520100",
        Decimal(500),
        "KGM",
        Gln("8901234000014"),
        datetime.now(UTC).replace(microsecond=0),
    )
    headers = {"Idempotency-Key": "lost-1"}
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            before = saved_state(state_file, http.get("/health").json()["chain_head"])
            body = ApiSigner(server.url, gin, client=http).body(calldata.record_batch(lint))
            first = http.post("/batches", json=body, headers=headers)
            assert first.status_code == 201, first.text
        assert server.process is not None
        os.kill(int((server.home / "node" / "anvil.pid").read_text()), signal.SIGKILL)
        server.process.kill()
        server.process.wait(timeout=30)
        state_file.write_bytes(before)  # what anvil had saved when it was killed within the second

        log = server.start()
        with httpx.Client(base_url=server.url, timeout=60) as http:
            [batch_id] = first.json()["created"]
            owner = ApiSigner(server.url, gin, client=http)
            owner.login()
            found = http.get(f"/batches/{batch_id}", headers=owner.headers)
            assert found.status_code == 200, found.text + log
            retry = http.post("/batches", json=body, headers=headers)
            assert retry.status_code == 201, retry.text
            assert retry.json()["tx_hash"] == first.json()["tx_hash"]  # the same transaction, sent again
            assert found.json()["recorded"]["block_number"] == retry.json()["block_number"]
            health = http.get("/health").json()
            assert health["status"] == "ok" and health["lag"] == 0
            assert health["chain_head"] >= retry.json()["block_number"] and health["relayer"]["pending"] == 0
    finally:
        server.stop()
