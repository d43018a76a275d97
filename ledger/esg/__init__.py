"""ESG disclosures for auditors: the metric catalogue, exports (CSV, JSON, XLSX) and their verification on chain."""

from ledger.domain.catalogue import CATALOGUE, MetricCategory, MetricDefinition, metric, metrics_for, validate_metrics
from ledger.esg.export import (
    FIELDS,
    MEDIA_TYPES,
    AttestationStatus,
    Export,
    ExportRow,
    Manifest,
    build_export,
    data_sha256,
    format_of,
    read_export,
    render_export,
)
from ledger.esg.verify import ChainReader, Mismatch, VerificationReport, verify_export

__all__ = [
    "CATALOGUE",
    "FIELDS",
    "MEDIA_TYPES",
    "AttestationStatus",
    "ChainReader",
    "Export",
    "ExportRow",
    "Manifest",
    "MetricCategory",
    "MetricDefinition",
    "Mismatch",
    "VerificationReport",
    "build_export",
    "data_sha256",
    "format_of",
    "metric",
    "metrics_for",
    "read_export",
    "render_export",
    "validate_metrics",
    "verify_export",
]
