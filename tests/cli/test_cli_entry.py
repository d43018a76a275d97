"""The `ledger` entry: built explicitly, fast to start, and one error boundary for every command."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import typer
from typer.testing import CliRunner

from ledger.chain.node import free_port
from ledger.cli.base import error_exit
from ledger.cli.main import build_app
from ledger.domain.errors import NotFoundError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LEDGER = str(Path(sys.executable).parent / "ledger")
HEAVY = (
    "web3",
    "eth_account",
    "eth_abi",
    "eth_tester",
    "eth",
    "py_ecc",
    "solcx",
    "fastapi",
    "starlette",
    "uvicorn",
    "openpyxl",
    "pyld",
    "jsonschema",
    "httpx",
    "pydantic",
    "pydantic_settings",
)


def run(*args: str, cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LEDGER, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "COLUMNS": "250", "NO_COLOR": "1"},
    )


def test_ledger_help_imports_none_of_the_heavy_modules() -> None:
    code = (
        "import sys\n"
        "sys.argv = ['ledger', '--help']\n"
        "from api.cli import main\n"
        "try:\n    main()\nexcept SystemExit as exit:\n    assert exit.code == 0, exit.code\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PROJECT_ROOT)
    assert out.stderr.strip().splitlines()[-1] == "[]", out.stderr
    assert "serve" in out.stdout and "verify-export" in out.stdout and "epcis" in out.stdout


def test_every_command_is_listed_by_the_console_script() -> None:
    listed = run("--help")
    assert listed.returncode == 0, listed.stderr
    for command in (
        "demo",
        "node",
        "export",
        "verify-export",
        "verify-batch",
        "verify-document",
        "login",
        "serve",
        "documents",
        "regimes",
        "sign",
        "admin",
        "epcis",
    ):
        assert f" {command} " in listed.stdout, command


def test_a_ledger_error_in_a_command_is_one_clean_line_and_exit_1(tmp_path: Path) -> None:
    listed = tmp_path / "list.csv"
    listed.write_text("name\nAcme\n")
    failed = run("regimes", "load-list", "uflpa", str(listed), "--date", "2025-13-01", "--home", str(tmp_path))
    assert failed.returncode == 1
    assert failed.stderr == "error: --date must be YYYY-MM-DD, got '2025-13-01'\n"
    assert failed.stdout == ""


def test_a_checking_command_that_cannot_check_exits_2(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.json"
    bundle.write_text("not json")
    failed = run("verify-batch", str(bundle), "--batch-lot", "LOT-1")
    assert failed.returncode == 2
    assert len(failed.stderr.splitlines()) == 1 and failed.stderr.startswith("error: "), failed.stderr


def test_an_api_that_cannot_be_reached_is_one_clean_line_and_exit_1() -> None:
    port = free_port()
    failed = run("login", "--demo-participant", "brand", "--api", f"http://127.0.0.1:{port}")
    assert failed.returncode == 1
    assert failed.stderr == f"cannot reach http://127.0.0.1:{port}: ConnectError\n"


def test_usage_errors_stay_clicks_exit_2() -> None:
    failed = run("regimes", "load-list", "uflpa")
    assert failed.returncode == 2 and "Missing argument" in failed.stderr


def test_the_boundary_serves_any_command_registered_on_the_app() -> None:
    app = build_app()

    @app.command("find")
    def find() -> None:
        raise NotFoundError("batch 0x01 is not on the ledger")

    @app.command("check")
    @error_exit(2)
    def check() -> None:
        raise NotFoundError("nothing to check against")

    @app.command("fine")
    def fine() -> None:
        typer.echo("done")
        raise typer.Exit(3)  # a command's own exit passes through

    runner = CliRunner()
    found = runner.invoke(app, ["find"])
    assert (found.exit_code, found.stdout, found.stderr) == (1, "", "error: batch 0x01 is not on the ledger\n")
    checked = runner.invoke(app, ["check"])
    assert (checked.exit_code, checked.stderr) == (2, "error: nothing to check against\n")
    ran = runner.invoke(app, ["fine"])
    assert (ran.exit_code, ran.stdout) == (3, "done\n")
