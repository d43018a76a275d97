"""ESG exports in CSV, JSON and XLSX: read back with the plain csv, json and openpyxl modules and compared to the
chain (content hashes, versions and attestations from the contract's own views)."""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak
from openpyxl import load_workbook

from ledger.chain.codec import from_hex
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld, doc
from ledger.domain.errors import ValidationError
from ledger.domain.types import MetricValue
from ledger.esg import FIELDS, MEDIA_TYPES, Export, build_export, data_sha256, read_export, render_export
from ledger.writes.disclosures import encode_metrics

DEMO_ROWS = 36  # five disclosures of six metrics, plus the weaving mill's amended version


@pytest.fixture
def export(demo: tuple[Ledger, DemoWorld]) -> Export:
    return build_export(demo[0])


def csv_rows(data: bytes) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """What any CSV consumer does: skip the leading '#' lines (one of them holds the manifest), read the rest."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    manifest = next(json.loads(line.split(":", 1)[1]) for line in lines if line.startswith("# manifest:"))
    return manifest, list(csv.DictReader(line for line in lines if not line.startswith("#")))


def assert_matches_chain(ledger: Ledger, rows: list[dict[str, Any]]) -> None:
    """Group rows by disclosure version, re-encode their metrics and require the contract's content hash."""
    versions: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        versions[(row["disclosure_id"], int(row["version"]))].append(row)
    contract = ledger.contract.functions
    for (disclosure_id, version), group in versions.items():
        group.sort(key=lambda r: int(r["metric_index"]))
        metrics = [MetricValue(r["metric_code"], Decimal(str(r["value"])), r["unit"]) for r in group]
        uri = ledger.disclosure(disclosure_id).versions[version - 1].uri
        content = keccak(
            encode(
                ["(bytes32,int256,uint8,bytes16)[]", "bytes32", "string"],
                [encode_metrics(metrics), from_hex(group[0]["document_hash"]), uri],
            )
        )
        assert contract.disclosureContentHash(from_hex(disclosure_id), version).call() == content
        _, latest = contract.disclosure(from_hex(disclosure_id)).call()
        for row in group:
            assert str(row["superseded"]).lower() == str(version < latest).lower()
            if row["attestation_status"] == "attested":
                assert contract.isAttested(from_hex(disclosure_id), version, row["attestation_auditor"]).call()
            if row["attestation_status"] == "revoked":
                assert not contract.isAttested(from_hex(disclosure_id), version, row["attestation_auditor"]).call()


def test_the_export_has_one_row_per_metric_value_with_the_demo_audit_story(
    demo: tuple[Ledger, DemoWorld], export: Export
) -> None:
    _ledger, world = demo
    assert len(export.rows) == DEMO_ROWS == export.manifest.row_count
    assert [r.row for r in export.rows] == list(range(1, DEMO_ROWS + 1))
    by_key = defaultdict(list)
    for row in export.rows:
        by_key[(row.disclosure_id, row.version)].append(row)
    weaving = world.disclosures["weaving"]
    assert {r.attestation_status for r in by_key[(weaving, 2)]} == {"amended since attestation"}
    assert {(r.attested_version, r.superseded) for r in by_key[(weaving, 2)]} == {(1, False)}
    assert {(r.attestation_status, r.superseded) for r in by_key[(weaving, 1)]} == {("attested", True)}
    restated = {r.version: r.value for r in export.rows if r.disclosure_id == weaving and r.metric_code == "GHG_SCOPE1"}
    assert restated == {1: Decimal(6800), 2: Decimal(7350)}
    assert {r.attestation_status for r in by_key[(world.disclosures["gin-xinjiang"], 1)]} == {"revoked"}
    garment = by_key[(world.disclosures["garment"], 1)]
    assert {(r.attestation_level, r.attestation_opinion) for r in garment} == {("reasonable", "unmodified")}
    first = garment[0]
    assert first.legal_name == "Harbour Garment Manufacturing (Dongguan) Ltd" and first.country == "CN"
    assert first.metric_name == "Gross Scope 1 GHG emissions"
    assert first.tx_hash.startswith("0x") and first.block_number > 0


def test_the_manifest_anchors_the_export_to_the_chain(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    manifest = export.manifest
    assert manifest.chain_id == ledger.chain.chain_id
    assert (manifest.ledger, manifest.forwarder) == (ledger.deployment.ledger, ledger.deployment.forwarder)
    assert manifest.block_number == ledger.chain.head
    block = ledger.chain.w3.eth.get_block(manifest.block_number)
    assert manifest.block_hash == "0x" + bytes(block["hash"]).hex()
    assert len(manifest.data_sha256) == 64 and manifest.data_sha256 == data_sha256(export.rows)


def test_csv_reads_with_the_csv_module_and_matches_the_chain(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    manifest, rows = csv_rows(render_export(export, "csv"))
    assert manifest["data_sha256"] == export.manifest.data_sha256
    assert manifest["chain_id"] == ledger.chain.chain_id
    assert len(rows) == DEMO_ROWS and list(rows[0]) == list(FIELDS)
    assert_matches_chain(ledger, rows)


def test_json_reads_with_the_json_module_and_matches_the_chain(demo: tuple[Ledger, DemoWorld], export: Export) -> None:
    ledger, _ = demo
    body = json.loads(render_export(export, "json"))
    assert body["manifest"]["data_sha256"] == export.manifest.data_sha256
    assert len(body["rows"]) == DEMO_ROWS
    assert isinstance(body["rows"][0]["value"], str)  # decimals stay exact
    assert_matches_chain(ledger, body["rows"])


def test_xlsx_is_a_real_workbook_with_typed_cells_and_matches_the_chain(
    demo: tuple[Ledger, DemoWorld], export: Export
) -> None:
    ledger, _ = demo
    workbook = load_workbook(io.BytesIO(render_export(export, "xlsx")))
    assert workbook.sheetnames == ["ESRS", "GRI", "Manifest"]
    rows: list[dict[str, Any]] = []
    for name in ("ESRS", "GRI"):
        sheet = workbook[name]
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        assert header == list(FIELDS)
        assert all(c.font.bold for c in sheet[1])
        for values in sheet.iter_rows(min_row=2, values_only=True):
            row = dict(zip(header, values, strict=True))
            assert row["framework"] == name
            assert isinstance(row["value"], int | float) and not isinstance(row["value"], bool)
            assert isinstance(row["block_number"], int) and isinstance(row["version"], int)
            assert isinstance(row["block_time"], datetime)
            assert isinstance(row["superseded"], bool)
            rows.append(row)
    assert len(rows) == DEMO_ROWS
    manifest = {k: v for k, v in workbook["Manifest"].iter_rows(min_row=2, values_only=True)}
    assert manifest["chain_id"] == ledger.chain.chain_id
    assert manifest["data_sha256"] == export.manifest.data_sha256
    assert manifest["ledger"] == ledger.deployment.ledger
    assert isinstance(manifest["block_time"], datetime)
    assert_matches_chain(ledger, rows)


@pytest.mark.parametrize("fmt", sorted(MEDIA_TYPES))
def test_every_format_reads_back_to_the_same_export_and_digest(export: Export, fmt: str) -> None:
    back = read_export(render_export(export, fmt), fmt)
    assert back == export
    assert data_sha256(back.rows) == export.manifest.data_sha256


def test_filters_narrow_the_export_and_are_recorded_in_the_manifest(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    gri = build_export(ledger, framework="GRI")
    assert {r.framework for r in gri.rows} == {"GRI"} and len(gri.rows) == 18
    assert gri.manifest.filter_framework == "GRI"
    weaving = world.account("weaving").address
    own = build_export(ledger, participant=weaving.lower())
    assert {r.participant for r in own.rows} == {weaving} and len(own.rows) == 12
    assert build_export(ledger, period="2024").rows == ()


@pytest.mark.parametrize(
    ("filters", "field"),
    [({"period": "2025-Q9"}, "period"), ({"framework": "SASB"}, "framework"), ({"participant": "0x12"}, "participant")],
)
def test_bad_filters_are_refused(demo: tuple[Ledger, DemoWorld], filters: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        build_export(demo[0], **filters)
    assert caught.value.field == field


def test_an_empty_export_renders_and_reads_back_in_every_format(demo: tuple[Ledger, DemoWorld]) -> None:
    empty = build_export(demo[0], period="2024")
    for fmt in MEDIA_TYPES:
        assert read_export(render_export(empty, fmt), fmt) == empty


def test_an_amendment_after_the_export_moves_the_next_export_on(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    garment = world.disclosures["garment"]
    metrics = ledger.disclosure(garment).latest.metrics
    ledger.amend_disclosure(world.account("garment"), garment, metrics, doc("garment rev1"), "u", "typo in URI")
    rows = [r for r in build_export(ledger).rows if r.disclosure_id == garment]
    assert {(r.version, r.superseded, r.attestation_status) for r in rows} == {
        (1, True, "attested"),
        (2, False, "amended since attestation"),
    }


def test_a_malformed_cell_is_refused_naming_row_and_field(export: Export) -> None:
    data = render_export(export, "csv").decode().replace(",64000,", ",sixty-four thousand,", 1)
    with pytest.raises(ValidationError) as caught:
        read_export(data.encode(), "csv")
    assert caught.value.field == "value"
    assert "row 5" in str(caught.value)
