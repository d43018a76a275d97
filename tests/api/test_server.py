"""The real thing: `ledger serve --demo` as a process (uvicorn on a free port, the workspace's anvil node), spoken to
over HTTP, restarted, and still holding what was recorded."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.chain.codec import batch_id_of
from ledger.chain.compile import PROJECT_ROOT
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_FABRIC, demo_account
from tests.api.serve_process import ServeProcess


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    running = ServeProcess(tmp_path / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    yield running
    running.stop()


def test_ledger_serve_demo_answers_docs_and_due_diligence_and_survives_a_restart(server: ServeProcess) -> None:
    log = server.start()
    assert f"{server.url}/docs" in log and "demo supply chain recorded" in log
    assert "(started, state in" in log, log  # the workspace node, started by the server
    with httpx.Client(base_url=server.url, timeout=30, headers=server.admin()) as http:
        assert http.get("/docs").status_code == 200
        assert "/due-diligence" in http.get("/openapi.json").json()["paths"]
        flagged = http.post("/due-diligence", json={"gtin": "06931234000105", "lot": "HG-DG-25-B-1202"})
        assert flagged.status_code == 200, flagged.text + server.log()
        assert flagged.json()["verdict"] == "FAIL" and flagged.json()["findings"]
        passing = http.post("/due-diligence", json={"gtin": "06931234000105", "lot": "HG-DG-25-A-1201"}).json()
        assert passing["verdict"] == "PASS"
        missing = http.get("/batches/0x" + "00" * 32)
        assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"

        # a factory signs a write with `ledger sign` (domain and nonce from the API) and posts it
        fabric = batch_id_of(demo_account("weaving").address, GTIN_FABRIC, "PRW-2025-A-77")
        signed = subprocess.run(
            [
                str(Path(sys.executable).parent / "ledger"),
                "sign",
                "flag",
                "--demo-participant",
                "weaving",
                "--batch",
                fabric,
                "--kind",
                "quality_hold",
                "--reason",
                "shade check",
                "--api",
                server.url,
            ],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        )
        posted = http.post(
            f"/batches/{fabric}/flags",
            content=signed.stdout,
            headers={"Content-Type": "application/json", "Idempotency-Key": "cli-1"},
        )
        assert posted.status_code == 201, posted.text
        held = http.post("/due-diligence", json={"gtin": "06931234000105", "lot": "HG-DG-25-A-1201"}).json()
        assert held["verdict"] == "FAIL" and held["findings"][0]["rule"] == "active_flag"

    server.stop()
    assert not (server.home / "node" / "anvil.pid").exists()  # the server stopped the node it started
    stores = [
        *server.home.glob("index/*.sqlite"),
        *server.home.glob("relayer/outbox-*.sqlite"),
        *server.home.glob("epcis/events-*.sqlite"),
        server.home / "screening" / "lists.sqlite",
    ]
    assert len(stores) == 4 and all(path.exists() for path in stores)
    for path in stores:  # every database file of the workspace overwritten with garbage
        path.write_bytes(b"garbage, not SQLite" * 100)
    log = server.start()
    assert "demo supply chain already recorded" in log  # seeded once, kept in the node's state file
    for path in stores:  # each moved aside (kept for inspection) and replaced: the service goes on
        assert list(path.parent.glob(path.name + ".unreadable-*")), log
    assert "index file was unusable" in log and "relayer outbox was unreadable" in log
    assert "screening lists were unreadable" in log
    with httpx.Client(base_url=server.url, timeout=30, headers=server.admin()) as http:
        again = http.post("/due-diligence", json={"gtin": "06931234000105", "lot": "HG-DG-25-B-1202"}).json()
        assert again["verdict"] == "FAIL" and again["batch"]["id"] == flagged.json()["batch"]["id"]
        held = http.post("/due-diligence", json={"gtin": "06931234000105", "lot": "HG-DG-25-A-1201"}).json()
        assert held["findings"][0]["rule"] == "active_flag"  # the index, rebuilt from the chain, holds the flag
