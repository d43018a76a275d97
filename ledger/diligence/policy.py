"""A buyer's due-diligence policy: what makes a batch's lineage pass, need review, or fail.

Every rule is optional; the defaults encode a reasonable baseline for apparel and textiles under the EU CSDDD /
US UFLPA regime:
- sourcing from Xinjiang (CN-XJ, the UFLPA region) fails; no country is under review by default;
- raw-material batches (the tier with no inputs) must carry a certificate;
- a batch in the lineage under an active recall or quality hold fails;
- a supplier's latest disclosure must be at most 548 days (18 months) old at the report's block;
- no framework and no assurance level is required, but a revoked attestation always needs review.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from ledger.domain import validation as v
from ledger.domain.errors import ValidationError
from ledger.domain.types import AssuranceLevel, DocumentKind

#: Tier keys of document requirements: "raw" (batches without inputs), "all", or a tier number ("0" = the batch).
TIER_RAW = "raw"
TIER_ALL = "all"
MAX_TIER = 256


class Assurance(StrEnum):
    """Assurance required of a supplier's latest disclosure: none, or an active attestation at least this level."""

    NONE = "none"
    LIMITED = "limited"
    REASONABLE = "reasonable"

    @property
    def rank(self) -> int:
        """0 for none, else the rank of the assurance level (`AssuranceLevel.rank`)."""
        return 0 if self is Assurance.NONE else AssuranceLevel(self.value).rank


@dataclass(frozen=True)
class Policy:
    reject_regions: tuple[str, ...] = ("CN-XJ",)
    review_regions: tuple[str, ...] = ()
    required_frameworks: tuple[str, ...] = ()
    max_disclosure_age_days: int | None = 548
    required_assurance: Assurance = Assurance.NONE
    required_documents: tuple[tuple[str, tuple[DocumentKind, ...]], ...] = ((TIER_RAW, (DocumentKind.CERTIFICATE,)),)
    reject_flagged: bool = True
    max_footprint_per_unit_kg: Decimal | None = None

    def __post_init__(self) -> None:
        for name in ("reject_regions", "review_regions"):
            codes = tuple(v.region(code) for code in getattr(self, name))
            object.__setattr__(self, name, codes)
        for framework in self.required_frameworks:
            v.framework(framework)
        if self.max_disclosure_age_days is not None and self.max_disclosure_age_days < 0:
            raise ValidationError("max_disclosure_age_days must not be negative", field="max_disclosure_age_days")
        for tier, kinds in self.required_documents:
            if tier not in (TIER_RAW, TIER_ALL) and not (tier.isdigit() and int(tier) <= MAX_TIER):
                raise ValidationError(
                    f"document tier {tier!r} must be 'raw', 'all' or a tier number 0-{MAX_TIER}",
                    field="required_documents",
                )
            for kind in kinds:
                DocumentKind(kind)
        footprint = self.max_footprint_per_unit_kg
        if footprint is not None and (not Decimal(footprint).is_finite() or footprint < 0):
            raise ValidationError(
                "max_footprint_per_unit_kg must be a finite, non-negative number", field="max_footprint_per_unit_kg"
            )
        object.__setattr__(self, "required_assurance", Assurance(self.required_assurance))

    def documents_for(self, depth: int, raw_material: bool) -> tuple[DocumentKind, ...]:
        """Document kinds a batch at `depth` must carry."""
        kinds: list[DocumentKind] = []
        for tier, required in self.required_documents:
            if tier == TIER_ALL or (tier == TIER_RAW and raw_material) or (tier.isdigit() and int(tier) == depth):
                kinds.extend(k for k in required if k not in kinds)
        return tuple(kinds)
