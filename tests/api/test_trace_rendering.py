"""Trace renderings stay linear in nodes + edges: on a lineage 64 wide and 64 deep (the shape that took a minute per
JSON request when every node scanned every edge), each format is right and reads the edges a fixed number of times,
whatever the size. No time is asserted."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import orjson

from api.render import trace_dot, trace_mermaid
from api.schemas.batches import TraceOut
from api.trace_json import TraceJson
from ledger.domain.types import (
    Address,
    Batch,
    BatchId,
    Gln,
    Gtin,
    InputUse,
    Participant,
    ParticipantProfile,
    Role,
    Site,
    Trace,
    TraceEdge,
    TraceNode,
    TxHash,
    TxRef,
)

WIDTH = DEPTH = 64
TX = TxRef(TxHash("0x" + "ab" * 32), 7, datetime(2025, 6, 1, tzinfo=UTC))
GLN = Gln("6141410000709")


class CountedEdges(tuple[TraceEdge, ...]):
    """The trace's edges, counting how many times a renderer walks them."""

    passes = 0

    def __iter__(self) -> Iterator[TraceEdge]:
        self.passes += 1
        return super().__iter__()


def wide_trace() -> tuple[Trace, CountedEdges]:
    """Tier 0 is one batch consuming all 64 of tier 1; below, batch i of a tier consumes batches i and i+1 of the
    next, so every batch past tier 1 has two consumers."""
    producer = Participant(
        Address("0x" + "11" * 20),
        1,
        ParticipantProfile("Wide Mill", "CN", (Site(GLN, "CN-GD"),)),
        frozenset({Role.FACTORY}),
        False,
        TX,
    )

    def bid(tier: int, i: int) -> BatchId:
        return BatchId(f"0x{tier:032x}{i:032x}")

    def inputs(tier: int, i: int) -> tuple[BatchId, ...]:
        if tier == 0:
            return tuple(bid(1, j) for j in range(WIDTH))
        if tier == DEPTH - 1:
            return ()
        return bid(tier + 1, i), bid(tier + 1, (i + 1) % WIDTH)

    nodes: list[TraceNode] = []
    edges: list[TraceEdge] = []
    for tier in range(DEPTH):
        for i in range(1 if tier == 0 else WIDTH):
            uses = tuple(InputUse(x, Decimal(1)) for x in inputs(tier, i))
            batch = Batch(
                bid(tier, i),
                producer.address,
                Gtin("09506000134352"),
                f"W{tier}-{i}",
                "520100",
                Decimal(10),
                "KGM",
                GLN,
                TX.block_time,
                int(TX.block_time.timestamp()),
                uses,
                (),
                Decimal("1.5"),
                producer.address,
                Decimal(10),
                TX,
            )
            nodes.append(TraceNode(batch, producer, tier, "CN-GD"))
            edges += [TraceEdge(u.batch_id, batch.id, u.quantity) for u in uses]
    counted = CountedEdges(edges)
    return Trace(bid(0, 0), tuple(nodes), counted, as_of_block=9), counted


def expected_consumers(trace: Trace) -> dict[str, set[str]]:
    """Who consumes each batch, from the batches' own inputs (not from the edges)."""
    consumers: dict[str, set[str]] = {n.batch.id: set() for n in trace.nodes}
    for node in trace.nodes:
        for use in node.batch.inputs:
            consumers[use.batch_id].add(node.batch.id)
    return consumers


def test_the_json_trace_of_a_wide_lineage_is_right_from_one_pass_over_the_edges() -> None:
    trace, edges = wide_trace()
    assert len(trace.nodes) == 1 + WIDTH * (DEPTH - 1) and len(edges) == WIDTH + 2 * WIDTH * (DEPTH - 2)
    model = TraceOut.of(trace)
    assert edges.passes <= 2
    consumers = expected_consumers(trace)
    for node in model.nodes:
        assert {c.output_id for c in node.consumed} == consumers[node.batch_id]
        assert node.quantity_consumed == len(consumers[node.batch_id])

    edges.passes = 0
    fast = TraceJson().render(trace)
    assert edges.passes <= 2
    assert fast == model.model_dump_json().encode()
    assert orjson.loads(fast) == model.model_dump(mode="json")


def test_mermaid_and_dot_of_a_wide_lineage_draw_every_edge_from_one_pass() -> None:
    trace, edges = wide_trace()
    mermaid = trace_mermaid(trace)
    assert edges.passes == 1
    assert mermaid.count("-->") == len(edges) and mermaid.count('["W') == len(trace.nodes)
    edges.passes = 0
    dot = trace_dot(trace)
    assert edges.passes == 1
    assert dot.count(" -> ") == len(edges) and dot.count('[label="W') == len(trace.nodes)


def test_caches_smaller_than_the_trace_give_the_same_json_and_stay_within_their_bounds() -> None:
    trace, _ = wide_trace()
    expected = TraceOut.of(trace).model_dump_json().encode()
    small = TraceJson(node_pieces=7, edge_pieces=5, document_bytes=1_000)
    for _ in range(2):
        assert small.render(trace) == expected
    nodes, edges, documents = small.cached()
    assert nodes <= 7 and edges <= 5 and documents == 0  # the document is larger than 1,000 bytes: not kept
