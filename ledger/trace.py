"""Upstream trace: the lineage DAG of a batch down to its raw materials, read from the index."""

from __future__ import annotations

from ledger.errors import NotFoundError, ValidationError
from ledger.index.store import IndexStore
from ledger.types import BatchId, Participant, Trace

MAX_DEPTH = 256


def build_trace(store: IndexStore, batch_id: BatchId, max_depth: int = 64) -> Trace:
    """Every batch upstream of `batch_id` within `max_depth` tiers, with producers and the quantities consumed.

    A batch reached along several paths appears once, at its shallowest tier. `truncated` tells whether lineage
    continues past `max_depth`.
    """
    if not 1 <= max_depth <= MAX_DEPTH:
        raise ValidationError(f"max_depth must be between 1 and {MAX_DEPTH}", field="max_depth")
    with store.consistent():  # one view of the index: no window is applied while we read
        as_of = store.checkpoint
        depths, edges = store.upstream_edges(batch_id, max_depth)
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
    truncated = any(n.depth == max_depth and n.batch.inputs for n in nodes)
    return Trace(
        root=batch_id,
        nodes=tuple(nodes),
        edges=tuple(edges),
        as_of_block=as_of,
        truncated=truncated,
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
