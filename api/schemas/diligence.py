"""Due-diligence requests and reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints, field_validator, model_validator

from api.schemas.common import (
    EXAMPLE_BATCH_ID,
    LOT_DESCRIPTION,
    LOT_PATTERN,
    AddressStr,
    BatchIdStr,
    In,
    Out,
    ParticipantRef,
    TxRefOut,
)
from api.schemas.regimes import RegimeSectionOut
from ledger import DIGITAL_LINK_MAX_LABEL_CHARS as MAX_LABEL_CHARS
from ledger import DILIGENCE_MAX_TIER as MAX_TIER
from ledger import Assurance, DocumentKind, Policy, Regime, Report, Severity, Verdict
from ledger import DiligenceRule as Rule

_DEFAULT = Policy()
RegionStr = Annotated[str, StringConstraints(max_length=6)]  # "CN", "CN-XJ", "GB-ENG"
TierStr = Annotated[str, StringConstraints(max_length=len(str(MAX_TIER)))]  # "raw", "all" or "0" to "256"
DocumentKinds = Annotated[list[DocumentKind], Field(max_length=len(DocumentKind))]


class PolicyIn(In):
    """What the buyer requires. Every rule is optional; defaults shown."""

    reject_regions: list[RegionStr] = Field(
        default=list(_DEFAULT.reject_regions),
        max_length=500,
        description="ISO 3166-1 countries or ISO 3166-2 regions whose sourcing fails the batch",
    )
    review_regions: list[RegionStr] = Field(
        default=[], max_length=500, description="countries or regions whose sourcing needs review"
    )
    required_frameworks: list[Literal["GRI", "ESRS", "ISSB"]] = Field(
        default=[], max_length=3, description="each supplier must have a disclosure under one of these"
    )
    max_disclosure_age_days: int | None = Field(
        default=_DEFAULT.max_disclosure_age_days,
        ge=0,
        le=36_500,
        description="oldest acceptable latest disclosure (days before the report's block); null: no limit",
    )
    required_assurance: Assurance = Field(
        default=Assurance.NONE, description="assurance each supplier's latest disclosure needs"
    )
    required_documents: dict[TierStr, DocumentKinds] = Field(
        default={tier: list(kinds) for tier, kinds in _DEFAULT.required_documents},
        max_length=MAX_TIER + 3,  # "0" to "256", "raw" and "all"
        description="document kinds required per tier: 'raw' (batches without inputs), 'all', or a tier number",
    )
    reject_flagged: bool = Field(default=True, description="an active recall or hold fails (else: review)")
    max_footprint_per_unit_kg: Decimal | None = Field(
        default=None,
        ge=0,
        allow_inf_nan=False,
        max_digits=30,
        description="largest cradle-to-gate footprint per unit of the batch, kg CO2e",
    )

    def to_domain(self) -> Policy:
        return Policy(
            reject_regions=tuple(self.reject_regions),
            review_regions=tuple(self.review_regions),
            required_frameworks=tuple(self.required_frameworks),
            max_disclosure_age_days=self.max_disclosure_age_days,
            required_assurance=self.required_assurance,
            required_documents=tuple((tier, tuple(kinds)) for tier, kinds in self.required_documents.items()),
            reject_flagged=self.reject_flagged,
            max_footprint_per_unit_kg=self.max_footprint_per_unit_kg,
        )

    @classmethod
    def of(cls, p: Policy) -> PolicyIn:
        return cls(
            reject_regions=list(p.reject_regions),
            review_regions=list(p.review_regions),
            required_frameworks=list(p.required_frameworks),  # type: ignore[arg-type]
            max_disclosure_age_days=p.max_disclosure_age_days,
            required_assurance=p.required_assurance,
            required_documents={t: list(k) for t, k in p.required_documents},
            reject_flagged=p.reject_flagged,
            max_footprint_per_unit_kg=p.max_footprint_per_unit_kg,
        )


class DueDiligenceRequest(In):
    """Name the batch by id, or by GTIN and lot (plus producer if two producers used the lot): the GTIN may be a GS1
    Digital Link URI or a scanned element string that carries the lot."""

    #: The rule `_one_reference` enforces, for the schema's readers: `batch_id` or `gtin` (with `lot`), never both.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["batch_id"], "description": "by batch id"},
                {
                    "required": ["gtin"],
                    "description": "by GTIN and lot (`lot`, or carried by a Digital Link or element string in `gtin`)",
                },
            ]
        }
    )

    batch_id: BatchIdStr | None = Field(default=None, examples=[EXAMPLE_BATCH_ID])
    gtin: str | None = Field(
        default=None,
        max_length=MAX_LABEL_CHARS,
        examples=["06931234000105"],
        description="GTIN-8/12/13/14, or a Digital Link URI or element string `(01)...(10)...`",
    )
    lot: str | None = Field(
        default=None,
        max_length=20,
        examples=["HG-DG-25-B-1202"],
        description=LOT_DESCRIPTION,
        json_schema_extra={"pattern": LOT_PATTERN},
    )
    producer: AddressStr | None = None
    policy: PolicyIn = Field(default_factory=PolicyIn)
    max_depth: int | None = Field(
        default=None, ge=1, le=256, description="tiers to trace (default and cap: the service's API_MAX_TRACE_DEPTH)"
    )
    as_of_block: int | None = Field(
        default=None, ge=0, description="evaluate as of this indexed block (default: the latest indexed block)"
    )
    regimes: list[Regime] = Field(
        default=[],
        max_length=len(Regime),
        examples=[["EUDR", "UFLPA"]],
        description="rule packs to apply beside the policy (GET /regimes); the report gains one section per regime",
    )
    as_of: date | None = Field(
        default=None,
        description="the date the regimes' rules are applied at (default: the "
        "date of the report's block); rules applying later are "
        "reported as upcoming. Facts are read as of the last block "
        "on or before that date unless as_of_block is given; a "
        "date before the ledger's first block is refused",
    )

    @field_validator("as_of", mode="before")
    @classmethod
    def _iso_date(cls, value: object) -> object:
        """A calendar date as written (pydantic would read a number as seconds since 1970: 20260101 is not a date)."""
        if value is not None and not isinstance(value, str | date):
            raise ValueError('as_of is a date written YYYY-MM-DD (e.g. "2026-11-26")')
        return value

    @model_validator(mode="after")
    def _one_reference(self) -> DueDiligenceRequest:
        if (self.batch_id is None) == (self.gtin is None):
            raise ValueError("give either batch_id, or gtin and lot (or a Digital Link in gtin)")
        return self


class FindingOut(Out):
    severity: Severity
    rule: Rule
    message: str
    participant: str | None
    batch_id: str | None
    tier: int | None
    evidence: TxRefOut = Field(description="the on-chain fact the finding rests on")


class SummaryOut(Out):
    tiers: int
    batches: int
    suppliers: int
    countries: list[str]
    regions: list[str]
    audited_input_share: Decimal = Field(
        description="share of upstream batches whose producer's latest disclosure is audited (an active attestation "
        "with an unmodified or qualified opinion)"
    )
    truncated: bool
    checked_by_contract: int = Field(
        description="batches of the lineage whose facts the contract checked when they "
        "were recorded (inputs held, mass balance, bounds): all of them, as "
        "Merkle-anchored records join a lineage only once claimed on chain"
    )


class StepOut(Out):
    batch_id: str
    own_kg: Decimal | None = Field(description="process emissions reported for this step; null: not reported")
    total_kg: Decimal = Field(description="this batch's whole cradle-to-gate footprint")
    per_unit_kg: Decimal
    unit: str
    attribution: Decimal = Field(description="share of this batch's output that ends up in the traced batch")
    attributed_kg: Decimal = Field(description="own emissions attributed to the traced batch")


class FootprintOut(Out):
    """Cradle-to-gate: own process emissions plus each input's footprint per unit times the quantity consumed."""

    total_kg: Decimal
    per_unit_kg: Decimal
    unit: str
    data_coverage: Decimal = Field(
        description="0..1: steps that reported emissions, each weighted by the share of its output that ends up in "
        "the batch, over all steps; below 1 the footprint is a lower bound"
    )
    steps_without_data: list[str]
    truncated: bool
    steps: list[StepOut]


class ReportBatch(Out):
    id: str
    gtin: str
    lot: str
    quantity: Decimal
    unit: str
    producer: ParticipantRef
    recorded: TxRefOut


class ReportOut(Out):
    verdict: Verdict = Field(
        description="the worst of the policy's verdict and every regime's in force: FAIL if "
        "any finding fails, REVIEW if any needs review, else PASS"
    )
    policy_verdict: Verdict = Field(description="the verdict of the policy's findings alone")
    batch: ReportBatch
    findings: list[FindingOut]
    summary: SummaryOut
    footprint: FootprintOut
    policy: PolicyIn
    as_of_block: int = Field(description="the block every fact was read at: same request, same block, same report")
    as_of_time: datetime
    regimes: list[RegimeSectionOut] = Field(
        default=[],
        description="one section per regime asked for: its verdict, "
        "each rule's outcome and the findings with "
        "their evidence and article",
    )

    @classmethod
    def of(cls, r: Report) -> ReportOut:
        f, s, b = r.footprint, r.summary, r.batch
        return cls(
            verdict=r.verdict,
            policy_verdict=r.policy_verdict,
            batch=ReportBatch(
                id=b.id,
                gtin=b.gtin,
                lot=b.lot,
                quantity=b.quantity,
                unit=b.unit,
                producer=ParticipantRef.of(r.producer),
                recorded=TxRefOut.of(b.recorded),
            ),
            findings=[
                FindingOut(
                    severity=x.severity,
                    rule=x.rule,
                    message=x.message,
                    participant=x.participant,
                    batch_id=x.batch_id,
                    tier=x.tier,
                    evidence=TxRefOut.of(x.evidence),
                )
                for x in r.findings
            ],
            summary=SummaryOut(
                tiers=s.tiers,
                batches=s.batches,
                suppliers=s.suppliers,
                countries=list(s.countries),
                regions=list(s.regions),
                audited_input_share=s.audited_input_share,
                truncated=s.truncated,
                checked_by_contract=s.checked_by_contract,
            ),
            footprint=FootprintOut(
                total_kg=f.total_kg,
                per_unit_kg=f.per_unit_kg,
                unit=f.unit,
                data_coverage=f.data_coverage,
                steps_without_data=list(f.steps_without_data),
                truncated=f.truncated,
                steps=[
                    StepOut(
                        batch_id=x.batch_id,
                        own_kg=x.own_kg,
                        total_kg=x.total_kg,
                        per_unit_kg=x.per_unit_kg,
                        unit=x.unit,
                        attribution=x.attribution,
                        attributed_kg=x.attributed_kg,
                    )
                    for x in f.steps
                ],
            ),
            policy=PolicyIn.of(r.policy),
            as_of_block=r.as_of_block,
            as_of_time=r.as_of_time,
            regimes=[RegimeSectionOut.of(x) for x in r.regimes],
        )
