"""A document -> the capture plan: each event's outcome, the writes the capturer signs (in order), and the Merkle
root of the captured events' hashes, committed by the last write.

Writes, each built by `ledger.writes` (the one home of each write's rules):

- consecutive events that create batches share one `recordBatches` call (at most `MAX_RECORDS_PER_WRITE` records
  and about `MAX_WRITE_BYTES` of calldata, so that the gas a request is signed for stays within the relayer's cap;
  an event's records never span two calls), in document order, so a transformation can consume a batch
  commissioned a few events before it;
- each custody hand-over is a `transferCustody` and each flag a `flagBatch` (the contract has no bulk form);
- `commitEvents(root, count, uri)` last: the root over the hashes of the events this capture records or
  acknowledges (and of its own earlier captures whose commitment never landed), `uri` the document's `ni:` name.
"""

from __future__ import annotations

from collections.abc import Sequence

from ledger.anchoring import MerkleTree
from ledger.chain.codec import hex32
from ledger.domain.types import Address, BatchId, NewBatch
from ledger.epcis.document import EpcisDocument
from ledger.epcis.facts import ChainView
from ledger.epcis.hashing import Hashed, event_hashes, leaf_of
from ledger.epcis.mapping import MAX_WRITE_BYTES, map_event, record_bytes
from ledger.epcis.model import CapturePlan, PlannedEvent, PlannedWrite, Status
from ledger.epcis.overlay import Overlay
from ledger.epcis.vocabulary import prefixes
from ledger.writes import batches, events

#: Records per `recordBatches` write: about 4M gas, well inside the relayer's per-request cap.
MAX_RECORDS_PER_WRITE = 100


def plan(
    document: EpcisDocument, capturer: Address, view: ChainView, hashes: Sequence[Hashed] | None = None
) -> CapturePlan:
    """Map every event of `document` as `capturer` would capture it, asking `view` about the chain."""
    found = event_hashes(document) if hashes is None else hashes
    ctx = Overlay(view, view.capturer(capturer), prefixes(document.context), view.now())
    planned = [
        map_event(ctx, i, event, hashed)
        for i, (event, hashed) in enumerate(zip(document.exact_events, found, strict=True))
    ]
    writes = _writes(planned, ctx.now)
    leaves = _leaves(planned, capturer)
    root = None
    if leaves:
        root = hex32(MerkleTree([leaf_of(h) for h in leaves]).root)
        under = set(leaves)
        writes.append(
            PlannedWrite(
                "commitEvents",
                events.commit_events(root, len(leaves), document.uri),
                tuple(e.position for e in planned if e.event_hash in under),
            )
        )
    return CapturePlan(capturer, tuple(planned), tuple(writes), tuple(leaves), root, document.uri)


def _writes(planned: list[PlannedEvent], now: float) -> list[PlannedWrite]:
    writes: list[PlannedWrite] = []
    records: list[NewBatch] = []
    created: list[BatchId] = []
    carried: list[int] = []
    size = 0

    def flush() -> None:
        nonlocal size
        size = 0
        if records:
            writes.append(
                PlannedWrite("recordBatches", batches.record_batches(records, now=now), tuple(carried), tuple(created))
            )
            records.clear()
            created.clear()
            carried.clear()

    for event in planned:
        effect = event.effect
        if event.status != Status.RECORDED or effect is None:
            continue
        if effect.records:
            adding = sum(record_bytes(r) for r in effect.records)
            if len(records) + len(effect.records) > MAX_RECORDS_PER_WRITE or size + adding > MAX_WRITE_BYTES:
                flush()
            size += adding
            records.extend(effect.records)
            created.extend(effect.produced)
            carried.append(event.position)
            continue
        flush()
        for transfer in effect.transfers:
            writes.append(
                PlannedWrite(
                    "transferCustody", batches.transfer_custody(transfer.batch_id, transfer.to), (event.position,)
                )
            )
        for flag in effect.flags:
            writes.append(
                PlannedWrite("flagBatch", batches.flag_batch(flag.batch_id, flag.kind, flag.reason), (event.position,))
            )
    flush()
    return writes


def _leaves(planned: list[PlannedEvent], capturer: Address) -> list[str]:
    leaves: dict[str, None] = {}
    for event in planned:
        if event.event_hash is None or event.declaration:
            continue
        if event.status in (Status.RECORDED, Status.ACKNOWLEDGED):
            leaves[event.event_hash] = None
        elif (
            event.status == Status.DUPLICATE
            and event.first is not None
            and not event.first.committed
            and event.first.capturer == capturer
        ):
            leaves[event.event_hash] = None  # an earlier capture of ours whose commitment never landed
    return list(leaves)
