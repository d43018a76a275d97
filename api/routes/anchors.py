"""Merkle-anchored records: a factory (or anyone holding its bundle) hands in the proofs; buyers see how a batch is
on the ledger: recorded in its own transaction, or anchored under a root with a proof."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import LedgerDep
from api.problems import responses
from api.schemas.anchors import AnchorBundleIn, BundleImported, RecordingOut
from api.schemas.common import EXAMPLE_BATCH_ID
from ledger.anchoring import AnchorBundle, batch_recording, import_bundle
from ledger.errors import NotFoundError

router = APIRouter(tags=["anchors"])


@router.post("/anchors/bundles", response_model=BundleImported, summary="Register an anchor bundle's proofs",
             responses=responses(400, 404, 422, 503))
def post_bundle(ledger: LedgerDep, body: AnchorBundleIn) -> BundleImported:
    """Check that the root is anchored on chain by the bundle's producer and that every record's proof leads to it,
    then remember the proofs so buyers can look the batches up. Nothing is written to the chain."""
    bundle = AnchorBundle.from_json(body.model_dump_json())
    ledger.sync()
    anchor = ledger.store.anchor(bundle.root.lower())
    if anchor is None or anchor["producer"] != bundle.producer:
        raise NotFoundError(f"root {bundle.root} is not anchored on chain by {bundle.producer}")
    return BundleImported(root=bundle.root, records=import_bundle(ledger, bundle))


@router.get("/batches/{batch_id}/recording", response_model=RecordingOut, summary="Recorded or anchored?",
            responses=responses(404, 422, 503))
def get_recording(
    ledger: LedgerDep,
    batch_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_BATCH_ID])],
) -> RecordingOut:
    """Whether the batch was recorded individually (with its transaction) or anchored under a Merkle root (with the
    anchoring transaction, the root and the proof that ties the record to it)."""
    return RecordingOut.of(batch_recording(ledger, batch_id))
