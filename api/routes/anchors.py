"""Merkle-anchored records: a factory (or anyone holding its bundle) hands in the proofs; buyers see how a batch is
on the ledger: recorded in its own transaction, or anchored under a root with a proof."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import AccessDep, LedgerDep, MemberDep
from api.problems import responses
from api.schemas.anchors import AnchorBundleIn, BundleImported, RecordingOut
from api.schemas.common import EXAMPLE_BATCH_ID
from ledger import AnchorBundle, batch_recording, import_bundle

router = APIRouter(tags=["anchors"])


@router.post(
    "/anchors/bundles",
    response_model=BundleImported,
    summary="Register an anchor bundle's proofs",
    responses=responses(400, 401, 404, 422, 503),
)
def post_bundle(ledger: LedgerDep, viewer: MemberDep, body: AnchorBundleIn) -> BundleImported:
    """Check that the root is anchored on chain by the bundle's producer and that every record's proof leads to it,
    then remember the records the anchor proves, so buyers can look them up. An anchor proves raw-material records
    only (no inputs), within every bound of a batch at the time of anchoring: records with inputs are listed in
    `needs_claim` and count only once their producer brings them on chain (`claimAnchoredBatch` through
    `POST /batches`); records whose id is recorded already are read as recorded batches. Nothing is written to the
    chain."""
    result = import_bundle(ledger, AnchorBundle.from_json(body.model_dump_json()))
    return BundleImported(
        root=body.root, records=result.proven, needs_claim=list(result.needs_claim), recorded=list(result.recorded)
    )


@router.get(
    "/batches/{batch_id}/recording",
    response_model=RecordingOut,
    summary="Recorded or anchored?",
    responses=responses(401, 404, 422, 503),
)
def get_recording(
    ledger: LedgerDep,
    viewer: MemberDep,
    access: AccessDep,
    batch_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_BATCH_ID])],
) -> RecordingOut:
    """Whether the batch was recorded individually (with its transaction) or anchored under a Merkle root (with the
    anchoring transaction, the root and the proof that ties the record to it). A recorded batch is shown to those who
    may see it; an anchored-only record to its producer."""
    return RecordingOut.of(access.require_recording(viewer, batch_recording(ledger, batch_id)))
