"""ESG disclosures with their version history and attestations."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from api.schemas.common import EXAMPLE_ADDRESS, Out, TxRefOut
from ledger import AssuranceLevel, Attestation, Disclosure, Opinion


class MetricOut(Out):
    code: str = Field(examples=["GHG_SCOPE1"])
    value: Decimal = Field(examples=["410"])
    unit: str = Field(examples=["tCO2e"])


class AttestationOut(Out):
    version: int = Field(description="the disclosure version this attestation covers")
    auditor: str
    level: AssuranceLevel
    opinion: Opinion
    report_hash: str
    active: bool
    tx: TxRefOut
    revoked: TxRefOut | None
    revoke_reason: str | None

    @classmethod
    def of(cls, a: Attestation) -> AttestationOut:
        return cls(
            version=a.version,
            auditor=a.auditor,
            level=a.level,
            opinion=a.opinion,
            report_hash=a.report_hash,
            active=a.active,
            tx=TxRefOut.of(a.tx),
            revoked=TxRefOut.of(a.revoked) if a.revoked else None,
            revoke_reason=a.revoke_reason,
        )


class VersionOut(Out):
    version: int
    supersedes: int = Field(description="the version this one replaces (0 for the first)")
    reason: str = Field(description="why it was amended (empty for the first version)")
    signer: str
    metrics: list[MetricOut]
    document_hash: str
    uri: str
    content_hash: str
    attested_by: list[AttestationOut] = Field(description="attestations covering this version")
    tx: TxRefOut


class DisclosureSummary(Out):
    id: str
    participant: str = Field(examples=[EXAMPLE_ADDRESS])
    period: str = Field(examples=["2025"])
    framework: str = Field(examples=["GRI"])
    latest_version: int
    attested_version: int | None = Field(description="newest version with an active attestation")
    audited: bool = Field(
        description="the latest version carries an active attestation with an unmodified or "
        "qualified opinion (an adverse opinion or a disclaimer assures nothing)"
    )
    amended_since_attestation: bool
    public: bool = Field(description="the discloser lets anyone read it (else: consortium members only)")
    published: TxRefOut = Field(description="the latest version's transaction")

    @classmethod
    def of(cls, d: Disclosure) -> DisclosureSummary:
        return cls(
            id=d.id,
            participant=d.participant,
            period=d.period,
            framework=d.framework,
            latest_version=d.latest.version,
            attested_version=d.attested_version,
            audited=d.audited,
            amended_since_attestation=d.amended_since_attestation,
            public=d.public,
            published=TxRefOut.of(d.latest.tx),
        )


class DisclosureOut(DisclosureSummary):
    versions: list[VersionOut]
    attestations: list[AttestationOut]

    @classmethod
    def full(cls, d: Disclosure) -> DisclosureOut:
        attestations = [AttestationOut.of(a) for a in d.attestations]
        versions = [
            VersionOut(
                version=v.version,
                supersedes=v.supersedes,
                reason=v.reason,
                signer=v.signer,
                metrics=[MetricOut(code=m.code, value=m.value, unit=m.unit) for m in v.metrics],
                document_hash=v.document_hash,
                uri=v.uri,
                content_hash=v.content_hash,
                attested_by=[a for a in attestations if a.version == v.version],
                tx=TxRefOut.of(v.tx),
            )
            for v in d.versions
        ]
        return cls(**DisclosureSummary.of(d).model_dump(), versions=versions, attestations=attestations)
