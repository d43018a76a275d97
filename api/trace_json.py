"""The JSON trace without 10,000 pydantic models: the bytes `TraceOut.of(trace).model_dump_json()` gives, built by
orjson in time linear in nodes + edges.

Two levels of reuse, keyed by the identity of the index's objects (the index hands out the same `TraceNode` and
`TraceEdge` objects while their facts are unchanged and builds new ones when an event changes them):

- each node's JSON is two cached pieces (the fields before `consumed`, and those after `quantity_consumed`), each
  edge's its item in its input's `consumed` and its item in `edges`. Only `consumed` depends on the trace (which
  consumers of a batch it reached); it is assembled per request, in one pass over the edges;
- a recent document is kept while its nodes and edges are the very same objects: a repeated trace of an unchanged
  lineage costs one identity check per object (and a new head, `as_of_block` and truncation, when those changed).

Cached objects are kept beside their pieces, so an id cannot be reused while it is cached. Everything is bounded
(entries, bytes) and safe to share between the API's threads.
"""

from __future__ import annotations

import operator
import threading
from collections import OrderedDict
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import orjson

from api.schemas.batches import TRACE_NODE_FIELDS
from ledger import Trace, TraceEdge, TraceNode, TxRef

OPTIONS = orjson.OPT_UTC_Z  # pydantic writes UTC as "Z"
NODE_PIECES = 50_000  # cached nodes (about 1 kB each); cleared when full, as the index's own caches are
EDGE_PIECES = 200_000  # cached edges (about 300 bytes each)
DOCUMENT_BYTES = 64 << 20  # rendered documents kept, least recently used dropped first

NodeEntry = tuple[TraceNode, bytes, bytes, bytes]  # node, head, "," + head, tail
EdgeEntry = tuple[TraceEdge, bytes, bytes, bytes]  # edge, consumed item, consumed total, edges item
DocumentEntry = tuple[tuple[TraceNode, ...], tuple[TraceEdge, ...], bytes, int]  # ..., document, head size


class TraceJson:
    """Renders traces as JSON bytes equal to `TraceOut.of(trace).model_dump_json()`."""

    def __init__(
        self, node_pieces: int = NODE_PIECES, edge_pieces: int = EDGE_PIECES, document_bytes: int = DOCUMENT_BYTES
    ) -> None:
        self.node_pieces = node_pieces
        self.edge_pieces = edge_pieces
        self.document_bytes = document_bytes
        self._nodes: dict[int, NodeEntry] = {}  # id(node) -> entry; single dict operations only
        self._edges: dict[int, EdgeEntry] = {}
        self._documents: OrderedDict[tuple[str, int, int], DocumentEntry] = OrderedDict()
        self._document_total = 0
        self._lock = threading.Lock()  # guards _documents and _document_total

    def render(self, trace: Trace) -> bytes:
        head = _dumps(
            {
                "root": trace.root,
                "as_of_block": trace.as_of_block,
                "truncated": trace.truncated,
                "truncated_by": trace.truncated_by,
                "continue_from": list(trace.continue_from),
            }
        )[:-1]
        key = (trace.root, len(trace.nodes), len(trace.edges))
        with self._lock:
            hit = self._documents.get(key)
            if hit is not None:
                self._documents.move_to_end(key)
        if hit is not None and _same(hit[0], trace.nodes) and _same(hit[1], trace.edges):
            document, head_size = hit[2], hit[3]
            if head_size == len(head) and document.startswith(head):
                return document  # the same trace at the same block: nothing to build or copy
            document = b"".join((head, memoryview(document)[head_size:]))  # same lineage, a later block
        else:
            document = b"".join([head, *self._body(trace), b"}"])
        self._keep(key, (trace.nodes, trace.edges, document, len(head)))
        return document

    def cached(self) -> tuple[int, int, int]:
        """(nodes, edges, documents) whose JSON is cached."""
        return len(self._nodes), len(self._edges), len(self._documents)

    # -- whole documents: reused while their objects are the same -----------------------------------------------

    def _keep(self, key: tuple[str, int, int], entry: DocumentEntry) -> None:
        size = len(entry[2])
        if size > self.document_bytes:
            return
        with self._lock:
            old = self._documents.pop(key, None)
            self._document_total += size - (len(old[2]) if old else 0)
            self._documents[key] = entry
            while self._document_total > self.document_bytes:
                _, dropped = self._documents.popitem(last=False)
                self._document_total -= len(dropped[2])

    def _body(self, trace: Trace) -> list[bytes]:
        """`,"nodes":[...],"edges":[...]` in pieces, from the cached pieces of each node and edge."""
        out = [b',"nodes":[']
        append = out.append
        edge_items: list[bytes] = []
        consumed: dict[str, list[EdgeEntry]] = {}
        edges = self._edges
        for edge in trace.edges:  # one pass: the `edges` items, and the edges grouped by input for `consumed`
            hit = edges.get(id(edge))
            if hit is None or hit[0] is not edge:
                hit = self._edge(edge)
            edge_items.append(hit[3])
            uses = consumed.get(edge.input_id)
            if uses is None:
                consumed[edge.input_id] = [hit]
            else:
                uses.append(hit)
        nodes = self._nodes
        first = True
        for node in trace.nodes:
            cached = nodes.get(id(node))
            if cached is None or cached[0] is not node:
                cached = self._node(node)
            append(cached[1] if first else cached[2])
            first = False
            uses = consumed.get(node.batch.id)
            if uses is None:
                append(NOTHING_CONSUMED)
            elif len(uses) == 1:
                append(uses[0][1])
                append(uses[0][2])
            else:
                append(b",".join([u[1] for u in uses]))
                append(_total(sum([u[0].quantity for u in uses], Decimal(0))))
            append(cached[3])
        append(b'],"edges":[')
        append(b",".join(edge_items))
        append(b"]")
        return out

    # -- pieces of one node or edge ---------------------------------------------------------------------------

    def _node(self, node: TraceNode) -> NodeEntry:
        if len(self._nodes) >= self.node_pieces:
            self._nodes.clear()
        head, tail = _node_pieces(node)
        entry = self._nodes[id(node)] = (node, head, b"," + head, tail)
        return entry

    def _edge(self, edge: TraceEdge) -> EdgeEntry:
        if len(self._edges) >= self.edge_pieces:
            self._edges.clear()
        quantity = str(edge.quantity)
        entry = self._edges[id(edge)] = (
            edge,
            _dumps({"output_id": edge.output_id, "quantity": quantity}),
            _total(Decimal(0) + edge.quantity),
            _dumps({"input_id": edge.input_id, "output_id": edge.output_id, "quantity": quantity}),
        )
        return entry


TRACE_JSON = TraceJson()  # shared by the API's threads: empty until the first trace


def _same(cached: Sequence[object], current: Sequence[object]) -> bool:
    """The same objects in the same order (identity, not equality: equal datetimes may print differently)."""
    return len(cached) == len(current) and all(map(operator.is_, cached, current))


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, option=OPTIONS)


def _total(value: Decimal) -> bytes:
    """What closes a node's `consumed` items: the bracket and `quantity_consumed` (as `TraceOut.of` sums it)."""
    return b'],"quantity_consumed":' + _dumps(str(value)) + b","


NOTHING_CONSUMED = _total(Decimal(0))


def _tx(ref: TxRef) -> dict[str, Any]:
    return {"tx_hash": ref.tx_hash, "block_number": ref.block_number, "block_time": ref.block_time}


def _plain(value: Any) -> Any:
    """A batch's value as pydantic writes it: a decimal as its string, the rest as orjson writes it."""
    return str(value) if isinstance(value, Decimal) else value


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _node_pieces(node: TraceNode) -> tuple[bytes, bytes]:
    """`{...fields before consumed,"consumed":[` and `...fields after quantity_consumed}`, in `TraceNodeOut`'s
    field order."""
    b, p = node.batch, node.producer
    active = {id(f) for f in b.active_flags}
    head = {
        "batch_id": b.id,
        "tier": node.depth,
        **{name: _plain(getattr(b, name)) for name in TRACE_NODE_FIELDS},
        "producer": {"address": p.address, "legal_name": p.profile.legal_name, "country": p.profile.country},
        "country": p.profile.country,
        "subdivision": node.facility_subdivision,
    }
    tail = {
        "documents": [{"hash": d.hash, "kind": d.kind.value} for d in b.documents],
        "flags": [
            {"kind": f.kind.value, "reason": f.reason, "active": id(f) in active, "tx": _tx(f.tx)} for f in b.flags
        ],
        "process_emissions_kg": _text(b.process_emissions_kg),
        "recorded": _tx(b.recorded),
    }
    return _dumps(head)[:-1] + b',"consumed":[', _dumps(tail)[1:]
