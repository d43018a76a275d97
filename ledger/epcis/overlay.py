"""The chain as a capture plan sees it: the view's answers, plus what the events planned so far change (batches
created, inputs consumed, custody handed over), so that a transformation can consume a lot commissioned a few events
before it in the same document."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ledger.domain.types import Address, BatchId
from ledger.epcis.facts import ChainView
from ledger.epcis.keys import ClassKey
from ledger.epcis.model import BatchFact, CapturerFact, EventEffect
from ledger.epcis.reading import Refusal


@dataclass
class Overlay:
    """The chain as the view answers it, plus what the events planned so far change."""

    view: ChainView
    capturer: CapturerFact
    bound: frozenset[str]  # prefixes of the ledger's extension namespace in the document's @context
    now: float
    changed: dict[BatchId, BatchFact] = field(default_factory=dict)
    by_class: dict[tuple[str, str], list[BatchId]] = field(default_factory=dict)  # the changed ones, by GTIN and lot
    created: dict[tuple[str, str], BatchId] = field(default_factory=dict)
    seen: dict[tuple[str, bool], int] = field(default_factory=dict)
    produced: dict[int, tuple[BatchId, ...]] = field(default_factory=dict)

    @property
    def address(self) -> Address:
        return self.capturer.address

    def batch(self, batch_id: BatchId) -> BatchFact | None:
        return self.changed.get(batch_id) or self.view.batch(batch_id)

    def change(self, batch: BatchFact) -> None:
        if batch.id not in self.changed:
            self.by_class.setdefault((batch.gtin, batch.lot), []).append(batch.id)
        self.changed[batch.id] = batch

    def held(self, key: ClassKey, holder: Address, what: str) -> BatchFact:
        """The one batch of this GTIN and lot that `holder` holds (now, as planned so far)."""
        assert key.lot is not None
        ids = [b.id for b in self.view.held(key.gtin, key.lot, holder)]
        ids += [i for i in self.by_class.get((key.gtin, key.lot), ()) if i not in ids]
        found = [b for i in ids if (b := self.batch(i)) is not None and b.holder == holder]
        if not found:
            raise Refusal(
                f"{what}: no batch of GTIN {key.gtin} lot {key.lot} is held by "
                f"{'the capturing participant' if holder == self.address else holder}"
            )
        if len(found) > 1:
            raise Refusal(
                f"{what}: {len(found)} batches of GTIN {key.gtin} lot {key.lot} (by different producers) "
                "are held by the capturing participant; the event cannot say which"
            )
        return found[0]


def apply(ctx: Overlay, position: int, effect: EventEffect) -> None:
    """Record what a mapped event changes, for the events after it."""
    for record, batch_id in zip(effect.records, effect.produced, strict=False):
        ctx.created[(record.gtin, record.lot)] = batch_id
        ctx.change(
            BatchFact(
                batch_id,
                record.gtin,
                record.lot,
                ctx.address,
                ctx.address,
                record.unit,
                record.quantity,
                record.quantity,
            )
        )
        for use in record.inputs:
            source = ctx.batch(use.batch_id)
            assert source is not None
            ctx.change(replace(source, remaining=source.remaining - use.quantity))
    for transfer in effect.transfers:
        source = ctx.batch(transfer.batch_id)
        assert source is not None
        ctx.change(replace(source, holder=transfer.to))
    ctx.produced[position] = effect.produced
