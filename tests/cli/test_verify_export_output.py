"""`ledger verify-export` says where each expected value comes from: the chain for a field of a row, the file's own
rows for the digest of the rows, never "chain says" for a figure the chain does not hold."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ledger.cli import app
from ledger.client import Ledger
from ledger.esg.verify import CHAIN, ROWS_HASHED

runner = CliRunner()


def test_a_tampered_value_names_the_chain_and_the_digest_names_the_rows(on_demo_chain: Ledger, tmp_path: Path) -> None:
    out = tmp_path / "esg.json"
    assert runner.invoke(app, ["export", "--out", str(out)]).exit_code == 0
    body = json.loads(out.read_text())
    body["rows"][6]["value"] = "1"
    out.write_text(json.dumps(body))
    result = runner.invoke(app, ["verify-export", str(out)], env={"COLUMNS": "400", "NO_COLOR": "1"})
    assert result.exit_code == 1, result.output
    assert "chain says" not in result.output
    lines = {line.split("│")[2].strip(): line for line in result.output.splitlines() if line.count("│") >= 5}
    assert CHAIN in lines["value"] and ROWS_HASHED not in lines["value"]
    assert ROWS_HASHED in lines["data_sha256"] and CHAIN not in lines["data_sha256"]
