"""Due diligence: a batch's lineage checked against a buyer's policy, with a cradle-to-gate footprint."""

from ledger.diligence.footprint import Footprint, StepFootprint, roll_up
from ledger.diligence.policy import TIER_ALL, TIER_RAW, Assurance, Policy
from ledger.diligence.report import (
    Finding,
    Report,
    Rule,
    Severity,
    Summary,
    Verdict,
    due_diligence,
    evaluate,
    regime_sources,
)

__all__ = [
    "TIER_ALL",
    "TIER_RAW",
    "Assurance",
    "Finding",
    "Footprint",
    "Policy",
    "Report",
    "Rule",
    "Severity",
    "StepFootprint",
    "Summary",
    "Verdict",
    "due_diligence",
    "evaluate",
    "regime_sources",
    "roll_up",
]
