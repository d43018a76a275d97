"""A workspace survives any number of restarts of `ledger serve --demo`, stopped with SIGTERM or killed with
`kill -9` (server and node alike): everything recorded before is read back after each start.

anvil writes a new genesis block (stamped with the time it starts) into its state file at every start, and on reload
keeps one of the genesis blocks the file holds, whichever comes last: from the third start on, block 0 could be
another block than the one the deployment was made on, and the chain-identity check refused the workspace."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import httpx
from eth_account import Account

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.codec import batch_id_of
from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_SHIRT, demo_account
from ledger.domain.types import ParticipantProfile, Role
from tests.api.serve_process import ServeProcess
from tests.conftest import account

RESTARTS = 10


def wait_until_saved(state_file: Path, block: int) -> None:
    """Until anvil's state file holds `block` (it is written every second): a `kill -9` loses what is newer."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            saved = json.loads(state_file.read_text())["best_block_number"]
            if (int(saved, 16) if isinstance(saved, str) else int(saved)) >= block:
                return
        except (ValueError, KeyError, OSError):
            pass  # caught halfway through a write
        time.sleep(0.2)
    raise AssertionError(f"anvil's state file never held block {block}")


def kill_hard(server: ServeProcess) -> None:
    assert server.process is not None
    os.kill(int((server.home / "node" / "anvil.pid").read_text()), signal.SIGKILL)
    server.process.kill()
    server.process.wait(timeout=30)


def test_a_workspace_survives_ten_restarts_by_sigterm_and_kill_9(tmp_path: Path) -> None:
    server = ServeProcess(tmp_path / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    registered: list[str] = []
    garments = batch_id_of(demo_account("garment").address, GTIN_SHIRT, "HG-DG-25-A-1201")
    try:
        for round_ in range(RESTARTS + 1):
            log = server.start()
            assert "error" not in log.rsplit("node:", 1)[-1].lower(), log
            with httpx.Client(base_url=server.url, timeout=60) as http:
                admin = ApiSigner(server.url, Account.from_key(ANVIL_OPERATOR_KEY), client=http)
                admin.login()
                for address in registered:  # everything recorded before any restart is still there
                    read = http.get(f"/participants/{address}", headers=admin.headers)
                    assert read.status_code == 200, f"round {round_}: {read.text}"
                assert http.get(f"/batches/{garments}/passport").status_code == 200
                if round_ == RESTARTS:
                    break
                member = account(f"restart {round_}")
                written = http.post(
                    "/admin/participants",
                    headers=admin.headers,
                    json=admin.body(
                        calldata.register_participant(
                            member.address, ParticipantProfile(f"Restart {round_} Ltd", "SE"), [Role.BUYER]
                        )
                    ),
                )
                assert written.status_code == 201, written.text
                registered.append(member.address)
            if round_ % 2:
                wait_until_saved(server.home / "node" / "state.json", written.json()["block_number"])
                kill_hard(server)
            else:
                assert server.process is not None
                server.process.send_signal(signal.SIGTERM)
                server.process.wait(timeout=30)
        assert len(registered) == RESTARTS
    finally:
        server.stop()
