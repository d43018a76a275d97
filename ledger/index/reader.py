"""What the rest of the code may ask of the index: the read model's interface.

Modules outside `ledger.index` hold an `IndexReader` (the `Ledger`'s `store`), never the SQLite adapter
(`ledger.index.store.IndexStore`), so another adapter (PostgreSQL) serves them unchanged. Reads return domain
objects (`ledger.domain.types`) or plain values; no database row leaves the index. The one write here is off-chain
knowledge the chain cannot give the index: the records an imported anchor bundle ties to a root.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, NamedTuple, Protocol

from ledger.domain.types import Batch, BatchRecording, Citation, Disclosure, Participant, Role, TraceEdge, TraceNode

Page = list[tuple[str, int, int]]  # (id, block_number, log_index): a keyset-paginated page of ids


class Upstream(NamedTuple):
    """What `IndexReader.upstream_edges` walked: depths by batch, edges, the batches cut and whether the cap cut."""

    depths: dict[str, int]
    edges: list[TraceEdge]
    cut: list[str]
    capped: bool


class IndexReader(Protocol):
    """The index's reads (and the anchored records it is told of), whatever database holds it."""

    #: Where the index lives (":memory:" for an in-memory one), and where an unusable file was moved on opening.
    path: str
    moved_aside: Path | None

    @property
    def checkpoint(self) -> int:
        """The last block the index holds (0: none)."""
        ...

    def consistent(self) -> AbstractContextManager[None]:
        """Hold off writes so that several reads see one state of the index."""
        ...

    # -- batches
    def batch(self, batch_id: str) -> Batch | None: ...
    def batches(self, batch_ids: Sequence[str]) -> dict[str, Batch]: ...
    def find_batch_ids(
        self,
        *,
        gtin: str | None = None,
        lot: str | None = None,
        producer: str | None = None,
        country: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 50,
    ) -> Page: ...
    def held_batch_ids(self, address: str, *, after: tuple[int, int] | None = None, limit: int = 50) -> Page: ...
    def own_batch_ids(self, address: str) -> frozenset[str]: ...
    def produced_ids(self, address: str) -> set[str]: ...
    def batch_count(self, producer: str) -> int: ...
    def unreadable_for(self, batch_id: str) -> list[str]: ...
    def unreadable_count(self) -> int: ...

    # -- lineage
    def upstream_edges(self, batch_id: str, max_depth: int, max_nodes: int | None = None) -> Upstream: ...
    def inputs_of(self, batch_id: str) -> list[str]: ...
    def consumers(self, batch_id: str) -> list[str]: ...
    def trace_node(self, batch: Batch, producer: Participant, depth: int, subdivision: str | None) -> TraceNode: ...

    # -- participants
    def participant(self, address: str) -> Participant | None: ...
    def participants(self) -> list[Participant]: ...
    def roles_of(self, address: str) -> frozenset[Role]: ...
    def site_owner(self, gln: str) -> str | None: ...
    def site_subdivision(self, gln: str) -> str | None: ...
    def party_owner(self, gln: str) -> str | None: ...

    # -- disclosures and documents
    def disclosure(self, disclosure_id: str) -> Disclosure | None: ...
    def disclosure_ids(
        self,
        *,
        participant: str | None = None,
        period: str | None = None,
        framework: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 1_000,
    ) -> Page: ...
    def document_citations(self, document_hash: str) -> list[Citation]: ...

    # -- blocks
    def block_timestamp(self, number: int) -> int | None: ...
    def block_at_or_before(self, timestamp: int) -> int | None: ...

    # -- anchors
    def anchor(self, root: str) -> dict[str, Any] | None: ...
    def recording(self, batch_id: str) -> BatchRecording | None: ...
    def add_anchored_records(
        self, root: str, producer: str, records: Sequence[tuple[str, str, str, list[str]]]
    ) -> None: ...


class IndexWriter(IndexReader, Protocol):
    """What the syncer (`ledger.index.Indexer`) and the `Ledger` that owns the index ask beyond the reads: the one
    write path (a window of decoded events with its end block), the recent blocks that detect a reorg, the rollback
    to its fork point, and closing."""

    def apply(
        self,
        events: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
        end_block: int,
        end_hash: str,
        end_timestamp: int,
    ) -> None: ...
    def recent_blocks(self) -> list[tuple[int, str]]: ...
    def roll_back(self, block_number: int, block_hash: str) -> None: ...
    def close(self) -> None: ...
