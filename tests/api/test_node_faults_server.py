"""Node faults against the real server process: a hung node answers 503 within the node timeout, a node restarted
on an empty chain is detected (503 naming the cause, index kept, no write), a restart refuses to deploy a second
contract set, and no problem body carries the node's URL or its credentials."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from ledger.chain.node import AnvilNode, start_anvil
from tests.api.conftest import assert_problem
from tests.api.serve_process import ServeProcess

SECRET = "s3cr3t-api-key"


@pytest.mark.anvil
def test_node_faults_answer_fast_and_honestly_without_leaking_the_node_url(
    own_anvil: AnvilNode, tmp_path: Path
) -> None:
    port = int(own_anvil.url.rsplit(":", 1)[1])
    rpc = f"http://operator:{SECRET}@127.0.0.1:{port}/?apikey={SECRET}"  # hosted nodes carry keys like this
    server = ServeProcess(
        tmp_path / ".ledger", ["--rpc-url", rpc, "--demo"], {"LEDGER_NODE_TIMEOUT": "1", "LEDGER_READ_STALENESS": "0"}
    )
    replacement: AnvilNode | None = None
    try:
        server.start()
        with httpx.Client(base_url=server.url, timeout=30, headers=server.admin()) as http:
            page = http.get("/batches").json()["items"]
            some_batch = page[0]["id"]

            os.kill(own_anvil.process.pid, signal.SIGSTOP)  # hung: accepts connections, never answers
            started = time.monotonic()
            hung = assert_problem(http.get(f"/batches/{some_batch}"), 503, "chain_unavailable")
            assert time.monotonic() - started < 15  # one node timeout (1 s), not minutes of retries
            assert SECRET not in str(hung) and "did not answer within 1 s" in hung["detail"]
            assert_problem(http.get("/health"), 503, "chain_unavailable")
            with ThreadPoolExecutor(max_workers=6) as pool:  # requests queued on a hung node do not queue timeouts
                timed = list(pool.map(lambda _: _timed(http, f"/batches/{some_batch}/passport"), range(6)))
            assert {status for status, _ in timed} == {503}
            assert max(seconds for _, seconds in timed) < 4  # one or two timeouts of 1 s, not six in a row
            os.kill(own_anvil.process.pid, signal.SIGCONT)
            assert http.get("/health").json()["status"] == "ok"

            own_anvil.stop()
            replacement = start_anvil(port)  # the node comes back on an empty chain
            for path in ("/health", f"/batches/{some_batch}", "/batches", "/disclosures"):
                body = assert_problem(http.get(path), 503, "chain_mismatch")
                assert "genesis" in body["detail"] or "no contract code" in body["detail"], body
                assert SECRET not in str(body)
            write = http.post(
                "/batches",
                json={
                    "request": {
                        "from": "0x" + "11" * 20,
                        "to": "0x" + "22" * 20,
                        "value": 0,
                        "gas": 100_000,
                        "nonce": 0,
                        "deadline": 2**40,
                        "data": "0x12345678",
                    },
                    "signature": "0x" + "00" * 65,
                },
            )
            assert write.status_code in (422, 503), write.text  # never relayed
        index = next((server.home / "index").glob("*.sqlite"))
        with sqlite3.connect(index) as db:
            assert db.execute("SELECT COUNT(*) FROM batches").fetchone()[0] > 0  # the index was not emptied
        assert SECRET not in server.log()  # not even in the operator's log

        server.stop()
        with pytest.raises(AssertionError) as refused:  # a restart refuses to deploy a second contract set
            server.start()
        assert "--redeploy" in str(refused.value)
    finally:
        server.stop()
        if replacement is not None:
            replacement.stop()


def _timed(http: httpx.Client, path: str) -> tuple[int, float]:
    started = time.monotonic()
    status = http.get(path).status_code
    return status, time.monotonic() - started
