"""Scaling out: two API processes, each with its own index and relayer key, serve one anvil node. They answer the
same report, and a write accepted by one is read by the other."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.codec import batch_id_of
from ledger.compile import PROJECT_ROOT
from ledger.demo import GTIN_FABRIC, demo_account
from ledger.node import AnvilNode, free_port, start_anvil
from ledger.requests import ApiSigner, calldata
from ledger.types import FlagKind

ANVIL_SECOND_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's account 1
FLAGGED = {"gtin": "06931234000105", "lot": "HG-DG-25-B-1202"}
PASSING = {"gtin": "06931234000105", "lot": "HG-DG-25-A-1201"}


class Instance:
    def __init__(self, home: Path, rpc_url: str, *, demo: bool, operator_key: str | None = None) -> None:
        self.home, self.port = home, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "LEDGER_HOME": str(home), "PYTHONPATH": str(PROJECT_ROOT), "NO_COLOR": "1"}
        if operator_key:
            env["LEDGER_OPERATOR_KEY"] = operator_key
        command = [str(Path(sys.executable).parent / "ledger"), "serve", "--rpc-url", rpc_url, "--port",
                   str(self.port), *(["--demo"] if demo else [])]
        home.mkdir(parents=True, exist_ok=True)
        self.log = home / "serve.log"
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("instance did not start: " + self.log.read_text())

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def shared_node(tmp_path: Path) -> Iterator[AnvilNode]:
    node = start_anvil(free_port(), log_file=tmp_path / "anvil.log")
    yield node
    node.stop()


def test_two_instances_on_one_node_answer_the_same_and_see_each_others_writes(
    shared_node: AnvilNode, tmp_path: Path
) -> None:
    first = Instance(tmp_path / "a", shared_node.url, demo=True)
    # The second shares the deployment (the manifest), not the index, and relays with its own key.
    (tmp_path / "b" / "deployments").mkdir(parents=True)
    for manifest in (tmp_path / "a" / "deployments").glob("*.json"):
        shutil.copy(manifest, tmp_path / "b" / "deployments" / manifest.name)
    second = Instance(tmp_path / "b", shared_node.url, demo=False, operator_key=ANVIL_SECOND_KEY)
    try:
        with httpx.Client(timeout=30) as http:
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
    finally:
        second.stop()
        first.stop()
