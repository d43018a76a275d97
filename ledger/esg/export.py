"""ESG exports for auditors: every metric value of every disclosure version, with its chain facts and attestation.

`build_export` reads the event index (synced once, so every row states the chain as of one block) and returns an
`Export` whose manifest names the chain, the contracts, that block and the SHA-256 of the rows' canonical
serialisation (see `ledger.esg.model`). `render_export` / `read_export` turn it into and back from CSV, JSON and XLSX
(see `ledger.esg.formats`); `ledger.esg.verify` checks one against the chain.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ledger.chain.codec import from_timestamp
from ledger.domain import validation as v
from ledger.domain.catalogue import CATALOGUE
from ledger.domain.types import Disclosure, Participant
from ledger.esg.formats import MEDIA_TYPES, SUFFIXES, format_of, read_export, render_export
from ledger.esg.model import (
    EXPORT_FORMAT,
    FIELDS,
    AttestationStatus,
    Export,
    ExportRow,
    Manifest,
    data_sha256,
    summarise_attestations,
)

if TYPE_CHECKING:
    from ledger.client import Ledger

__all__ = [
    "EXPORT_FORMAT",
    "FIELDS",
    "MEDIA_TYPES",
    "SUFFIXES",
    "AttestationStatus",
    "Export",
    "ExportRow",
    "Manifest",
    "build_export",
    "data_sha256",
    "disclosure_rows",
    "format_of",
    "read_export",
    "render_export",
]


def build_export(
    ledger: Ledger,
    *,
    participant: str | None = None,
    period: str | None = None,
    framework: str | None = None,
    visible: Callable[[Disclosure], bool] | None = None,
) -> Export:
    """Every metric value of the disclosures matching the filters (and `visible`, the caller's access rule), as of
    the block the index is synced to."""
    participant = v.address(participant, "participant") if participant else None
    period = v.period(period) if period else None
    framework = v.framework(framework) if framework else None
    status = ledger.sync()
    store = ledger.store
    as_of = status.indexed_block
    ids = store.disclosure_ids(participant=participant, period=period, framework=framework, limit=1_000_000)
    disclosures = [d for i, *_ in ids if (d := store.disclosure(i)) is not None and (visible is None or visible(d))]
    profiles: dict[str, Participant | None] = {}
    for d in disclosures:
        if d.participant not in profiles:
            profiles[d.participant] = store.participant(d.participant)
    unnumbered = [row for d in disclosures for row in disclosure_rows(d, profiles[d.participant])]
    unnumbered.sort(
        key=lambda r: (
            r.framework,
            r.period,
            r.legal_name.casefold(),
            r.participant,
            r.disclosure_id,
            r.version,
            r.metric_index,
        )
    )
    rows = tuple(_numbered(r, n) for n, r in enumerate(unnumbered, start=1))
    block = ledger.chain._guard(lambda: ledger.chain.w3.eth.get_block(as_of))
    deployment = ledger.deployment
    manifest = Manifest(
        chain_id=ledger.chain.chain_id,
        ledger=deployment.ledger,
        forwarder=deployment.forwarder,
        deployment_block=deployment.block_number,
        block_number=as_of,
        block_hash="0x" + bytes(block["hash"]).hex(),
        block_time=from_timestamp(int(block["timestamp"])),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        row_count=len(rows),
        data_sha256=data_sha256(rows),
        filter_participant=participant,
        filter_period=period,
        filter_framework=framework,
    )
    return Export(rows, manifest)


def disclosure_rows(disclosure: Disclosure, participant: Participant | None) -> list[ExportRow]:
    """The rows of one disclosure (all versions), numbered 0; `build_export` numbers them in export order."""
    latest = disclosure.latest.version
    rows = []
    for version in disclosure.versions:
        summary = summarise_attestations(disclosure.attestations, version.version)
        attestation = summary.attestation
        for index, metric in enumerate(version.metrics):
            definition = CATALOGUE.get(metric.code)
            rows.append(
                ExportRow(
                    row=0,
                    participant=disclosure.participant,
                    legal_name=participant.profile.legal_name if participant else "",
                    country=participant.profile.country if participant else "",
                    period=disclosure.period,
                    framework=disclosure.framework,
                    disclosure_id=disclosure.id,
                    version=version.version,
                    superseded=version.version < latest,
                    metric_index=index,
                    metric_code=metric.code,
                    metric_name=definition.name if definition else "",
                    value=metric.value,
                    unit=metric.unit,
                    document_hash=version.document_hash,
                    tx_hash=version.tx.tx_hash,
                    block_number=version.tx.block_number,
                    block_time=version.tx.block_time,
                    attestation_status=summary.status.value,
                    attested_version=summary.attested_version,
                    attestation_auditor=attestation.auditor if attestation else "",
                    attestation_level=attestation.level.value if attestation else "",
                    attestation_opinion=attestation.opinion.value if attestation else "",
                    attestation_report_hash=attestation.report_hash if attestation else "",
                )
            )
    return rows


def _numbered(row: ExportRow, number: int) -> ExportRow:
    from dataclasses import replace

    return replace(row, row=number)
