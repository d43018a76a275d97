"""A wide test lineage (a top batch of a few mids, each of many raw batches) and the shape every trace must have."""

from __future__ import annotations

from dataclasses import dataclass

from ledger.client import Ledger
from ledger.domain.types import BatchId, Trace
from tests.ledger.builders import batch, register


@dataclass(frozen=True)
class Fan:
    """A top batch made of `mids`, each made of its own raw batches."""

    top: BatchId
    mids: list[BatchId]
    raws: list[list[BatchId]]

    @property
    def size(self) -> int:
        return 1 + len(self.mids) + sum(len(r) for r in self.raws)


def record_fan(ledger: Ledger, mids: int = 2, raws_per_mid: int = 40, label: str = "fan") -> Fan:
    """top <- mid i <- raws_per_mid raw batches each: wide enough to pass a node cap of 65 at the third batch."""
    factory = register(ledger, f"{label} mill", site=70)
    raw_ids, _ = ledger.record_batches(
        factory, [batch(f"{label}-R{m}-{r}", 70, quantity="10") for m in range(mids) for r in range(raws_per_mid)]
    )
    raws = [raw_ids[m * raws_per_mid : (m + 1) * raws_per_mid] for m in range(mids)]
    mid_ids, _ = ledger.record_batches(
        factory,
        [batch(f"{label}-M{m}", 70, quantity="10", inputs=tuple((r, "1") for r in raws[m])) for m in range(mids)],
    )
    (top,), _ = ledger.record_batches(
        factory, [batch(f"{label}-TOP", 70, quantity="10", inputs=tuple((m, "2") for m in mid_ids))]
    )
    return Fan(top, list(mid_ids), raws)


def assert_well_formed(trace: Trace) -> None:
    """Edges only between traced batches, only into batches whose inputs were followed, and each of those has all
    its inputs in the trace."""
    ids = {n.batch.id for n in trace.nodes}
    assert len(ids) == len(trace.nodes)
    assert all(e.input_id in ids and e.output_id in ids for e in trace.edges)
    assert set(trace.continue_from) <= ids
    followed = {e.output_id for e in trace.edges}
    assert not followed & set(trace.continue_from)
    for node in trace.nodes:
        if node.batch.id in followed:
            assert {i.batch_id for i in node.batch.inputs} == {
                e.input_id for e in trace.edges if e.output_id == node.batch.id
            }
        else:
            assert not node.batch.inputs or node.batch.id in trace.continue_from
