"""`ledger export` and `ledger verify-export` as a user runs them: in-process through Typer's runner against the demo
chain, and end to end in subprocesses against a real anvil node (the auditor's path: only an RPC URL and the file)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from ledger.chain.node import AnvilNode, start_anvil
from ledger.cli import app
from ledger.client import Ledger
from ledger.demo.apparel import seed_demo

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def test_export_demo_writes_a_workbook_offline_in_one_command(tmp_path: Path) -> None:
    out = tmp_path / "esg.xlsx"
    result = runner.invoke(app, ["export", "--demo", "--out", str(out)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "36 rows" in result.output
    workbook = load_workbook(out)
    assert workbook.sheetnames == ["ESRS", "GRI", "Manifest"]


@pytest.mark.parametrize("suffix", ["csv", "json", "xlsx"])
def test_export_then_verify_passes(on_demo_chain: Ledger, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"esg.{suffix}"
    exported = runner.invoke(app, ["export", "--out", str(out), "--framework", "GRI"])
    assert exported.exit_code == 0, exported.output
    verified = runner.invoke(app, ["verify-export", str(out)])
    assert verified.exit_code == 0, verified.output
    assert "verified" in verified.output and "18 rows" in verified.output


def test_verify_of_a_tampered_export_exits_1_naming_row_and_field(on_demo_chain: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "esg.json"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    body = json.loads(out.read_text())
    body["rows"][6]["value"] = "1"
    out.write_text(json.dumps(body))
    result = runner.invoke(app, ["verify-export", str(out)])
    assert result.exit_code == 1, result.output
    assert "value" in result.output and "row(s) 7" in result.output and "data_sha256" in result.output


def test_an_unknown_format_is_refused(on_demo_chain: Ledger, tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "--out", str(tmp_path / "esg.pdf")])
    assert result.exit_code == 2
    assert "csv, json, xlsx" in result.output


def test_an_unreadable_export_fails_verification(on_demo_chain: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "esg.csv"
    out.write_text("row,value\n1,2\n")
    result = runner.invoke(app, ["verify-export", str(out)])
    assert result.exit_code == 1
    assert "manifest" in result.output


# -- end to end on anvil, in subprocesses ----------------------------------------------------------------------------


@pytest.fixture
def own_anvil(tmp_path: Path) -> Iterator[AnvilNode]:
    """A node of its own, so this test's deployment and nonces never meet the shared anvil fixtures'."""
    node = start_anvil(log_file=tmp_path / "anvil.log")
    yield node
    node.stop()


@pytest.mark.anvil
def test_an_auditor_verifies_an_export_with_only_the_rpc_url(own_anvil: AnvilNode, tmp_path: Path) -> None:
    home = tmp_path / ".ledger"
    ledger = Ledger.connect(own_anvil.url, home)
    seed_demo(ledger)
    ledger.close()
    script = str(Path(sys.executable).parent / "ledger")
    env = {**os.environ, "LEDGER_HOME": str(home), "COLUMNS": "200"}
    out = tmp_path / "esg.csv"
    exported = subprocess.run(
        [script, "export", "--rpc-url", own_anvil.url, "--out", str(out)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert exported.returncode == 0, exported.stdout + exported.stderr
    auditor_env = {"PATH": env["PATH"], "COLUMNS": "200", "LEDGER_HOME": str(tmp_path / "elsewhere")}
    verified = subprocess.run(
        [script, "verify-export", str(out), "--rpc-url", own_anvil.url],
        cwd=tmp_path,
        env=auditor_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    text = out.read_text()
    forged = text.replace(",7350,", ",6800,", 1)
    assert forged != text
    out.write_text(forged)
    failed = subprocess.run(
        [script, "verify-export", str(out), "--rpc-url", own_anvil.url],
        cwd=tmp_path,
        env=auditor_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "value" in failed.stdout and "7350" in failed.stdout
