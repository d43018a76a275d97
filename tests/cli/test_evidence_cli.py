"""`ledger documents put`, `ledger verify-document` and `ledger regimes` as a user runs them (Typer's runner)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.cli import app
from ledger.cli import export as export_cli
from ledger.client import Ledger
from ledger.demo.documents import FILES, file_hash
from ledger.documents.vault import Vault
from ledger.index import IndexStore
from ledger.workspace import open_lists
from tests.evidence import Harness

runner = CliRunner()
ENV = {"COLUMNS": "250", "NO_COLOR": "1"}


@pytest.fixture
def on_evidence_chain(evidence: Harness, monkeypatch: pytest.MonkeyPatch) -> Harness:
    """Point `verify-document` at the evidence chain (a second ledger on it, with its own index) instead of a node."""
    monkeypatch.setattr(
        export_cli,
        "open_ledger",
        lambda _url: Ledger(evidence.ledger.chain, evidence.ledger.deployment, IndexStore(":memory:")),
    )
    return evidence


def test_documents_put_stores_files_under_their_sha256(tmp_path: Path) -> None:
    files = [FILES / "plots-ksrc-26-a.geojson", FILES / "land-titles-ksrc-2026.pdf"]
    result = runner.invoke(app, ["documents", "put", *map(str, files), "--home", str(tmp_path)], env=ENV)
    assert result.exit_code == 0, result.output
    assert file_hash("plots-ksrc-26-a.geojson") in result.output and "application/geo+json" in result.output
    vault = Vault(tmp_path / "documents")
    assert vault.read(file_hash("land-titles-ksrc-2026.pdf")) == files[1].read_bytes()
    again = runner.invoke(app, ["documents", "put", str(files[0]), "--home", str(tmp_path)], env=ENV)
    assert "already in the vault" in again.output


def test_documents_put_for_an_uploader_records_its_upload_with_the_files_name(tmp_path: Path) -> None:
    member = "0x" + "ab" * 20
    path = FILES / "land-titles-ksrc-2026.pdf"
    result = runner.invoke(app, ["documents", "put", str(path), "--home", str(tmp_path), "--uploader", member], env=ENV)
    assert result.exit_code == 0, result.output
    vault = Vault(tmp_path / "documents")
    digest = file_hash("land-titles-ksrc-2026.pdf")
    assert vault.uploaders(digest) == {member}
    assert vault.upload(digest, member).name == "land-titles-ksrc-2026.pdf"  # type: ignore[union-attr]
    refused = runner.invoke(
        app, ["documents", "put", str(path), "--home", str(tmp_path), "--uploader", "someone"], env=ENV
    )
    assert refused.exit_code == 1 and "0x address" in refused.output


def test_documents_put_refuses_a_file_whose_hash_is_not_the_expected_one(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "documents",
            "put",
            str(FILES / "dds-smg-26-a.json"),
            "--home",
            str(tmp_path),
            "--expect",
            file_hash("dds-smg-26-b.json"),
        ],
        env=ENV,
    )
    assert result.exit_code == 1 and "refused" in result.output


def test_documents_put_refuses_a_file_over_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "scan.tif"
    big.write_bytes(b"II*\x00" + b"\x00" * 5_000)
    result = runner.invoke(
        app, ["documents", "put", str(big), "--home", str(tmp_path)], env={**ENV, "LEDGER_DOCUMENT_MAX_BYTES": "4096"}
    )
    assert result.exit_code == 1 and "larger than 4,096 bytes" in result.output


def test_verify_document_names_the_records_citing_a_file(on_evidence_chain: Harness) -> None:
    result = runner.invoke(app, ["verify-document", str(FILES / "land-titles-ksrc-2026.pdf")], env=ENV)
    assert result.exit_code == 0, result.output
    assert result.output.count("legality_permit") == 2  # both field-latex lots cite the titles
    assert "Kedah Smallholder Rubber Cooperative Bhd" in result.output
    report = runner.invoke(app, ["verify-document", str(FILES / "assurance-report-hg-2025.pdf")], env=ENV)
    assert "attestation" in report.output and "Asia Pacific Assurance Partners Ltd" in report.output


def test_verify_document_exits_1_for_a_file_nobody_cites(on_evidence_chain: Harness, tmp_path: Path) -> None:
    stray = tmp_path / "stray.pdf"
    stray.write_bytes(b"%PDF-1.4 a certificate no record commits to")
    result = runner.invoke(app, ["verify-document", str(stray)], env=ENV)
    assert result.exit_code == 1 and "no record on chain cites it" in result.output


def test_regimes_load_list_keeps_versions_and_lists_shows_them(tmp_path: Path) -> None:
    csv = tmp_path / "entity-list.csv"
    csv.write_text("name,aliases\nExample Cotton Co Ltd,EXCO\n")
    loaded = runner.invoke(
        app, ["regimes", "load-list", "uflpa", str(csv), "--date", "2025-01-15", "--home", str(tmp_path)], env=ENV
    )
    assert loaded.exit_code == 0, loaded.output
    assert "uflpa list version 1 of 2025-01-15: 1 entry" in loaded.output
    shown = runner.invoke(app, ["regimes", "lists", "uflpa", "--home", str(tmp_path)], env=ENV)
    assert "2025-01-15" in shown.output and "entity-list.csv" in shown.output
    assert open_lists(tmp_path).versions("uflpa")[0].entries == 1


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        (b"entity\nExample Co\n", ["--date", "2025-01-15"], "lacks the column(s) name"),
        ("name\nSociété Coton\n".encode("latin-1"), ["--date", "2025-01-15"], "unknown encoding"),
        (b"name\nExample Co\n", ["--date", "15/01/2025"], "--date must be YYYY-MM-DD"),
    ],
)
def test_regimes_load_list_refuses_bad_files(tmp_path: Path, content: bytes, args: list[str], message: str) -> None:
    csv = tmp_path / "list.csv"
    csv.write_bytes(content)
    result = runner.invoke(app, ["regimes", "load-list", "uflpa", str(csv), *args, "--home", str(tmp_path)], env=ENV)
    assert result.exit_code == 1 and message in result.output, result.output


def test_regimes_list_shows_every_pack() -> None:
    result = runner.invoke(app, ["regimes", "list"], env=ENV)
    assert result.exit_code == 0
    for rule in ("EUDR-E12", "UFLPA-U6", "CSDDD-C4", "BATTERY-B5", "FLR-F3"):
        assert rule in result.output
