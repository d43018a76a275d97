"""Foundry's anvil, from the npm package `@foundry-rs/anvil`, as a local JSON-RPC node.

The node's chain state is kept in a file of the workspace (`--state`, dumped every second and on exit), so a
restarted node comes back with what was recorded. What anvil does with that file, and what we do about it, is in
`ledger.chain.node_state`.
"""

from __future__ import annotations

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

from ledger.chain.compile import NODE_TOOLS_HINT, node_modules
from ledger.chain.node_state import genesis_timestamp, keep_good_copy, loaded, restore_if_torn
from ledger.domain.errors import LedgerUnavailableError, ToolchainError

ANVIL_CHAIN_ID = 31337


def anvil_binary() -> Path:
    """The anvil executable in the npm tools (the platform package, else npm's launcher), else on PATH.

    The npm tools are `ledger.chain.compile.node_modules()`: `$LEDGER_NODE_TOOLS`, else the checkout's `node_modules`.
    """
    modules = node_modules()
    for candidate in (*sorted(modules.glob("@foundry-rs/anvil-*/bin/anvil")), modules / ".bin" / "anvil"):
        if candidate.exists():
            return candidate
    found = shutil.which("anvil")
    if found:
        return Path(found)
    raise ToolchainError(
        f"anvil not found in {modules} nor on PATH: {NODE_TOOLS_HINT} (npm's @foundry-rs/anvil), "
        "or give a node with --rpc-url"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rpc_alive(url: str, timeout: float = 1.0) -> bool:
    try:
        reply = requests.post(
            url, json={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}, timeout=timeout
        )
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
            if not kill and self.state_file is not None and self.process.returncode == 0:
                keep_good_copy(self.state_file)  # anvil wrote its whole state on the way out


def start_anvil(
    port: int | None = None,
    state_file: Path | None = None,
    *,
    host: str = "127.0.0.1",
    block_time: float | None = None,
    log_file: Path | None = None,
    timeout: float = 30.0,
) -> AnvilNode:
    """Start anvil and wait until it answers JSON-RPC. With a `state_file`, the chain in it is reloaded with the genesis
    block it was born with (see `genesis_timestamp`)."""
    port = port or free_port()
    command = [str(anvil_binary()), "--host", host, "--port", str(port), "--chain-id", str(ANVIL_CHAIN_ID), "--silent"]
    born = None
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        command += ["--state", str(state_file), "--state-interval", "1"]
        restore_if_torn(state_file)
        born = genesis_timestamp(state_file)
    if born is not None:
        # anvil's clock then runs from the genesis time: mine nothing until it is set to now (below)
        command += ["--timestamp", str(born), "--no-mining"]
    elif block_time is not None:
        command += ["--block-time", str(block_time)]
    log = open(log_file, "ab") if log_file is not None else None  # noqa: SIM115
    output = log if log is not None else subprocess.DEVNULL
    process = subprocess.Popen(
        command, stdout=output, stderr=output, start_new_session=True, env={**os.environ, "NO_COLOR": "1"}
    )
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
            if state_file is not None:
                loaded(state_file)
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
