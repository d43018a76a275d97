"""The workspace's anvil node comes back from its state file with the genesis block its chain was born with, however
often it is restarted (stopped or killed), and its clock reads the present, not the genesis time."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import requests

from ledger.chain.node import ANVIL_CHAIN_ID, anvil_binary, free_port, rpc_alive, start_anvil
from ledger.client import Ledger
from ledger.domain.errors import ChainMismatchError
from tests.ledger.builders import GTIN, batch, register


def rpc(url: str, method: str, *params: Any) -> Any:
    return requests.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}, timeout=10
    ).json()["result"]


def block(url: str, number: str) -> dict[str, Any]:
    found = rpc(url, "eth_getBlockByNumber", number, False)
    assert isinstance(found, dict)
    return found


def saved_genesis_blocks(state_file: Path) -> int:
    blocks = json.loads(state_file.read_text())["blocks"]
    return sum(1 for b in blocks if int(str(b["header"]["number"]), 0) == 0)


def wait_until_saved(state_file: Path, number: int) -> None:
    """Until anvil's state file (written every second) holds block `number`."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            saved = json.loads(state_file.read_text())["best_block_number"]
            if (int(saved, 16) if isinstance(saved, str) else int(saved)) >= number:
                return
        except (OSError, ValueError, KeyError):
            pass  # caught halfway through a write
        time.sleep(0.2)
    raise AssertionError(f"the state file never held block {number}")


def mine(url: str, state_file: Path) -> dict[str, Any]:
    rpc(url, "evm_mine")
    latest = block(url, "latest")
    wait_until_saved(state_file, int(latest["number"], 16))
    return latest


@pytest.mark.parametrize("kill", [False, True], ids=["stopped", "killed"])
def test_block_0_stays_the_same_across_restarts_of_the_workspace_node(tmp_path: Path, kill: bool) -> None:
    state_file, port = tmp_path / "node" / "state.json", free_port()
    genesis: set[str] = set()
    for _ in range(4):
        started = int(time.time())
        node = start_anvil(port, state_file)
        try:
            genesis.add(block(node.url, "0x0")["hash"])
            latest = mine(node.url, state_file)
            assert int(latest["timestamp"], 16) >= started  # the clock reads now, not the genesis time
        finally:
            node.stop(kill=kill)
    assert len(genesis) == 1
    assert saved_genesis_blocks(state_file) == 1
    node = start_anvil(port, state_file)
    try:
        assert block(node.url, "0x1")["parentHash"] == genesis.pop()
    finally:
        node.stop()


def start_plain_anvil(port: int, state_file: Path) -> subprocess.Popen[bytes]:
    """anvil on `state_file` as the workspace started it before genesis times were kept."""
    process = subprocess.Popen(
        [
            str(anvil_binary()),
            "--port",
            str(port),
            "--chain-id",
            str(ANVIL_CHAIN_ID),
            "--silent",
            "--state",
            str(state_file),
            "--state-interval",
            "1",
        ]
    )
    deadline = time.monotonic() + 30
    while not rpc_alive(f"http://127.0.0.1:{port}", timeout=0.5):
        assert time.monotonic() < deadline and process.poll() is None
        time.sleep(0.1)
    return process


def test_a_state_file_holding_several_genesis_blocks_comes_back_with_the_first(tmp_path: Path) -> None:
    state_file, port = tmp_path / "node" / "state.json", free_port()
    state_file.parent.mkdir()
    url = f"http://127.0.0.1:{port}"
    for _ in range(4):  # each start of an unpinned anvil adds a genesis block, stamped with the time it starts
        process = start_plain_anvil(port, state_file)
        mine(url, state_file)
        process.terminate()
        process.wait(timeout=10)
        time.sleep(1)  # the next genesis gets another second
    assert saved_genesis_blocks(state_file) > 1
    node = start_anvil(port, state_file)
    try:
        first = block(node.url, "0x1")["parentHash"]  # the genesis block 1 was built on
        assert block(node.url, "0x0")["hash"] == first
        assert block(node.url, "earliest")["hash"] == first
        started = int(time.time())
        latest = mine(node.url, state_file)
        assert int(latest["timestamp"], 16) >= started
    finally:
        node.stop()
    assert saved_genesis_blocks(state_file) == 1
    node = start_anvil(port, state_file)  # and from then on, every start
    try:
        assert block(node.url, "0x0")["hash"] == first
    finally:
        node.stop()


def test_a_ledger_on_a_node_that_reloads_another_block_0_is_still_its_chain_and_another_chain_is_refused(
    tmp_path: Path, workspace: Path
) -> None:
    """A node started by someone else (`--rpc-url`) with an unpinned anvil on a state file: whichever genesis block it
    reloads, the chain's block 1 names the one the deployment was made on."""
    state_file, port = tmp_path / "node" / "state.json", free_port()
    state_file.parent.mkdir()
    url = f"http://127.0.0.1:{port}"
    deployment, batch_id, genesis_seen = None, None, set()
    for _ in range(5):
        process = start_plain_anvil(port, state_file)
        try:
            ledger = Ledger.connect(url, workspace)  # refused before as "another genesis block" from the third start
            if deployment is None:
                gin = register(ledger, "gin", site=1)
                batch_id, _ = ledger.record_batch(gin, batch("GENESIS-1", 1))
                deployment = ledger.deployment
            assert ledger.deployment == deployment
            assert ledger.find_batch(GTIN, "GENESIS-1").id == batch_id
            ledger.close()
            genesis_seen.add(block(url, "0x0")["hash"])
            wait_until_saved(state_file, int(block(url, "latest")["number"], 16))
        finally:
            process.terminate()
            process.wait(timeout=10)
        time.sleep(1)  # the next start's genesis block gets another second
    other = start_plain_anvil(port, tmp_path / "other.json")  # another chain, the same contracts at the same addresses
    try:
        Ledger.connect(url, tmp_path / "other-workspace").close()
        with pytest.raises(ChainMismatchError, match="another genesis block"):
            Ledger.connect(url, workspace)
    finally:
        other.terminate()
        other.wait(timeout=10)


def test_a_state_file_torn_by_a_kill_while_anvil_wrote_it_is_replaced_by_the_last_good_copy(tmp_path: Path) -> None:
    """anvil rewrites its state file in place every second: a `kill -9` in the middle of a write leaves it cut short,
    and anvil refuses to load it. The copy kept when the node last started (or stopped cleanly) is loaded instead."""
    state_file, port = tmp_path / "node" / "state.json", free_port()
    node = start_anvil(port, state_file)
    try:
        kept = mine(node.url, state_file)  # in the file when the node stops
    finally:
        node.stop()
    node = start_anvil(port, state_file)  # loads it: the good copy from now on
    try:
        later = mine(node.url, state_file)
    finally:
        node.stop(kill=True)
    whole = state_file.read_bytes()
    state_file.write_bytes(whole[: len(whole) // 2])  # killed halfway through a write
    node = start_anvil(port, state_file)
    try:
        assert block(node.url, kept["number"])["hash"] == kept["hash"]
        assert int(block(node.url, "latest")["number"], 16) < int(later["number"], 16)  # that is lost, the rest kept
        mine(node.url, state_file)  # and the chain goes on
    finally:
        node.stop()
    (torn,) = state_file.parent.glob("state.json.torn-*")
    assert torn.read_bytes() == whole[: len(whole) // 2]  # kept for inspection
