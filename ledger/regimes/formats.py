"""Machine-readable evidence documents: small JSON formats the rules read from the vault.

Each is a JSON object with a `format` field naming it and its version. A human-readable original (a signed PDF, a
report) may sit beside it on the same batch; the rules read only these. Formats (fields marked * are required):

- `participant-profile/1` (a participant's `profile_hash`): legal_name*, local_names, aliases, postal_address, email,
  registration_number, due_diligence_policy {document (SHA-256 of the policy), verification_id (the notified body's
  verification of it)}.
- `eudr-dds/1` (DUE_DILIGENCE_STATEMENT): reference_number*, verification_number*, operator, risk_assessment
  ("negligible" | "non-negligible", the operator's conclusion under Art. 10).
- `deforestation-evidence/1` (DEFORESTATION_EVIDENCE): baseline_date* (the state compared against, at most
  2020-12-31), deforestation_free* (bool), plots* (the PlotIds covered), method, assessed_on.
- `battery-carbon-footprint/1` (CARBON_FOOTPRINT_STUDY): model*, plant_gln*, category*, capacity_kwh*,
  carbon_footprint_kg_co2e_per_kwh*, stages* {raw_material_acquisition, main_production, distribution,
  end_of_life} (kg CO2e per kWh), declaration_of_conformity_id*, manufacturer, study_uri.
- `eu-declaration-of-conformity/1` (DECLARATION_OF_CONFORMITY): id*, model*, notified_body* {number, name},
  battery_passport_id (the passport's unique identifier, Art. 77).
- `social-audit/1` (AUDIT_REPORT): standard*, audited_on*, findings [{id*, issue* (forced_labour, child_labour,
  wages, working_hours, health_safety, freedom_of_association, discrimination, other), severity* (critical, major,
  minor), status* (open, closed), corrective_action_due (date), remediation_evidence (SHA-256)}].

Parsers raise `ValidationError` naming the field; a document of another format gives `WrongFormat`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from ledger.documents.vault import document_hash
from ledger.domain.errors import ValidationError
from ledger.domain.jsonlimits import load_json


class WrongFormat(ValidationError):
    """A JSON document of another format (or none): not the evidence a rule looks for."""


def read_format(content: bytes, name: str) -> dict[str, Any]:
    """The JSON object of format `name` (e.g. 'eudr-dds/1')."""
    data = load_json(content)
    if not isinstance(data, dict):
        raise WrongFormat(f"not a {name} document (not a JSON object)")
    if data.get("format") != name:
        raise WrongFormat(f"not a {name} document (format {str(data.get('format'))[:40]!r})")
    return data


def _text(data: dict[str, Any], key: str, *, required: bool = True, limit: int = 500) -> str | None:
    value = data.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{key} is missing", field=key)
        return None
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise ValidationError(f"{key} must be text", field=key)
    return str(value).strip()[:limit]


def _texts(data: dict[str, Any], key: str) -> tuple[str, ...]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValidationError(f"{key} must be a list of texts", field=key)
    return tuple(v.strip()[:500] for v in value[:100] if v.strip())


def _date(data: dict[str, Any], key: str, *, required: bool = True) -> date | None:
    text = _text(data, key, required=required)
    if text is None:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ValidationError(f"{key} must be a date (YYYY-MM-DD), got {text[:30]!r}", field=key) from None


def _number(data: dict[str, Any], key: str) -> Decimal:
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"{key} must be a number", field=key)
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValidationError(f"{key} must be a number", field=key) from None
    if not number.is_finite() or number < 0:
        raise ValidationError(f"{key} must be a finite, non-negative number", field=key)
    return number


def _object(data: dict[str, Any], key: str, *, required: bool = True) -> dict[str, Any] | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise ValidationError(f"{key} must be an object", field=key)
    return value


@dataclass(frozen=True)
class ProfileDocument:
    legal_name: str
    local_names: tuple[str, ...]
    aliases: tuple[str, ...]
    postal_address: str | None
    email: str | None
    registration_number: str | None
    dd_policy_document: str | None
    dd_policy_verification: str | None

    @property
    def other_names(self) -> tuple[str, ...]:
        return self.local_names + self.aliases


def profile(content: bytes) -> ProfileDocument:
    data = read_format(content, "participant-profile/1")
    policy = _object(data, "due_diligence_policy", required=False) or {}
    policy_doc = _text(policy, "document", required=False)
    return ProfileDocument(
        legal_name=_text(data, "legal_name") or "",
        local_names=_texts(data, "local_names"),
        aliases=_texts(data, "aliases"),
        postal_address=_text(data, "postal_address", required=False),
        email=_text(data, "email", required=False),
        registration_number=_text(data, "registration_number", required=False),
        dd_policy_document=document_hash(policy_doc, "due_diligence_policy.document") if policy_doc else None,
        dd_policy_verification=_text(policy, "verification_id", required=False),
    )


@dataclass(frozen=True)
class DueDiligenceStatement:
    reference_number: str
    verification_number: str
    operator: str | None
    risk_assessment: str | None


def dds(content: bytes) -> DueDiligenceStatement:
    data = read_format(content, "eudr-dds/1")
    risk = _text(data, "risk_assessment", required=False)
    if risk is not None and risk not in ("negligible", "non-negligible"):
        raise ValidationError("risk_assessment must be 'negligible' or 'non-negligible'", field="risk_assessment")
    return DueDiligenceStatement(
        _text(data, "reference_number") or "",
        _text(data, "verification_number") or "",
        _text(data, "operator", required=False),
        risk,
    )


@dataclass(frozen=True)
class DeforestationEvidence:
    baseline_date: date
    deforestation_free: bool
    plots: tuple[str, ...]
    method: str | None


def deforestation_evidence(content: bytes) -> DeforestationEvidence:
    data = read_format(content, "deforestation-evidence/1")
    free = data.get("deforestation_free")
    if not isinstance(free, bool):
        raise ValidationError("deforestation_free must be true or false", field="deforestation_free")
    baseline = _date(data, "baseline_date")
    assert baseline is not None
    return DeforestationEvidence(baseline, free, _texts(data, "plots"), _text(data, "method", required=False))


STAGES = ("raw_material_acquisition", "main_production", "distribution", "end_of_life")


@dataclass(frozen=True)
class CarbonFootprint:
    model: str
    plant_gln: str
    category: str
    capacity_kwh: Decimal
    per_kwh: Decimal
    stages: Mapping[str, Decimal]  # read-only
    declaration_of_conformity_id: str


def carbon_footprint(content: bytes) -> CarbonFootprint:
    data = read_format(content, "battery-carbon-footprint/1")
    stages_in = _object(data, "stages") or {}
    stages = {}
    for stage in STAGES:
        if stage not in stages_in:
            raise ValidationError(f"stages.{stage} is missing", field=f"stages.{stage}")
        stages[stage] = _number(stages_in, stage)
    return CarbonFootprint(
        _text(data, "model") or "",
        _text(data, "plant_gln") or "",
        _text(data, "category") or "",
        _number(data, "capacity_kwh"),
        _number(data, "carbon_footprint_kg_co2e_per_kwh"),
        MappingProxyType(stages),
        _text(data, "declaration_of_conformity_id") or "",
    )


@dataclass(frozen=True)
class DeclarationOfConformity:
    id: str
    model: str
    notified_body: str
    battery_passport_id: str | None


def declaration_of_conformity(content: bytes) -> DeclarationOfConformity:
    data = read_format(content, "eu-declaration-of-conformity/1")
    body = _object(data, "notified_body") or {}
    number = _text(body, "number")
    return DeclarationOfConformity(
        _text(data, "id") or "",
        _text(data, "model") or "",
        f"{number} {_text(body, 'name', required=False) or ''}".strip(),
        _text(data, "battery_passport_id", required=False),
    )


ISSUES = (
    "forced_labour",
    "child_labour",
    "wages",
    "working_hours",
    "health_safety",
    "freedom_of_association",
    "discrimination",
    "other",
)
SEVERE_ISSUES = ("forced_labour", "child_labour")


@dataclass(frozen=True)
class AuditFinding:
    id: str
    issue: str
    severity: str
    open: bool
    corrective_action_due: date | None
    remediation_evidence: str | None

    @property
    def severe(self) -> bool:
        """Forced or child labour, or rated critical: what the CSDDD asks to prevent or end first (Art. 9-11)."""
        return self.issue in SEVERE_ISSUES or self.severity == "critical"


@dataclass(frozen=True)
class SocialAudit:
    standard: str
    audited_on: date
    findings: tuple[AuditFinding, ...]


def social_audit(content: bytes) -> SocialAudit:
    data = read_format(content, "social-audit/1")
    found = []
    raw = data.get("findings") or []
    if not isinstance(raw, list):
        raise ValidationError("findings must be a list", field="findings")
    for item in raw[:500]:
        if not isinstance(item, dict):
            raise ValidationError("each finding must be an object", field="findings")
        issue, severity, status = _text(item, "issue"), _text(item, "severity"), _text(item, "status")
        if issue not in ISSUES:
            raise ValidationError(f"finding issue must be one of {', '.join(ISSUES)}", field="findings.issue")
        if severity not in ("critical", "major", "minor"):
            raise ValidationError("finding severity must be critical, major or minor", field="findings.severity")
        if status not in ("open", "closed"):
            raise ValidationError("finding status must be open or closed", field="findings.status")
        evidence = _text(item, "remediation_evidence", required=False)
        found.append(
            AuditFinding(
                _text(item, "id") or "",
                issue,
                severity,
                status == "open",
                _date(item, "corrective_action_due", required=False),
                document_hash(evidence, "remediation_evidence") if evidence else None,
            )
        )
    audited = _date(data, "audited_on")
    assert audited is not None
    return SocialAudit(_text(data, "standard") or "", audited, tuple(found))
