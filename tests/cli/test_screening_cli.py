"""`ledger regimes load-list` says what the new version does to the versions kept before, the demo's sample list
above all: which one reports use from which date (Typer's runner, a real lists file in a temporary workspace)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ledger.cli import app
from ledger.demo.documents import load_sample_lists
from ledger.workspace import open_lists

runner = CliRunner()
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


def load(home: Path, text: str, day: str) -> str:
    csv = home / f"list-{day}.csv"
    csv.write_text(text)
    result = runner.invoke(
        app, ["regimes", "load-list", "uflpa", str(csv), "--date", day, "--home", str(home)], env=ENV
    )
    assert result.exit_code == 0, result.output
    return " ".join(result.output.split())


def with_sample(home: Path) -> Path:
    lists = open_lists(home)
    load_sample_lists(lists)
    lists.close()
    return home


def test_a_newer_list_says_it_replaces_the_sample(tmp_path: Path) -> None:
    out = load(with_sample(tmp_path), "name\nExample Cotton Co Ltd\n", "2026-11-02")
    assert "uflpa list version 2 of 2026-11-02" in out
    assert "replaces version 1 (published 2026-10-01: sample list shipped with the demo" in out
    assert "in reports dated 2026-11-02 or later" in out


def test_an_older_list_says_the_sample_still_wins_after_its_date(tmp_path: Path) -> None:
    out = load(with_sample(tmp_path), "name\nExample Cotton Co Ltd\n", "2025-01-15")
    assert "Reports dated 2025-01-15 to 2026-09-30 use it" in out
    assert "Version 1 (published 2026-10-01: sample list shipped with the demo" in out
    assert "is still the one used in reports dated 2026-10-01 or later" in out


def test_the_first_list_and_a_list_loaded_again_say_so(tmp_path: Path) -> None:
    first = load(tmp_path, "name\nExample Cotton Co Ltd\n", "2025-01-15")
    assert "the first uflpa list kept here: reports dated 2025-01-15 or later use it" in first
    again = load(tmp_path, "name\nExample Cotton Co Ltd\n", "2025-01-15")
    assert "already kept as version 1: nothing changed" in again
