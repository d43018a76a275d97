"""`ledger demo` runs end to end as a user runs it: the installed console script, in a subprocess."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ledger_demo_prints_a_trace_of_four_tiers_and_an_esg_summary() -> None:
    ledger_script = Path(sys.executable).parent / "ledger"
    run = subprocess.run(
        [str(ledger_script), "demo"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "4 tiers" in out
    assert "30,000 pieces" in out and "consumed 51,000 metres of" in out and " H87 " not in out  # units by name
    for tier in ("tier 1", "tier 2", "tier 3"):
        assert tier in out
    assert "Aksu Northwest Cotton Processing Co Ltd (CN-XJ)" in out
    assert "quality_hold" in out
    assert "amended since attestation" in out
    assert "revoked" in out
    # the rubber and battery chains, and each line's verdicts under the rule packs
    assert "Kedah Smallholder Rubber Cooperative Bhd (MY-02)" in out and "Lualaba Minerals SARL (CD-LU)" in out
    assert "Rule packs" in out and "EUDR-E3" in out and "BATTERY-B1" in out
