"""Disclosure writes: publish, amend, attest, revoke. Each function validates its input and returns the ledger
calldata; `CHECKS` re-checks calldata signed anywhere else by the same rules (metrics through the ESG catalogue)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

from ledger.chain.calls import encode_call
from ledger.chain.codec import ascii_text, from_hex, from_scaled, text_to_bytes
from ledger.domain import rules
from ledger.domain import validation as v
from ledger.domain.catalogue import validate_metrics as against_catalogue
from ledger.domain.errors import ValidationError
from ledger.domain.types import AssuranceLevel, MetricValue, Opinion

LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)
MAX_DECIMALS = 18


def validate_metrics(metrics: Sequence[MetricValue]) -> tuple[MetricValue, ...]:
    """The figures of one version, checked against the ESG catalogue (`ledger.domain.catalogue.validate_metrics`)."""
    if not isinstance(metrics, MetricValue) and len(metrics) > rules.MAX_METRICS:
        raise ValidationError(
            f"at most {rules.MAX_METRICS} metrics per disclosure, got {len(metrics)}", field="metrics"
        )
    return against_catalogue(metrics)


def encode_metrics(metrics: Sequence[MetricValue]) -> list[tuple[bytes, int, int, bytes]]:
    """Metric values as `IDisclosureRegistry.Metric` tuples: the value scaled to an integer with its decimals."""
    encoded = []
    for metric in metrics:
        value = Decimal(str(metric.value))
        if not value.is_finite():
            raise ValidationError(f"metric {metric.code} value must be finite", field="metrics.value")
        exponent = value.as_tuple().exponent
        decimals = max(0, -int(exponent)) if isinstance(exponent, int) else 0
        if decimals > MAX_DECIMALS:
            raise ValidationError(f"metric {metric.code} has more than {MAX_DECIMALS} decimals", field="metrics.value")
        encoded.append(
            (text_to_bytes(metric.code, 32), int(value.scaleb(decimals)), decimals, text_to_bytes(metric.unit, 16))
        )
    return encoded


def decode_metrics(metrics: Sequence[Mapping[str, Any]]) -> list[MetricValue]:
    """`Metric` structs as decoded from calldata back to the values they encode; strict about text and decimals."""
    decoded = []
    for m in metrics:
        if int(m["decimals"]) > MAX_DECIMALS:
            raise ValidationError(
                f"a metric has {m['decimals']} decimals; at most {MAX_DECIMALS}", field="metrics.value"
            )
        decoded.append(
            MetricValue(
                ascii_text(m["code"], "metrics.code"),
                from_scaled(int(m["value"]), int(m["decimals"])),
                ascii_text(m["unit"], "metrics.unit"),
            )
        )
    return decoded


def _uri(uri: str) -> str:
    return v.text(uri, "uri", max_bytes=rules.MAX_DISCLOSURE_URI_BYTES, required=False)


def publish_disclosure(
    period: str, framework: str, metrics: Sequence[MetricValue], document_hash: str, uri: str, public: bool = False
) -> str:
    """`public`: anyone may read it through the API (every member may in any case)."""
    return encode_call(
        "publishDisclosure",
        text_to_bytes(v.period(period), 16),
        text_to_bytes(v.framework(framework), 8),
        encode_metrics(validate_metrics(metrics)),
        from_hex(v.hash32(document_hash, "document_hash")),
        _uri(uri),
        bool(public),
    )


def amend_disclosure(
    disclosure_id: str, metrics: Sequence[MetricValue], document_hash: str, uri: str, reason: str, public: bool = False
) -> str:
    v.text(reason, "reason", max_bytes=rules.MAX_DISCLOSURE_TEXT_BYTES)
    return encode_call(
        "amendDisclosure",
        from_hex(v.hash32(disclosure_id, "disclosure_id")),
        encode_metrics(validate_metrics(metrics)),
        from_hex(v.hash32(document_hash, "document_hash")),
        _uri(uri),
        reason,
        bool(public),
    )


def _member(kind: type[AssuranceLevel] | type[Opinion], value: str, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise ValidationError(f"{field} {v.shown(value)} is not one of {', '.join(kind)}", field=field) from None


def _version(version: int) -> int:
    if not 1 <= int(version) < 2**32:
        raise ValidationError(f"version must be 1 or more, got {v.shown(version)}", field="version")
    return int(version)


def attest(
    disclosure_id: str, version: int, level: AssuranceLevel | str, opinion: Opinion | str, report_hash: str
) -> str:
    level_ = _member(AssuranceLevel, level, "level")
    opinion_ = _member(Opinion, opinion, "opinion")
    return encode_call(
        "attestDisclosure",
        from_hex(v.hash32(disclosure_id, "disclosure_id")),
        _version(version),
        LEVELS.index(level_),
        OPINIONS.index(opinion_),
        from_hex(v.hash32(report_hash, "report_hash")),
    )


def revoke_attestation(disclosure_id: str, version: int, reason: str) -> str:
    v.text(reason, "reason", max_bytes=rules.MAX_DISCLOSURE_TEXT_BYTES)
    return encode_call(
        "revokeAttestation", from_hex(v.hash32(disclosure_id, "disclosure_id")), _version(version), reason
    )


# -- the same rules for calldata signed elsewhere ---------------------------------------------------------------


def _check_publish(args: Mapping[str, Any], sender: str) -> None:
    publish_disclosure(
        ascii_text(args["period"], "period"),
        ascii_text(args["framework"], "framework"),
        decode_metrics(args["metrics"]),
        args["documentHash"],
        args["uri"],
        args["isPublic"],
    )


def _check_amend(args: Mapping[str, Any], sender: str) -> None:
    amend_disclosure(
        args["disclosureId"],
        decode_metrics(args["metrics"]),
        args["documentHash"],
        args["uri"],
        args["reason"],
        args["isPublic"],
    )


def _check_attest(args: Mapping[str, Any], sender: str) -> None:
    level, opinion = int(args["level"]), int(args["opinion"])
    if not (0 <= level < len(LEVELS) and 0 <= opinion < len(OPINIONS)):
        raise ValidationError("assurance level or opinion outside the contract's values", field="level")
    attest(args["disclosureId"], int(args["version"]), LEVELS[level], OPINIONS[opinion], args["reportHash"])


def _check_revoke(args: Mapping[str, Any], sender: str) -> None:
    revoke_attestation(args["disclosureId"], int(args["version"]), args["reason"])


CHECKS: dict[str, Callable[[Mapping[str, Any], str], None]] = {
    "publishDisclosure": _check_publish,
    "amendDisclosure": _check_amend,
    "attestDisclosure": _check_attest,
    "revokeAttestation": _check_revoke,
}
