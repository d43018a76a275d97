"""Cradle-to-gate carbon footprint rolled up along a batch's lineage.

For each batch b of the trace:

    footprint(b)          = own(b) + sum over inputs i of b:  per_unit(i) * quantity of i consumed by b
    per_unit(b)           = footprint(b) / quantity(b)                 (kg CO2e per unit of b's unit)

where own(b) is the process emissions b's producer reported for that step (0 when none was reported).

Data coverage says how much of that roll-up rests on reported figures. Each production step s in the lineage is
weighted by its *attribution* a(s): the fraction of s's output that ends up in the traced batch (1 for the batch
itself; for an input, the sum over the batches it feeds of a(output) * consumed / quantity(input)). Then

    data_coverage = sum of a(s) over steps that reported emissions / sum of a(s) over all steps

so 1.0 means every step that contributed material reported its emissions; a step that reported nothing counts as
0 kg in the footprint, which is then a lower bound. A trace cut at its depth limit is marked `truncated`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from ledger.domain.types import BatchId, Trace, TraceNode

QUANTUM = Decimal("0.001")


@dataclass(frozen=True)
class StepFootprint:
    batch_id: BatchId
    own_kg: Decimal | None  # None: the step reported no emissions
    total_kg: Decimal  # this batch's whole cradle-to-gate footprint
    per_unit_kg: Decimal
    unit: str
    attribution: Decimal  # share of this step's output that ends up in the traced batch
    attributed_kg: Decimal  # this step's own emissions attributed to the traced batch


@dataclass(frozen=True)
class Footprint:
    batch_id: BatchId
    total_kg: Decimal
    per_unit_kg: Decimal
    unit: str
    data_coverage: Decimal  # 0..1, see the module docstring
    steps_without_data: tuple[BatchId, ...]
    steps: tuple[StepFootprint, ...]
    truncated: bool


def _q(value: Decimal) -> Decimal:
    return value.quantize(QUANTUM)


def roll_up(trace: Trace) -> Footprint:
    """The cradle-to-gate footprint of `trace.root`, from the trace's nodes and edges."""
    nodes: dict[str, TraceNode] = {n.batch.id: n for n in trace.nodes}
    inputs: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    outputs: dict[str, list[tuple[str, Decimal]]] = defaultdict(list)
    for edge in trace.edges:
        if edge.input_id in nodes and edge.output_id in nodes:
            inputs[edge.output_id].append((edge.input_id, edge.quantity))
            outputs[edge.input_id].append((edge.output_id, edge.quantity))

    totals: dict[str, Decimal] = {}

    def total(batch_id: str, path: frozenset[str] = frozenset()) -> Decimal:
        if batch_id in totals:
            return totals[batch_id]
        if batch_id in path:  # a cycle cannot be recorded on chain; guard anyway
            return Decimal(0)
        batch = nodes[batch_id].batch
        value = batch.process_emissions_kg or Decimal(0)
        for input_id, consumed in inputs[batch_id]:
            value += total(input_id, path | {batch_id}) / nodes[input_id].batch.quantity * consumed
        totals[batch_id] = value
        return value

    attribution: dict[str, Decimal] = {}

    def attributed(batch_id: str, path: frozenset[str] = frozenset()) -> Decimal:
        if batch_id == trace.root:
            return Decimal(1)
        if batch_id in attribution:
            return attribution[batch_id]
        if batch_id in path:
            return Decimal(0)
        quantity = nodes[batch_id].batch.quantity
        value = sum(
            (attributed(out, path | {batch_id}) * consumed / quantity for out, consumed in outputs[batch_id]),
            Decimal(0),
        )
        attribution[batch_id] = value
        return value

    steps = []
    for node in trace.nodes:
        b = node.batch
        share = attributed(b.id)
        steps.append(
            StepFootprint(
                b.id,
                b.process_emissions_kg,
                _q(total(b.id)),
                _q(total(b.id) / b.quantity),
                b.unit,
                share.quantize(Decimal("0.000001")),
                _q((b.process_emissions_kg or Decimal(0)) * share),
            )
        )
    weight = sum((attributed(n.batch.id) for n in trace.nodes), Decimal(0))
    backed = sum((attributed(n.batch.id) for n in trace.nodes if n.batch.process_emissions_kg is not None), Decimal(0))
    root = nodes[trace.root].batch
    return Footprint(
        batch_id=trace.root,
        total_kg=_q(total(trace.root)),
        per_unit_kg=_q(total(trace.root) / root.quantity),
        unit=root.unit,
        data_coverage=(backed / weight).quantize(Decimal("0.0001")) if weight else Decimal(0),
        steps_without_data=tuple(n.batch.id for n in trace.nodes if n.batch.process_emissions_kg is None),
        steps=tuple(steps),
        truncated=trace.truncated,
    )
