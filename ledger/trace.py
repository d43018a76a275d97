"""Upstream trace: the lineage DAG of a batch down to its raw materials, read from the index."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import BatchId, Participant, Trace, TraceLimit

if TYPE_CHECKING:
    from ledger.index.reader import IndexReader

MAX_DEPTH = 256
MAX_INPUTS = 64  # BatchLedger.MAX_INPUTS: the most inputs a batch can consume
MIN_NODES = 1 + MAX_INPUTS  # any batch's inputs fit beside it, so tracing a batch of `continue_from` always progresses
MAX_NODES = 20_000  # default node cap: a trace of this size reads in tens of milliseconds


def build_trace(store: IndexReader, batch_id: BatchId, max_depth: int = 64, max_nodes: int = MAX_NODES) -> Trace:
    """Every batch upstream of `batch_id` within `max_depth` tiers and `max_nodes` batches, with producers and the
    quantities consumed.

    A batch reached along several paths appears once, at its shallowest tier. Batches are walked breadth first and a
    batch's inputs are followed all at once or not at all; when following the next batch's inputs would pass
    `max_nodes`, the walk stops there. `truncated_by` tells which bound cut the lineage and `continue_from` the
    traced batches whose inputs were not followed: trace each of them to page on. The work is bounded by
    `max_nodes` batches and their edges (at most `MAX_INPUTS` each), however large the lineage.
    """
    if not 1 <= max_depth <= MAX_DEPTH:
        raise ValidationError(f"max_depth must be between 1 and {MAX_DEPTH}", field="max_depth")
    if max_nodes < MIN_NODES:
        raise ValidationError(f"max_nodes must be at least {MIN_NODES}", field="max_nodes")
    with store.consistent():  # one view of the index: no window is applied while we read
        as_of = store.checkpoint
        depths, edges, cut, capped = store.upstream_edges(batch_id, max_depth, max_nodes)
        batches = store.batches(list(depths))
        if batch_id not in batches:
            raise NotFoundError(f"no batch {batch_id}")
        producers: dict[str, Participant] = {}
        subdivisions: dict[str, str | None] = {}
        nodes = []
        for depth, tier in _tiers(depths):
            for bid in tier:
                batch = batches.get(bid)
                if batch is None:  # an input recorded after the checkpoint we read: cannot happen in one view
                    continue
                producer = producers.get(batch.producer)
                if producer is None:
                    participant = store.participant(batch.producer)
                    if participant is None:
                        raise NotFoundError(f"producer {batch.producer} of {bid} is not indexed")
                    producer = producers[batch.producer] = participant
                if batch.facility not in subdivisions:
                    subdivisions[batch.facility] = store.site_subdivision(batch.facility)
                nodes.append(store.trace_node(batch, producer, depth, subdivisions[batch.facility]))
    unfollowed = set(cut)
    continue_from = tuple(n.batch.id for n in nodes if n.batch.id in unfollowed)
    limit = TraceLimit.MAX_NODES if capped else TraceLimit.MAX_DEPTH if continue_from else None
    return Trace(
        root=batch_id,
        nodes=tuple(nodes),
        edges=tuple(edges),
        as_of_block=as_of,
        truncated_by=limit,
        continue_from=continue_from,
    )


def _tiers(depths: dict[str, int]) -> list[tuple[int, list[str]]]:
    """Batch ids by depth, shallowest first, sorted within a tier (`depths` is in breadth-first order)."""
    tiers: list[tuple[int, list[str]]] = []
    for bid, depth in depths.items():
        if not tiers or tiers[-1][0] != depth:
            tiers.append((depth, []))
        tiers[-1][1].append(bid)
    for _, tier in tiers:
        tier.sort()
    return tiers
