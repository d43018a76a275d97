"""Foundry's anvil, from the npm package `@foundry-rs/anvil`, as a local JSON-RPC node.

The node's chain state is kept in a file of the workspace (`--state`, dumped every second and on exit), so a
restarted node comes back with what was recorded.
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
    """Start anvil and wait until it answers JSON-RPC."""
    port = port or free_port()
    command = [str(anvil_binary()), "--host", host, "--port", str(port), "--chain-id", str(ANVIL_CHAIN_ID),
               "--silent"]
    if state_file is not None:
        state_file.parent.mkdir(parents=True, exist_ok=True)
        command += ["--state", str(state_file), "--state-interval", "1"]
    if block_time is not None:
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
            return AnvilNode(process, url, state_file)
        time.sleep(0.1)
    process.kill()
    raise LedgerUnavailableError(f"anvil did not answer on {url} within {timeout}s")
