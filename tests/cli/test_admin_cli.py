"""`ledger admin` against a real `ledger serve --demo` over HTTP: the admin's key is asked for as such, reinstating
needs no reason, and a refusal names the role that was missing (the commands run in process through Typer's runner;
the server and its node are real processes)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import free_port
from ledger.demo.apparel import demo_account
from tests.api.serve_process import ServeProcess

ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    running = ServeProcess(
        tmp_path_factory.mktemp("admin-cli") / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(free_port())}
    )
    running.start()
    yield running
    running.stop()


def run(*args: str) -> tuple[int, str]:
    from api.cli import app

    result = CliRunner().invoke(app, list(args), env=ENV)
    return result.exit_code, result.output


@pytest.mark.parametrize("command", ["register", "add-site", "grant", "revoke", "suspend", "reinstate"])
def test_every_admin_command_asks_for_the_admins_key(command: str) -> None:
    code, out = run("admin", command, "--help")
    assert code == 0 and "the consortium admin's private key" in out
    assert "the participant's private key" not in out


def test_reinstating_needs_no_reason(server: ServeProcess) -> None:
    spinning = demo_account("spinning").address
    code, out = run(
        "admin",
        "suspend",
        "--key",
        ANVIL_OPERATOR_KEY,
        "--account",
        spinning,
        "--reason",
        "audit findings open",
        "--api",
        server.url,
    )
    assert code == 0, out
    code, out = run("admin", "reinstate", "--key", ANVIL_OPERATOR_KEY, "--account", spinning, "--api", server.url)
    assert code == 0, out
    code, out = run(
        "admin", "suspend", "--key", ANVIL_OPERATOR_KEY, "--account", spinning, "--reason", " ", "--api", server.url
    )
    assert code == 1 and "reason must not be empty" in out  # a suspension still says why


def test_a_refusal_names_the_missing_role(server: ServeProcess) -> None:
    garment = demo_account("garment").address
    code, out = run(
        "admin",
        "grant",
        "--demo-participant",
        "garment",
        "--account",
        garment,
        "--role",
        "AUDITOR",
        "--api",
        server.url,
    )
    assert code == 1
    assert "lacks the DEFAULT_ADMIN role" in out and "0x" + "00" * 32 not in out
