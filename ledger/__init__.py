"""Supply-chain provenance and ESG ledger: the domain API over the on-chain contracts.

    from ledger import Ledger, NewBatch
    ledger = Ledger.embedded()

Names are imported on first use, so `import ledger` stays cheap and free of import cycles.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "Ledger": "ledger.client",
    "IndexReader": "ledger.index.reader",
    "LedgerSettings": "ledger.config",
    "get_settings": "ledger.config",
    "seed_demo": "ledger.demo.apparel",
    "DemoWorld": "ledger.demo.apparel",
    "LedgerError": "ledger.domain.errors",
    "ValidationError": "ledger.domain.errors",
    "NotFoundError": "ledger.domain.errors",
    "ContractRevertError": "ledger.domain.errors",
    "SignatureError": "ledger.domain.errors",
    "LedgerUnavailableError": "ledger.domain.errors",
    "TransactionTimeoutError": "ledger.domain.errors",
    **{name: "ledger.domain.types" for name in (
        "Address", "BatchId", "Citation", "CitationKind", "DisclosureId", "Gtin", "Gln", "TxHash", "Hash32", "Role",
        "Severity", "Verdict", "DocumentKind", "FlagKind",
        "AssuranceLevel", "Opinion", "TxRef", "TxResult", "Site", "ParticipantProfile", "Participant", "Document",
        "InputUse", "NewBatch", "CustodyTransfer", "Flag", "Batch", "TraceNode", "TraceEdge", "Trace", "MetricValue",
        "DisclosureVersion", "Attestation", "Disclosure", "Deployment", "Eip712Domain", "ForwardRequest",
        "SignedRequest", "BatchRecording",
    )},
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ledger' has no attribute {name!r}")
    return getattr(import_module(module), name)
