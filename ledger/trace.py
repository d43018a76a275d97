"""Upstream trace: the lineage DAG of a batch down to its raw materials, read from the index."""

from __future__ import annotations

from ledger.codec import from_milli
from ledger.errors import NotFoundError, ValidationError
from ledger.index.store import IndexStore
from ledger.types import BatchId, Participant, Trace, TraceEdge, TraceNode

MAX_DEPTH = 256


def build_trace(store: IndexStore, batch_id: BatchId, max_depth: int = 64) -> Trace:
    """Every batch upstream of `batch_id` within `max_depth` tiers, with producers and the quantities consumed.

    A batch reached along several paths appears once, at its shallowest tier. `truncated` tells whether lineage
    continues past `max_depth`.
    """
    if not 1 <= max_depth <= MAX_DEPTH:
        raise ValidationError(f"max_depth must be between 1 and {MAX_DEPTH}", field="max_depth")
    as_of = store.checkpoint
    edges = store.upstream(batch_id, max_depth)
    depths: dict[str, int] = {batch_id: 0}
    for input_id, _output_id, _quantity, depth in edges:
        depths[input_id] = min(depths.get(input_id, depth + 1), depth + 1)
    batches = store.batches(list(depths))
    if batch_id not in batches:
        raise NotFoundError(f"no batch {batch_id}")
    producers: dict[str, Participant] = {}
    subdivisions: dict[str, str | None] = {}
    nodes = []
    for bid, depth in sorted(depths.items(), key=lambda item: (item[1], item[0])):
        batch = batches.get(bid)
        if batch is None:  # an input recorded after the checkpoint we read: cannot happen within one block view
            continue
        if batch.producer not in producers:
            participant = store.participant(batch.producer)
            if participant is None:
                raise NotFoundError(f"producer {batch.producer} of {bid} is not indexed")
            producers[batch.producer] = participant
        if batch.facility not in subdivisions:
            subdivisions[batch.facility] = store.site_subdivision(batch.facility)
        nodes.append(TraceNode(batch, producers[batch.producer], depth, subdivisions[batch.facility]))
    truncated = any(depths[n.batch.id] == max_depth and n.batch.inputs for n in nodes)
    return Trace(
        root=batch_id,
        nodes=tuple(nodes),
        edges=tuple(TraceEdge(BatchId(i), BatchId(o), from_milli(q)) for i, o, q, _ in edges),
        as_of_block=as_of,
        truncated=truncated,
    )
