"""Reads of the lineage (which batches went into which): the in-memory lineage map walked by traces, its reverse
(consumers), the SQL reference walk, and the trace nodes reused across traces."""

from __future__ import annotations

from ledger.domain.types import Batch, Participant, TraceEdge, TraceNode
from ledger.index.base import SqlIndex
from ledger.index.caches import BATCH_CACHE_SIZE, add_consumer, add_edge
from ledger.index.reader import Upstream


class Lineage(SqlIndex):
    """The lineage's reads."""

    def upstream(self, batch_id: str, max_depth: int) -> list[tuple[str, str, int, int]]:
        """Lineage edges (input, output, quantity, depth of output) up to `max_depth` tiers, ordered by (input,
        output); each output at its shallowest depth."""
        depths, edges, *_ = self.upstream_edges(batch_id, max_depth)
        return sorted((e.input_id, e.output_id, int(e.quantity * 1000), depths[e.output_id]) for e in edges)

    def upstream_edges(self, batch_id: str, max_depth: int, max_nodes: int | None = None) -> Upstream:
        """The depth of every batch within `max_depth` tiers upstream of `batch_id` (itself at 0, in breadth-first
        order) and the lineage edges among them, in breadth-first order (each output's inputs in recorded order).
        Walks the in-memory lineage map, whose edge objects are built once: a trace of 10,000 batches allocates
        little.

        With `max_nodes`, a batch's inputs are followed all together or not at all: the walk stops at the first
        batch whose new inputs would pass `max_nodes` batches. `cut` lists the batches reached whose inputs were
        not followed (in walk order), `capped` whether `max_nodes` stopped the walk. Work is linear in what is
        returned, whatever the size of the lineage."""
        with self._lock:
            lineage = self._lineage_map()
            edges: list[TraceEdge] = []
            depths = {batch_id: 0}
            frontier = [batch_id]
            depth = 0
            while frontier and depth < max_depth:
                below: list[str] = []
                for output_id in frontier:
                    inputs = lineage.get(output_id, ())
                    if (
                        max_nodes is not None
                        and len(depths) + len(inputs) > max_nodes
                        and len(depths) + sum(e.input_id not in depths for e in inputs) > max_nodes
                    ):
                        rest = frontier[frontier.index(output_id) :]  # a batch is in a frontier once
                        return Upstream(depths, edges, [b for b in (*rest, *below) if lineage.get(b)], True)
                    for edge in inputs:
                        edges.append(edge)
                        input_id: str = edge.input_id
                        if input_id not in depths:
                            depths[input_id] = depth + 1
                            below.append(input_id)
                frontier = below
                depth += 1
        return Upstream(depths, edges, [b for b in frontier if lineage.get(b)], False)

    def trace_node(self, batch: Batch, producer: Participant, depth: int, subdivision: str | None) -> TraceNode:
        """The `TraceNode` of `batch` at `depth`, reused while the batch and producer objects are the cached ones
        (they are rebuilt when an event changes them), so a repeated trace allocates almost nothing."""
        nodes = self.caches.nodes
        key = (batch.id, depth)
        node = nodes.get(key)
        if (
            node is None
            or node.batch is not batch
            or node.producer is not producer
            or node.facility_subdivision != subdivision
        ):
            if len(nodes) >= BATCH_CACHE_SIZE:
                nodes.clear()
            node = nodes[key] = TraceNode(batch, producer, depth, subdivision)
        return node

    def _lineage_map(self) -> dict[str, list[TraceEdge]]:
        caches = self.caches
        if caches.lineage is None:
            lineage: dict[str, list[TraceEdge]] = {}
            cursor = self._db.cursor()
            cursor.row_factory = None
            order = self.dialect.insertion_order
            for output_id, input_id, quantity in cursor.execute(
                self.dialect.sql(f"SELECT batch_id, input_id, quantity FROM inputs ORDER BY {order}")
            ):
                add_edge(lineage, output_id, input_id, int(quantity))
            caches.lineage = lineage
        return caches.lineage

    def inputs_of(self, batch_id: str) -> list[str]:
        with self._lock:
            return [e.input_id for e in self._lineage_map().get(batch_id, ())]

    def consumers(self, batch_id: str) -> list[str]:
        """The batches that consumed `batch_id` (the lineage read downstream)."""
        with self._lock:
            caches = self.caches
            if caches.consumers is None:
                consumers: dict[str, list[str]] = {}
                for output_id, edges in self._lineage_map().items():
                    for edge in edges:
                        add_consumer(consumers, edge.input_id, output_id)
                caches.consumers = consumers
            return list(caches.consumers.get(batch_id, ()))

    def upstream_sql(self, batch_id: str, max_depth: int) -> list[tuple[str, str, int, int]]:
        """`upstream` by recursive CTE, straight from the tables (the reference the in-memory walk must match)."""
        rows = self._rows(
            """
            WITH RECURSIVE up(input_id, batch_id, quantity, depth) AS (
                SELECT input_id, batch_id, quantity, 0 FROM inputs WHERE batch_id = ?
                UNION
                SELECT i.input_id, i.batch_id, i.quantity, up.depth + 1
                FROM inputs i JOIN up ON i.batch_id = up.input_id WHERE up.depth + 1 < ?
            )
            SELECT input_id, batch_id, quantity, MIN(depth) AS depth FROM up GROUP BY input_id, batch_id
            """,
            (batch_id, max_depth),
        )
        return [(r["input_id"], r["batch_id"], int(r["quantity"]), int(r["depth"])) for r in rows]
