"""What an ESG export is made of: one `ExportRow` per reported metric value, and the `Manifest` that anchors the rows
to a chain, a deployment and a block.

Canonical serialisation (format `provenance-ledger/esg-export/1`), over which `Manifest.data_sha256` is taken so that
the digest is the same whether the rows travel as CSV, JSON or XLSX:

- every row becomes a list of strings, one per field in `FIELDS` order:
  text as is; integers in decimal; booleans `true`/`false`; decimals in plain notation without exponent or trailing
  fractional zeros (`1250000`, `12.5`); datetimes in UTC as `YYYY-MM-DDTHH:MM:SSZ`; a missing value as the empty
  string;
- the document is the JSON array `[FIELDS, row 1, row 2, ...]` written with `json.dumps(..., ensure_ascii=False,
  separators=(",", ":"))` and encoded as UTF-8;
- `data_sha256` is the lower-case hex SHA-256 of those bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from ledger.chain.codec import plain
from ledger.domain.types import Attestation

EXPORT_FORMAT = "provenance-ledger/esg-export/1"


class AttestationStatus(StrEnum):
    """How the row's figure stands with the auditors, as of the export's block."""

    ATTESTED = "attested"  # this version has an active attestation
    REVOKED = "revoked"  # this version was attested, and every attestation of it was revoked
    AMENDED = "amended since attestation"  # an earlier version is attested; this one is not
    NONE = "not attested"


@dataclass(frozen=True)
class ExportRow:
    """One metric value of one disclosure version, with where it sits on chain and how it is attested.

    `row` numbers the rows from 1 in export order; `metric_index` is the figure's position in the version's on-chain
    metric list. The `attestation_*` fields describe the attestation of `attested_version` (this version, or for an
    amended disclosure the earlier version that is attested); they are empty when there is none.
    """

    row: int
    participant: str
    legal_name: str
    country: str
    period: str
    framework: str
    disclosure_id: str
    version: int
    superseded: bool
    metric_index: int
    metric_code: str
    metric_name: str
    value: Decimal
    unit: str
    document_hash: str
    tx_hash: str
    block_number: int
    block_time: datetime
    attestation_status: str
    attested_version: int | None
    attestation_auditor: str
    attestation_level: str
    attestation_opinion: str
    attestation_report_hash: str


FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ExportRow))
INT_FIELDS = frozenset({"row", "version", "metric_index", "block_number"})
OPTIONAL_INT_FIELDS = frozenset({"attested_version"})
BOOL_FIELDS = frozenset({"superseded"})
DECIMAL_FIELDS = frozenset({"value"})
DATETIME_FIELDS = frozenset({"block_time"})


@dataclass(frozen=True)
class Manifest:
    """Where the rows come from: chain, contracts, the block they describe, and the digest of the rows."""

    chain_id: int
    ledger: str
    forwarder: str
    deployment_block: int
    block_number: int  # the rows state the chain as of this block
    block_hash: str
    block_time: datetime
    generated_at: datetime
    row_count: int
    data_sha256: str
    filter_participant: str | None = None
    filter_period: str | None = None
    filter_framework: str | None = None
    format: str = EXPORT_FORMAT

    def to_dict(self) -> dict[str, Any]:
        body = asdict(self)
        for key in ("block_time", "generated_at"):
            body[key] = format_time(body[key])
        return body

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> Manifest:
        from ledger.domain.errors import ValidationError

        known = {f.name for f in fields(cls)}
        try:
            values = {k: v for k, v in body.items() if k in known}
            for key in ("chain_id", "deployment_block", "block_number", "row_count"):
                values[key] = int(values[key])
            for key in ("block_time", "generated_at"):
                values[key] = parse_time(values[key])
            for key in ("filter_participant", "filter_period", "filter_framework"):
                values[key] = values.get(key) or None
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(f"export manifest is incomplete or malformed: {exc}", field="manifest") from None


@dataclass(frozen=True)
class Export:
    rows: tuple[ExportRow, ...]
    manifest: Manifest

    @property
    def frameworks(self) -> tuple[str, ...]:
        """Frameworks in order of first appearance."""
        return tuple(dict.fromkeys(r.framework for r in self.rows))


# -- canonical values ------------------------------------------------------------------------------------------------


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str | datetime) -> datetime:
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def canonical_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(plain(value), "f")
    if isinstance(value, datetime):
        return format_time(value)
    return str(value)


def canonical_row(row: ExportRow) -> list[str]:
    return [canonical_value(getattr(row, name)) for name in FIELDS]


def canonical_bytes(rows: Sequence[ExportRow]) -> bytes:
    document = [list(FIELDS), *(canonical_row(r) for r in rows)]
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def data_sha256(rows: Sequence[ExportRow]) -> str:
    return hashlib.sha256(canonical_bytes(rows)).hexdigest()


# -- attestation summary (shared by the exporter, which reads the index, and the verifier, which reads the chain) ---


@dataclass(frozen=True)
class AttestationSummary:
    status: AttestationStatus
    attestation: Attestation | None

    @property
    def attested_version(self) -> int | None:
        return self.attestation.version if self.attestation is not None else None


def summarise_attestations(attestations: Sequence[Attestation], version: int) -> AttestationSummary:
    """The status of `version` given every attestation of its disclosure (in chain order).

    Its own newest active attestation wins; else its newest revoked one; else the newest active attestation of the
    newest earlier version (the figure was amended since); else none.
    """
    own = [a for a in attestations if a.version == version]
    active = [a for a in own if a.active]
    if active:
        return AttestationSummary(AttestationStatus.ATTESTED, active[-1])
    if own:
        return AttestationSummary(AttestationStatus.REVOKED, own[-1])
    earlier = [a for a in attestations if a.version < version and a.active]
    if earlier:
        newest = max(a.version for a in earlier)
        return AttestationSummary(AttestationStatus.AMENDED, [a for a in earlier if a.version == newest][-1])
    return AttestationSummary(AttestationStatus.NONE, None)
