"""Foundry's anvil, from the npm package `@foundry-rs/anvil`, as a local JSON-RPC node.

The node's chain state is kept in a file of the workspace (`--state`, dumped every second and on exit), so a
restarted node comes back with what was recorded.

anvil builds a genesis block at every start, stamped with the time it starts, adds it to the blocks it dumps, and on
reload keeps whichever block 0 of the file it reads last. Unpinned, a workspace's state file gains one genesis block per
start and from the third start on block 0 (what the deployment's chain-identity check reads) may be another block. So
the genesis time is pinned (`--timestamp`, anvil's option for a reproducible genesis hash) to the one the chain was
born with, kept in `genesis.json` beside the state file: every start builds the very same block 0.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ledger.compile import PROJECT_ROOT
from ledger.errors import LedgerUnavailableError, ToolchainError

ANVIL_CHAIN_ID = 31337


def anvil_binary() -> Path:
    """The anvil executable shipped in node_modules (the platform package, else npm's launcher), else on PATH."""
    modules = PROJECT_ROOT / "node_modules"
    for candidate in (
        *sorted(modules.glob("@foundry-rs/anvil-*/bin/anvil")),
        modules / ".bin" / "anvil",
    ):
        if candidate.exists():
            return candidate
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise ToolchainError("anvil not found: run `npm ci` (scripts/setup does it) to install @foundry-rs/anvil")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_alive(url: str, timeout: float = 1.0) -> bool:
    try:
        reply = requests.post(url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
                              timeout=timeout)
        return reply.ok and "result" in reply.json()
    except (requests.RequestException, ValueError):
        return False


def _rpc(url: str, method: str, *params: object) -> object:
    payload: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)}
    reply = requests.post(url, json=payload, timeout=10)
    body = reply.json()
    if "error" in body:
        raise LedgerUnavailableError(f"anvil refused {method}: {body['error']}")
    return body.get("result")


def _genesis_blocks(state: dict[str, object]) -> list[dict[str, object]]:
    blocks = state.get("blocks")
    if not isinstance(blocks, list):
        return []
    return [block for block in blocks if isinstance(block, dict) and isinstance(block.get("header"), dict)
            and int(str(block["header"].get("number", "-1")), 0) == 0]


def _timestamp(block: dict[str, object]) -> int:
    header = block["header"]
    assert isinstance(header, dict)
    return int(str(header["timestamp"]), 0)


def genesis_timestamp(state_file: Path) -> int | None:
    """The genesis time to start anvil with on `state_file` (its `--timestamp`), None to leave it to anvil.

    A new chain (no state file yet) is born now, and that time is kept in `genesis.json` beside the state file. A
    state file written before the time was kept (it may hold several genesis blocks, one per start) keeps its first
    genesis, the one its block 1 was built on: the others are dropped from the file. A state file that cannot be read
    is left to anvil (which says what is wrong with it)."""
    pin = state_file.with_name("genesis.json")
    if not state_file.exists():
        born = int(time.time())
        pin.write_text(json.dumps({"timestamp": born}) + "\n")
        return born
    try:
        return int(json.loads(pin.read_text())["timestamp"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # written before genesis times were kept, or damaged: read the state file once
    try:
        state = json.loads(state_file.read_text())
        genesis = sorted(_genesis_blocks(state), key=_timestamp)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if not genesis:
        return None
    if len(genesis) > 1:  # keep the first genesis only: anvil would keep whichever it reads last
        assert isinstance(state["blocks"], list)
        state["blocks"] = [block for block in state["blocks"] if block not in genesis[1:]]
        rewritten = state_file.with_name(state_file.name + ".tmp")
        rewritten.write_text(json.dumps(state))
        rewritten.replace(state_file)
    born = _timestamp(genesis[0])
    pin.write_text(json.dumps({"timestamp": born}) + "\n")
    return born


@dataclass
class AnvilNode:
    """A running anvil process."""

    process: subprocess.Popen[bytes]
    url: str
    state_file: Path | None

    def stop(self, *, kill: bool = False) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_anvil(port: int | None = None, state_file: Path | None = None, *, host: str = "127.0.0.1",
                block_time: float | None = None, log_file: Path | None = None, timeout: float = 30.0) -> AnvilNode:
    """Start anvil and wait until it answers JSON-RPC. With a `state_file`, the chain in it is reloaded with the genesis
    block it was born with (see `genesis_timestamp`)."""
    port = port or free_port()
    command = [str(anvil_binary()), "--host", host, "--port", str(port), "--chain-id", str(ANVIL_CHAIN_ID),
               "--silent"]
    born = None
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        command += ["--state", str(state_file), "--state-interval", "1"]
        born = genesis_timestamp(state_file)
    if born is not None:
        # anvil's clock then runs from the genesis time: mine nothing until it is set to now (below)
        command += ["--timestamp", str(born), "--no-mining"]
    elif block_time is not None:
        command += ["--block-time", str(block_time)]
    log = open(log_file, "ab") if log_file is not None else None  # noqa: SIM115
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(command, stdout=output, stderr=output, start_new_session=True,
                               env={**os.environ, "NO_COLOR": "1"})
    if log is not None:
        log.close()  # the child holds its own descriptor
    url = f"http://{host}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LedgerUnavailableError(f"anvil exited with code {process.returncode} (command: {' '.join(command)})")
        if rpc_alive(url, timeout=0.5):
            if born is not None:
                _resume_mining(url, block_time)
            return AnvilNode(process, url, state_file)
        time.sleep(0.1)
    process.kill()
    raise LedgerUnavailableError(f"anvil did not answer on {url} within {timeout}s")


def _resume_mining(url: str, block_time: float | None) -> None:
    """Set the clock of a node started with a pinned genesis time to now (never before its latest block), then mine
    as asked: each transaction at once, or every `block_time` seconds."""
    latest = _rpc(url, "eth_getBlockByNumber", "latest", False)
    last = int(str(latest["timestamp"]), 16) if isinstance(latest, dict) else 0
    _rpc(url, "evm_setTime", max(int(time.time()), last))
    if block_time is None:
        _rpc(url, "evm_setAutomine", True)
    else:
        _rpc(url, "evm_setIntervalMining", block_time)
