"""Check an ESG export against the chain alone, so an auditor need not trust the server that produced it.

The verifier reads nothing from the index. With a `Chain` and the contract addresses (from the export's manifest,
after checking that the code there is the compiled `ProvenanceLedger` trusting that forwarder) it:

- re-reads each row's disclosure version from the `DisclosurePublished` log of the row's recording transaction
  (its receipt), re-encodes the version's metrics, document hash and URI and requires their keccak256 to equal the
  contract's `disclosureContentHash(id, version)`: the proof that the logged figures are the stored ones;
- compares every field of the row with what the chain says as of the manifest's block (participant and its registered
  legal name and country, period, framework, version, superseded, metric code, name, value, unit, document hash,
  transaction, block number and time, and the attestation, cross-checked with `isAttested`);
- checks the export is complete for its filters (no metric value of a matching disclosure left out), the manifest's
  block hash, row count and the SHA-256 of the rows.

Every difference is a `Mismatch(row, field, expected, found, basis)`: `expected` is what the field should be and
`basis` where that comes from (the chain, for most; the file's own rows for the digest and the row count), `found`
what the export says; row 0 stands for the manifest or the export as a whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ledger.chain.connection import Chain
from ledger.domain.catalogue import CATALOGUE
from ledger.domain.types import Attestation
from ledger.esg.chain_reader import ChainReader, PublishedVersion
from ledger.esg.model import EXPORT_FORMAT, Export, ExportRow, Manifest, canonical_value, summarise_attestations
from ledger.esg.model import data_sha256 as rows_sha256

if TYPE_CHECKING:
    from ledger.client import Ledger

HEX32 = re.compile(r"^0x[0-9a-f]{64}$")

__all__ = ["ChainReader", "Mismatch", "PublishedVersion", "VerificationReport", "verify_export"]


#: Where a mismatch's expected value comes from, when not from the chain.
CHAIN = "the chain"
ROWS_HASHED = "the file's rows, hashed again"
ROWS_COUNTED = "the file's rows, counted"
FILE_ORDER = "the row's place in the file"
VERIFIER = "this verifier"
TRUSTED = "the --ledger you gave"


@dataclass(frozen=True)
class Mismatch:
    row: int  # 1-based row of the export; 0 for the manifest or the export as a whole
    field: str
    expected: str  # what the field should be ...
    found: str  # ... what the export says
    basis: str = CHAIN  # ... and where `expected` comes from


@dataclass(frozen=True)
class VerificationReport:
    ok: bool
    mismatches: tuple[Mismatch, ...]
    rows_checked: int
    chain_id: int
    block_number: int


# -- verification --------------------------------------------------------------------------------------------------

HEX_FIELDS = frozenset(
    {"participant", "disclosure_id", "document_hash", "tx_hash", "attestation_auditor", "attestation_report_hash"}
)


def _norm(field: str, value: Any) -> str:
    text = canonical_value(value)
    return text.lower() if field in HEX_FIELDS else text


class _Collector:
    def __init__(self) -> None:
        self.mismatches: list[Mismatch] = []

    def add(self, row: int, field: str, expected: Any, found: Any, basis: str = CHAIN) -> None:
        self.mismatches.append(Mismatch(row, field, canonical_value(expected), canonical_value(found), basis))

    def compare(self, row: int, field: str, expected: Any, found: Any, basis: str = CHAIN) -> None:
        if _norm(field, expected) != _norm(field, found):
            self.add(row, field, expected, found, basis)


def verify_export(
    source: Ledger | Chain | ChainReader, export: Export, *, expected_ledger: str | None = None
) -> VerificationReport:
    """Check every row and the manifest of `export` against the chain (see the module docstring).

    `source` is a `Chain` (the contracts are those the manifest names, checked by their code), a `ChainReader`, or a
    `Ledger` (its own deployment is used, and the manifest must name it). `expected_ledger` pins the ledger address
    an auditor knows independently.
    """
    manifest = export.manifest
    out = _Collector()
    if isinstance(source, ChainReader):
        reader = source
    elif isinstance(source, Chain):
        reader = ChainReader.from_manifest(source, manifest)
    else:
        reader = ChainReader(source.chain, source.deployment)
    block = manifest.block_number
    if not _verify_manifest(reader, export, expected_ledger, out):
        return VerificationReport(False, tuple(out.mismatches), 0, reader.chain.chain_id, block)
    published = reader.published(block, manifest.filter_participant)
    attestations = reader.attestations(block)
    seen: dict[tuple[str, int, int], int] = {}

    for position, row in enumerate(export.rows, start=1):
        n = row.row
        out.compare(n, "row", position, row.row, FILE_ORDER)
        disclosure_id = row.disclosure_id.lower()
        key = (disclosure_id, row.version, row.metric_index)
        if key in seen:
            out.add(n, "metric_index", "each metric value once", f"a repeat of row {seen[key]}", VERIFIER)
        seen.setdefault(key, n)
        state = _safe_state(reader, disclosure_id, block)
        if state is None:
            out.add(n, "disclosure_id", "a disclosure on chain", row.disclosure_id)
            continue
        participant, versions = state
        if not 1 <= row.version <= versions:
            out.add(n, "version", f"1..{versions}", row.version)
            continue
        in_tx = reader.published_in(row.tx_hash)
        version = next((p for p in in_tx if p.disclosure_id == disclosure_id and p.version == row.version), None)
        canonical = published.get((disclosure_id, row.version))
        if version is None:
            out.add(n, "tx_hash", canonical.tx_hash if canonical else "the recording transaction", row.tx_hash)
            version = canonical
        if version is None:
            out.add(n, "version", "a published version", row.version)
            continue
        stored = reader.content_hash(version.disclosure_id, version.version, block)
        if stored != version.recomputed_content_hash():
            out.add(n, "content_hash", stored, version.recomputed_content_hash())
        first = published.get((disclosure_id, 1)) or (version if version.version == 1 else None)
        _verify_row(out, row, version, first, participant, versions, manifest)
        out.compare(n, "block_time", reader.block_time(version.block_number) or "", row.block_time)
        profile = reader.profile(participant, block)
        out.compare(n, "legal_name", profile[0] if profile else "", row.legal_name)
        out.compare(n, "country", profile[1] if profile else "", row.country)
        _verify_attestation(out, reader, row, attestations.get(disclosure_id, []), block)
    _verify_complete(out, export, published, manifest)
    out.mismatches.sort(key=lambda m: m.row)
    return VerificationReport(not out.mismatches, tuple(out.mismatches), len(export.rows), reader.chain.chain_id, block)


def _safe_state(reader: ChainReader, disclosure_id: str, block: int) -> tuple[str, int] | None:
    """The disclosure's publisher and version count, or None if the id is malformed or unknown."""
    if not HEX32.match(disclosure_id):
        return None
    return reader.disclosure_state(disclosure_id, block)


def _verify_manifest(reader: ChainReader, export: Export, expected_ledger: str | None, out: _Collector) -> bool:
    """Manifest-level checks. False when the rows cannot be checked at all (wrong chain, wrong contract)."""
    manifest = export.manifest
    chain = reader.chain
    out.compare(0, "format", EXPORT_FORMAT, manifest.format, VERIFIER)
    if chain.chain_id != manifest.chain_id:
        out.add(0, "chain_id", chain.chain_id, manifest.chain_id)
        return False
    for name, trusted, basis in (
        ("ledger", expected_ledger, TRUSTED),
        ("ledger", reader.deployment.ledger, CHAIN),
        ("forwarder", reader.deployment.forwarder, CHAIN),
    ):
        if trusted and trusted.lower() != getattr(manifest, name).lower():
            out.add(0, name, trusted, getattr(manifest, name), basis)
            return False
    head = chain.head
    if manifest.block_number > head:
        out.add(0, "block_number", f"at most the head {head}", manifest.block_number)
        return False
    problem = reader.code_problem(manifest.block_number)
    if problem is not None:
        out.add(0, "ledger", "the compiled ProvenanceLedger", f"{manifest.ledger}: {problem}")
        return False
    start = reader.deployment.block_number
    if start > 0 and reader.existed_at(start - 1) is not False:  # a later start would hide older disclosures
        if reader.existed_at(start - 1):
            out.add(0, "deployment_block", "the block the ledger was deployed in", start)
        reader.sweep_from(0)
    found = reader.block(manifest.block_number)
    if found is None or found[0].lower() != manifest.block_hash.lower():
        out.add(0, "block_hash", found[0] if found else "a block", manifest.block_hash)
    elif found[1] != manifest.block_time:
        out.add(0, "block_time", found[1], manifest.block_time)
    out.compare(0, "row_count", len(export.rows), manifest.row_count, ROWS_COUNTED)
    out.compare(0, "data_sha256", rows_sha256(export.rows), manifest.data_sha256, ROWS_HASHED)
    return True


def _verify_row(
    out: _Collector,
    row: ExportRow,
    version: PublishedVersion,
    first: PublishedVersion | None,
    participant: str,
    versions: int,
    manifest: Manifest,
) -> None:
    n = row.row
    out.compare(n, "participant", participant, row.participant)
    out.compare(n, "period", first.period if first else "", row.period)
    out.compare(n, "framework", first.framework if first else "", row.framework)
    for field, wanted in (
        ("participant", manifest.filter_participant),
        ("period", manifest.filter_period),
        ("framework", manifest.filter_framework),
    ):
        if wanted and _norm(field, getattr(row, field)) != _norm(field, wanted):
            out.add(n, field, wanted, getattr(row, field), "the manifest's filter")
    out.compare(n, "superseded", row.version < versions, row.superseded)
    if not 0 <= row.metric_index < len(version.metrics):
        out.add(n, "metric_index", f"0..{len(version.metrics) - 1}", row.metric_index)
    else:
        code, value, unit = version.metric(row.metric_index)
        definition = CATALOGUE.get(code)
        out.compare(n, "metric_code", code, row.metric_code)
        out.compare(n, "metric_name", definition.name if definition else "", row.metric_name)
        out.compare(n, "value", value, row.value)
        out.compare(n, "unit", unit, row.unit)
    out.compare(n, "document_hash", version.document_hash, row.document_hash)
    out.compare(n, "tx_hash", version.tx_hash, row.tx_hash)
    out.compare(n, "block_number", version.block_number, row.block_number)


def _verify_attestation(
    out: _Collector, reader: ChainReader, row: ExportRow, attestations: list[Attestation], block: int
) -> None:
    n = row.row
    summary = summarise_attestations(attestations, row.version)
    attestation = summary.attestation
    out.compare(n, "attestation_status", summary.status.value, row.attestation_status)
    out.compare(n, "attested_version", summary.attested_version, row.attested_version)
    out.compare(n, "attestation_auditor", attestation.auditor if attestation else "", row.attestation_auditor)
    out.compare(n, "attestation_level", attestation.level.value if attestation else "", row.attestation_level)
    out.compare(n, "attestation_opinion", attestation.opinion.value if attestation else "", row.attestation_opinion)
    out.compare(
        n, "attestation_report_hash", attestation.report_hash if attestation else "", row.attestation_report_hash
    )
    if attestation is not None:  # the logs' story must agree with the contract's state
        active = reader.is_attested(row.disclosure_id.lower(), attestation.version, attestation.auditor, block)
        if active != attestation.active:
            out.add(n, "attestation_status", "active" if active else "not active (isAttested)", row.attestation_status)


def _verify_complete(
    out: _Collector, export: Export, published: dict[tuple[str, int], PublishedVersion], manifest: Manifest
) -> None:
    """Every metric value of every disclosure matching the export's filters must be in it."""
    present = {(r.disclosure_id.lower(), r.version, r.metric_index) for r in export.rows}
    for (disclosure_id, number), version in sorted(published.items()):
        first = published.get((disclosure_id, 1))
        if first is None:
            continue
        if (manifest.filter_period and first.period != manifest.filter_period) or (
            manifest.filter_framework and first.framework != manifest.filter_framework
        ):
            continue
        for index in range(len(version.metrics)):
            if (disclosure_id, number, index) not in present:
                code, value, unit = version.metric(index)
                out.add(0, "rows", f"disclosure {disclosure_id} version {number} {code} = {value} {unit}", "missing")
