"""The index's read caches, in one object: built domain objects kept between reads, keyed by the aggregate whose
events change them, and invalidated in one place (`Caches.applied`) from what an applied window of events changed.

Every cache is exact: after `applied` (or `forget`, after a rollback or a failed window) no read sees a stale
object. Each cache is bounded: when one would pass its bound it is emptied and refilled by the reads that follow.
"""

from __future__ import annotations

from functools import lru_cache

from ledger.chain.codec import from_milli
from ledger.domain.types import Batch, BatchId, Disclosure, Participant, Role, TraceEdge, TraceNode
from ledger.index.events import BATCHES, DISCLOSURES, PARTICIPANTS, Changes

milli = lru_cache(maxsize=1 << 16)(from_milli)  # Decimals are immutable and quantities repeat a lot

BATCH_CACHE_SIZE = 200_000  # built Batch objects kept for reads (about 1-2 kB each)
DISCLOSURE_CACHE_WEIGHT = 200_000  # built Disclosures kept for reads, in versions + metrics + attestations (~60 MB)
ADDRESS_CACHE_SIZE = 10_000  # per-address answers (roles, own batches) kept
TIMESTAMP_CACHE_SIZE = 50_000  # block timestamps kept


class Caches:
    """The read caches of one index, by aggregate. Used under the store's lock."""

    def __init__(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Drop everything (a rollback, a failed window, a replaced file)."""
        # blocks: timestamps by block number (changed only by a rollback)
        self.timestamps: dict[int, int] = {}
        # batches: built `Batch` objects, the batches each address produced or held, the lineage (edges by output
        # batch, loaded on the first trace) and its reverse (input -> the batches that consumed it)
        self.batches: dict[str, Batch] = {}
        self.own: dict[str, frozenset[str]] = {}
        self.lineage: dict[str, list[TraceEdge]] | None = None
        self.consumers: dict[str, list[str]] | None = None
        # trace nodes by (batch, depth): they check the identity of their batch and producer objects on use
        self.nodes: dict[tuple[str, int], TraceNode] = {}
        # participants: built `Participant` objects and each address's roles
        self.participants: dict[str, Participant] = {}
        self.roles: dict[str, frozenset[Role]] = {}
        # disclosures: built `Disclosure` objects by id, bounded by their weight
        self.disclosures: dict[str, Disclosure] = {}
        self.disclosure_weight = 0

    def applied(self, changes: Changes) -> None:
        """Drop what an applied window of events made stale: the one place the caches are invalidated after a write.
        Batches are dropped one by one (a window touches few of many), the lineage grows by the window's edges."""
        if BATCHES in changes.aggregates or changes.touched:
            for batch_id in changes.touched:
                self.batches.pop(batch_id, None)
            if changes.touched:
                self.own.clear()
            if self.lineage is not None:
                for output_id, input_id, quantity in changes.new_edges:
                    add_edge(self.lineage, output_id, input_id, quantity)
            if self.consumers is not None:
                for output_id, input_id, _ in changes.new_edges:
                    add_consumer(self.consumers, input_id, output_id)
        if PARTICIPANTS in changes.aggregates:
            self.participants.clear()
            self.roles.clear()
        if DISCLOSURES in changes.aggregates:
            self.forget_disclosures()

    def forget_disclosures(self) -> None:
        self.disclosures.clear()
        self.disclosure_weight = 0

    def keep_disclosure(self, disclosure: Disclosure) -> None:
        """Keep a built disclosure unless it is a rare giant (read each time); the cache is emptied when full."""
        weight = sum(len(v.metrics) + 1 for v in disclosure.versions) + len(disclosure.attestations)
        if weight <= DISCLOSURE_CACHE_WEIGHT // 100:
            if self.disclosure_weight + weight > DISCLOSURE_CACHE_WEIGHT:
                self.forget_disclosures()
            self.disclosures[disclosure.id] = disclosure
            self.disclosure_weight += weight


def add_edge(lineage: dict[str, list[TraceEdge]], output_id: str, input_id: str, quantity: int) -> None:
    items = lineage.setdefault(output_id, [])
    if all(e.input_id != input_id for e in items):  # an input named twice counts once, as the SQL reference does
        items.append(TraceEdge(BatchId(input_id), BatchId(output_id), milli(quantity)))


def add_consumer(consumers: dict[str, list[str]], input_id: str, output_id: str) -> None:
    items = consumers.setdefault(input_id, [])
    if output_id not in items:
        items.append(output_id)
