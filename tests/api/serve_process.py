"""`ledger serve` as a real process (uvicorn on a free port), for the tests that speak HTTP to it."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx

from ledger.chain.compile import PROJECT_ROOT
from ledger.chain.node import free_port

STARTUP_SECONDS = 120
ANVIL_SECOND_KEY = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"  # anvil's account 1


class ServeProcess:
    """`ledger serve ARGS --port P` with its workspace in `home`; its output goes to `<home>.serve.log`."""

    def __init__(self, home: Path, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.home = home
        self.args = list(args)
        self.extra_env = env or {}
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_file = home.with_name(home.name + ".serve.log")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> str:
        """Start the server; returns its log once the API answers."""
        self.home.mkdir(parents=True, exist_ok=True)
        # --demo records the apparel chain only unless a test asks for more (the other two add ~50 transactions)
        env = {
            **os.environ,
            "LEDGER_HOME": str(self.home),
            "PYTHONPATH": str(PROJECT_ROOT),
            "NO_COLOR": "1",
            "COLUMNS": "200",
            "LEDGER_DEMO_CHAINS": "apparel",
            **self.extra_env,
        }
        command = [str(Path(sys.executable).parent / "ledger"), "serve", *self.args, "--port", str(self.port)]
        with open(self.log_file, "a") as log:  # the child keeps its own handle
            self.process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log()
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self.log()
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise AssertionError("ledger serve did not answer in time: " + self.log())

    def login(self, account: Any) -> dict[str, str]:
        """Sign in to the running server as `account` (Sign-In with Ethereum); the headers carrying the token."""
        from ledger.apiclient.signer import ApiSigner

        with httpx.Client(base_url=self.url, timeout=30) as http:
            signer = ApiSigner(self.url, account, client=http)
            signer.login()
            return signer.headers

    def admin(self) -> dict[str, str]:
        """Headers signed in as the consortium's admin: the key `ledger serve` deployed with (anvil's account 0
        unless LEDGER_OPERATOR_KEY says otherwise)."""
        from eth_account import Account

        from ledger.chain.connection import ANVIL_OPERATOR_KEY

        return self.login(Account.from_key(self.extra_env.get("LEDGER_OPERATOR_KEY", ANVIL_OPERATOR_KEY)))

    def log(self) -> str:
        return self.log_file.read_text()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        pid_file = self.home / "node" / "anvil.pid"
        if pid_file.exists():  # the node this server started, if the server could not stop it
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(pid_file.read_text()), signal.SIGTERM)


@contextlib.contextmanager
def two_instances(
    node_url: str, home: Path, first_env: dict[str, str], second_env: dict[str, str]
) -> Iterator[tuple[ServeProcess, ServeProcess]]:
    """Two `ledger serve` processes on one node, as docs/scaling.md runs them: the first deploys and
    records the demo; the second shares its deployment (the manifest), not its index, and relays with its own key."""
    first = ServeProcess(home / "a", ["--rpc-url", node_url, "--demo"], first_env)
    second = ServeProcess(home / "b", ["--rpc-url", node_url], {"LEDGER_OPERATOR_KEY": ANVIL_SECOND_KEY, **second_env})
    try:
        first.start()
        (home / "b" / "deployments").mkdir(parents=True)
        for manifest in (home / "a" / "deployments").glob("*.json"):
            shutil.copy(manifest, home / "b" / "deployments" / manifest.name)
        second.start()
        yield first, second
    finally:
        second.stop()
        first.stop()
