"""Due-diligence rule packs, one per legal regime: EUDR, UFLPA, CSDDD, BATTERY (EU Battery Regulation) and EU_FLR
(EU Forced Labour Regulation). Each pack is versioned; each rule has an id, a severity, the article it comes from,
the date it applies from and a plain-language statement. `evaluate_regimes` checks a trace against the chosen packs.
"""

from ledger.regimes.context import DocumentSource, NoDocuments, Sources
from ledger.regimes.evaluate import PACKS, evaluate_regimes, packs, regimes_of
from ledger.regimes.model import (
    DocumentEvidence,
    Evidence,
    ListEntryEvidence,
    ListUse,
    Outcome,
    Pack,
    ReferenceData,
    ReferenceEvidence,
    Regime,
    RegimeFinding,
    RegimeSection,
    RegimeVerdict,
    Rule,
    RuleResult,
    RuleStatus,
    TxEvidence,
    regime,
)
from ledger.regimes.screening import KNOWN_LISTS, ListEntry, ListVersion, ScreeningLists

__all__ = [
    "KNOWN_LISTS",
    "PACKS",
    "DocumentEvidence",
    "DocumentSource",
    "Evidence",
    "ListEntry",
    "ListEntryEvidence",
    "ListUse",
    "ListVersion",
    "NoDocuments",
    "Outcome",
    "Pack",
    "ReferenceData",
    "ReferenceEvidence",
    "Regime",
    "RegimeFinding",
    "RegimeSection",
    "RegimeVerdict",
    "Rule",
    "RuleResult",
    "RuleStatus",
    "ScreeningLists",
    "Sources",
    "TxEvidence",
    "evaluate_regimes",
    "packs",
    "regime",
    "regimes_of",
]
