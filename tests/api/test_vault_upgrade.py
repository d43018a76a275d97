"""A workspace whose vault was written before uploads were recorded, served again by `ledger serve` (a real
process): each file a record cites is given, once, to the participant whose record cited it first."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx

from ledger.chain.node import free_port
from ledger.demo.apparel import demo_account
from ledger.demo.documents import file_hash
from tests.api.serve_process import ServeProcess


def test_an_older_vault_is_adopted_once_by_the_first_citers_when_served_again(tmp_path: Path) -> None:
    env = {"LEDGER_NODE_PORT": str(free_port())}
    first = ServeProcess(tmp_path / ".ledger", ["--demo"], env)
    try:
        first.start()
    finally:
        first.stop()
    vault = first.home / "documents"
    for kept in [*vault.glob("??/*.uploads"), *vault.glob("??/*.type"), vault / ".uploads-recorded"]:
        shutil.rmtree(kept) if kept.is_dir() else kept.unlink()  # as an older vault left it: the bytes alone
    certificate = file_hash("gots-scope-certificate-gj-2025-0412.pdf")
    assert (vault / certificate[2:4] / certificate[2:]).is_file()

    again = ServeProcess(first.home, [], env)  # no --demo: nothing uploads the demo's files again
    before = len(again.log())  # the log of a home goes on from one start to the next
    try:
        log = again.start()[before:]
        assert "stored before uploads were recorded" in log, log
        with httpx.Client(base_url=again.url, timeout=30) as http:
            gin = again.login(demo_account("gin-gujarat"))
            served = http.get(f"/documents/{certificate}", headers=gin)
            assert served.status_code == 200 and served.headers["content-type"] == "application/pdf"
            assert (
                http.get(f"/documents/{certificate}", headers=again.login(demo_account("gin-xinjiang"))).status_code
                == 404
            )  # who could not see the gin's batch still cannot
        assert (vault / ".uploads-recorded").is_file()
    finally:
        again.stop()
    third = ServeProcess(first.home, [], env)
    before = len(third.log())
    try:
        assert "stored before uploads were recorded" not in third.start()[before:]  # once
    finally:
        third.stop()
