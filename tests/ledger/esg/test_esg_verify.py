"""verify-export re-reads every row from the chain: an untouched export verifies, a changed cell fails and is named."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld, doc
from ledger.esg import (
    MEDIA_TYPES,
    ChainReader,
    Export,
    Mismatch,
    build_export,
    data_sha256,
    read_export,
    render_export,
    verify_export,
)
from ledger.esg.formats import CSV_MANIFEST_PREFIX

FORMATS = sorted(MEDIA_TYPES)


@pytest.fixture
def export(demo: tuple[Ledger, DemoWorld]) -> Export:
    return build_export(demo[0])


def tamper(data: bytes, fmt: str, row: int, field: str, value: str) -> bytes:
    """Change one cell of a rendered export the way someone editing the file would, in its own format."""
    if fmt == "csv":
        text = data.decode()
        comments = "".join(line for line in text.splitlines(keepends=True) if line.startswith("#"))
        rows = list(csv.DictReader(io.StringIO(text[len(comments) :], newline="")))
        rows[row - 1][field] = value
        out = io.StringIO(newline="")
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
        return (comments + out.getvalue()).encode()
    if fmt == "json":
        body = json.loads(data)
        body["rows"][row - 1][field] = value
        return json.dumps(body).encode()
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        header = [c.value for c in sheet[1]]
        for cells in sheet.iter_rows(min_row=2):
            if cells[0].value == row:
                cell = cells[header.index(field)]
                cell.value = float(value) if field == "value" else value
    out_bytes = io.BytesIO()
    workbook.save(out_bytes)
    return out_bytes.getvalue()


def fields_of(mismatches: tuple[Mismatch, ...]) -> set[tuple[int, str]]:
    return {(m.row, m.field) for m in mismatches}


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unmodified_export_verifies_against_the_chain(
    demo: tuple[Ledger, DemoWorld], export: Export, fmt: str
) -> None:
    ledger, _ = demo
    report = verify_export(ledger.chain, read_export(render_export(export, fmt), fmt))
    assert report.ok, report.mismatches
    assert report.rows_checked == len(export.rows)
    assert report.block_number == export.manifest.block_number


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_changed_value_fails_naming_the_row_and_field(
    demo: tuple[Ledger, DemoWorld], export: Export, fmt: str
) -> None:
    ledger, _ = demo
    target = next(r for r in export.rows if r.metric_code == "GHG_SCOPE1" and r.framework == "GRI")
    forged = tamper(render_export(export, fmt), fmt, target.row, "value", str(target.value - 100))
    report = verify_export(ledger.chain, read_export(forged, fmt))
    assert not report.ok
    assert fields_of(report.mismatches) == {(target.row, "value"), (0, "data_sha256")}
    value = next(m for m in report.mismatches if m.field == "value")
    assert (value.expected, value.found) == (str(target.value), str(target.value - 100))


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_forged_attestation_status_fails_even_with_a_recomputed_digest(
    demo: tuple[Ledger, DemoWorld], export: Export, fmt: str
) -> None:
    """Someone who edits the file and fixes the manifest's SHA-256 is still caught by the chain."""
    ledger, _ = demo
    revoked = next(r for r in export.rows if r.attestation_status == "revoked")
    forged = read_export(tamper(render_export(export, fmt), fmt, revoked.row, "attestation_status", "attested"), fmt)
    forged = replace(forged, manifest=replace(forged.manifest, data_sha256=data_sha256(forged.rows)))
    report = verify_export(ledger.chain, forged)
    assert fields_of(report.mismatches) == {(revoked.row, "attestation_status")}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("legal_name", "Someone Else Ltd"),
        ("country", "SE"),
        ("unit", "kgCO2e"),
        ("metric_code", "GHG_SCOPE3"),
        ("superseded", "true"),
        ("document_hash", doc("another report")),
        ("block_number", "3"),
        ("period", "2024"),
        ("attestation_level", "reasonable"),
        ("attestation_auditor", "0x0000000000000000000000000000000000000001"),
    ],
)
def test_each_changed_field_is_named(demo: tuple[Ledger, DemoWorld], export: Export, field: str, value: str) -> None:
    ledger, world = demo
    target = next(r for r in export.rows if r.disclosure_id == world.disclosures["spinning"] and r.metric_index == 0)
    forged = read_export(tamper(render_export(export, "json"), "json", target.row, field, value), "json")
    report = verify_export(ledger.chain, forged)
    assert (target.row, field) in fields_of(report.mismatches)
    assert {m.row for m in report.mismatches} <= {0, target.row}


def test_a_changed_transaction_hash_is_named(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    other = export.rows[-1].tx_hash
    target = next(r for r in export.rows if r.tx_hash != other)
    forged = read_export(tamper(render_export(export, "csv"), "csv", target.row, "tx_hash", other), "csv")
    assert (target.row, "tx_hash") in fields_of(verify_export(ledger.chain, forged).mismatches)


def test_a_dropped_row_is_reported_missing(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    dropped = export.rows[10]
    rows = tuple(replace(r, row=n) for n, r in enumerate(export.rows[:10] + export.rows[11:], start=1))
    forged = Export(rows, replace(export.manifest, row_count=len(rows), data_sha256=data_sha256(rows)))
    report = verify_export(ledger.chain, forged)
    assert [(m.row, m.field, m.found) for m in report.mismatches] == [(0, "rows", "missing")]
    assert dropped.disclosure_id in report.mismatches[0].expected
    assert dropped.metric_code in report.mismatches[0].expected


def test_a_manifest_naming_another_contract_is_refused(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    lying = replace(export, manifest=replace(export.manifest, ledger=ledger.deployment.forwarder))
    report = verify_export(ledger.chain, lying)
    assert fields_of(report.mismatches) == {(0, "ledger")}
    assert not verify_export(ledger.chain, export, expected_ledger=ledger.deployment.forwarder).ok


def test_a_manifest_of_another_chain_is_refused(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    report = verify_export(ledger.chain, replace(export, manifest=replace(export.manifest, chain_id=1)))
    assert fields_of(report.mismatches) == {(0, "chain_id")}


def test_an_export_still_verifies_as_of_its_block_after_later_changes(
    demo: tuple[Ledger, DemoWorld], export: Export
) -> None:
    """Verification reads the chain as of the manifest's block: a later amendment or revocation does not break it."""
    ledger, world = demo
    garment = world.disclosures["garment"]
    ledger.revoke_attestation(world.account("auditor"), garment, 1, "report withdrawn")
    assert verify_export(ledger, export).ok
    fresh = build_export(ledger)
    assert {r.attestation_status for r in fresh.rows if r.disclosure_id == garment} == {"revoked"}
    assert verify_export(ledger, fresh).ok


def test_the_verifier_reads_the_chain_not_the_index(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    """A chain reader built from the manifest alone (no Ledger, no index) verifies the export."""
    ledger, _ = demo
    reader = ChainReader.from_manifest(ledger.chain, export.manifest)
    assert verify_export(reader, export).ok
    target = export.rows[0]
    forged = replace(export, rows=(replace(target, value=target.value + Decimal("0.001")), *export.rows[1:]))
    assert fields_of(verify_export(reader, forged).mismatches) == {(1, "value"), (0, "data_sha256")}


def test_the_csv_manifest_line_is_a_comment_before_the_header(export: Export) -> None:
    lines = render_export(export, "csv").decode().splitlines()
    assert lines[0].startswith("#") and lines[1].startswith(CSV_MANIFEST_PREFIX)
    assert lines[2].startswith("row,participant,")


def test_a_manifest_hiding_older_blocks_is_caught(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    """A later deployment block would keep early disclosures out of the completeness check: it is named."""
    ledger, _ = demo
    first = min(r.block_number for r in export.rows)
    lying = replace(export, manifest=replace(export.manifest, deployment_block=first + 1))
    assert (0, "deployment_block") in fields_of(verify_export(ledger.chain, lying).mismatches)
