"""Merkle-anchored batch records: bundles in, recording status out."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import (
    EXAMPLE_ADDRESS,
    EXAMPLE_BATCH_ID,
    LOT_DESCRIPTION,
    LOT_PATTERN,
    AddressStr,
    Hash32Str,
    In,
    Out,
    TxRefOut,
)
from ledger import ANCHOR_BUNDLE_FORMAT as BUNDLE_FORMAT
from ledger import BatchRecording

HEX32 = r"^0x[0-9a-fA-F]{64}$"
MAX_TIMESTAMP = 253_402_300_799  # 9999-12-31T23:59:59Z, the last second a datetime holds


class AnchoredInputIn(In):
    batch_id: str = Field(pattern=HEX32)
    quantity: str = Field(max_length=40)


class AnchoredDocumentIn(In):
    hash: str = Field(pattern=HEX32)
    kind: str = Field(max_length=32)


class AnchoredBatchIn(In):
    gtin: str = Field(max_length=14, examples=["06931234000105"])
    lot: str = Field(max_length=20, description=LOT_DESCRIPTION, json_schema_extra={"pattern": LOT_PATTERN})
    hs_code: str = Field(max_length=7)
    quantity: str = Field(max_length=40)
    unit: str = Field(max_length=3)
    facility: str = Field(max_length=13)
    produced_at: int = Field(ge=0, le=MAX_TIMESTAMP, description="unix seconds (at most 9999-12-31T23:59:59Z)")
    inputs: list[AnchoredInputIn] = Field(default_factory=list, max_length=64)
    documents: list[AnchoredDocumentIn] = Field(default_factory=list, max_length=64)
    process_emissions_kg: str | None = Field(default=None, max_length=40)


class AnchoredRecordIn(In):
    batch_id: str = Field(pattern=HEX32)
    record: AnchoredBatchIn
    proof: list[Hash32Str] = Field(max_length=64)


class AnchorBundleIn(In):
    """An anchor bundle as `ledger.anchoring.AnchorBundle.to_json` writes it (what a factory keeps after anchoring)."""

    format: str = Field(
        max_length=64,
        description="the bundle format: the one `ledger anchor` writes",
        json_schema_extra={"enum": [BUNDLE_FORMAT]},
    )
    chain_id: int | None = Field(default=None, ge=0, le=2**53 - 1)
    ledger: AddressStr | None = None
    root: str = Field(pattern=HEX32)
    producer: AddressStr = Field(examples=[EXAMPLE_ADDRESS])
    uri: str = Field(default="", max_length=2_000)
    records: list[AnchoredRecordIn] = Field(min_length=1, max_length=100_000)


class BundleImported(Out):
    root: str
    records: int = Field(description="records the anchor proves (raw materials within every bound of a batch)")
    needs_claim: list[str] = Field(
        default=[],
        description="records with inputs: they prove nothing until their "
        "producer brings them on chain (claimAnchoredBatch)",
    )
    recorded: list[str] = Field(default=[], description="records whose id is recorded on chain: read as batches")


class RecordingOut(Out):
    """How a batch is on the ledger: `recorded` (its own transaction) or `anchored` (a proof to a Merkle root)."""

    batch_id: str = Field(examples=[EXAMPLE_BATCH_ID])
    kind: str = Field(examples=["recorded", "anchored"])
    producer: str | None
    tx: TxRefOut = Field(description="the recording transaction, or the one that anchored the root")
    root: str | None = Field(
        default=None, description="the anchored root (for a recorded batch: the root it was claimed from, if any)"
    )
    proof: list[str] = Field(default_factory=list, description="sibling hashes from the leaf to the root")

    @classmethod
    def of(cls, r: BatchRecording) -> RecordingOut:
        return cls(
            batch_id=r.batch_id,
            kind=r.kind,
            producer=r.producer,
            tx=TxRefOut.of(r.tx),
            root=r.root,
            proof=list(r.proof),
        )
