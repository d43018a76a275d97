"""Batches, their lineage, and trace graphs."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from decimal import Decimal

from pydantic import Field

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_BATCH_ID, Out, ParticipantRef, TxRefOut
from ledger import Batch, DocumentKind, FlagKind, Participant, Trace, TraceEdge, TraceLimit


class DocumentOut(Out):
    hash: str = Field(description="SHA-256 (or keccak) of the document, 0x-hex")
    kind: DocumentKind


class InputOut(Out):
    batch_id: str = Field(examples=[EXAMPLE_BATCH_ID])
    quantity: Decimal = Field(description="quantity of the input consumed, in the input's unit", examples=["12000"])


class CustodyOut(Out):
    from_address: str
    to_address: str
    remaining: Decimal = Field(description="quantity left when custody passed")
    tx: TxRefOut


class FlagOut(Out):
    kind: FlagKind
    reason: str
    active: bool = Field(description="raised since the last release")
    tx: TxRefOut


class BatchOut(Out):
    """A recorded batch. Quantities are decimal strings in the batch's UN/ECE Rec 20 unit."""

    id: str = Field(examples=[EXAMPLE_BATCH_ID])
    producer: str = Field(examples=[EXAMPLE_ADDRESS])
    gtin: str = Field(examples=["06931234000105"])
    lot: str = Field(examples=["HG-DG-25-B-1202"])
    hs_code: str = Field(examples=["620520"])
    quantity: Decimal = Field(examples=["40000"])
    unit: str = Field(examples=["H87"])
    facility: str = Field(description="GLN of the producing site", examples=["6931234000013"])
    produced_at: datetime | None = Field(
        description="production time; null if the recorded time lies outside the calendar (see produced_at_unix)"
    )
    produced_at_unix: int = Field(description="production time as recorded, unix seconds")
    process_emissions_kg: Decimal | None = Field(description="kg CO2e of this production step, if reported")
    holder: str = Field(description="who has custody now")
    remaining: Decimal = Field(description="quantity not yet consumed by other batches")
    inputs: list[InputOut]
    documents: list[DocumentOut]
    custody: list[CustodyOut]
    flags: list[FlagOut]
    recorded: TxRefOut = Field(description="the transaction that recorded the batch")
    index_problems: list[str] = Field(
        default=[],
        description="events about this batch the service could not read "
        "(normally none; each names its block and transaction)",
    )

    @classmethod
    def of(cls, b: Batch) -> BatchOut:
        active = {id(f) for f in b.active_flags}
        return cls(
            **{name: getattr(b, name) for name in SCALAR_FIELDS},
            inputs=[InputOut(batch_id=i.batch_id, quantity=i.quantity) for i in b.inputs],
            documents=[DocumentOut(hash=d.hash, kind=d.kind) for d in b.documents],
            custody=[
                CustodyOut(
                    from_address=c.from_address, to_address=c.to_address, remaining=c.remaining, tx=TxRefOut.of(c.tx)
                )
                for c in b.custody
            ],
            flags=[
                FlagOut(kind=f.kind, reason=f.reason, active=id(f) in active, tx=TxRefOut.of(f.tx)) for f in b.flags
            ],
            recorded=TxRefOut.of(b.recorded),
            index_problems=list(b.index_problems),
        )


#: The fields of `Batch` that `BatchOut` carries as they are (text, numbers, times); the others are built above.
#: `BatchOut` declares every field of `Batch` by hand, for its descriptions and examples, and
#: `tests/api/test_batch_fields.py` checks it against `dataclasses.fields(Batch)`.
SCALAR_FIELDS = tuple(
    f.name
    for f in fields(Batch)
    if f.name not in {"inputs", "documents", "custody", "flags", "recorded", "index_problems"}
)


class BatchDetail(BatchOut):
    producer_profile: ParticipantRef
    facility_subdivision: str | None = Field(description="ISO 3166-2 code of the producing site", examples=["CN-GD"])

    @classmethod
    def build(cls, b: Batch, producer: Participant) -> BatchDetail:
        subdivision = next((s.subdivision for s in producer.profile.sites if s.gln == b.facility), None)
        return cls(
            **BatchOut.of(b).model_dump(),
            producer_profile=ParticipantRef.of(producer),
            facility_subdivision=subdivision,
        )


class ConsumptionOut(Out):
    output_id: str
    quantity: Decimal = Field(description="quantity of this batch consumed by `output_id`, in this batch's unit")


#: The fields of `Batch` a trace node shows as they are, in `TraceNodeOut`'s order: `TraceNodeOut.of` and the fast
#: path (`api.trace_json`) both copy these (a trace node is a summary: the full batch is GET /batches/{id}).
TRACE_NODE_FIELDS = ("gtin", "lot", "hs_code", "quantity", "unit", "produced_at", "produced_at_unix")


class TraceNodeOut(Out):
    batch_id: str
    tier: int = Field(description="0 = the traced batch, 1 = its direct inputs, ...")
    gtin: str
    lot: str
    hs_code: str
    quantity: Decimal
    unit: str
    produced_at: datetime | None = Field(description="null if outside the calendar (see produced_at_unix)")
    produced_at_unix: int
    producer: ParticipantRef
    country: str = Field(examples=["CN"])
    subdivision: str | None = Field(examples=["CN-XJ"])
    consumed: list[ConsumptionOut] = Field(description="how much of this batch went into which traced batch")
    quantity_consumed: Decimal = Field(description="sum of `consumed`")
    documents: list[DocumentOut]
    flags: list[FlagOut]
    process_emissions_kg: Decimal | None
    recorded: TxRefOut


class TraceEdgeOut(Out):
    input_id: str
    output_id: str
    quantity: Decimal


class TraceOut(Out):
    root: str = Field(examples=[EXAMPLE_BATCH_ID])
    as_of_block: int = Field(description="the index block the trace was read at")
    truncated: bool = Field(description="the lineage continues beyond this trace (see `truncated_by`)")
    truncated_by: TraceLimit | None = Field(
        description="the bound that cut the lineage: `max_depth` (tiers) or `max_nodes` (batches per trace, "
        "API_MAX_TRACE_NODES); null when the trace reaches every raw material"
    )
    continue_from: list[str] = Field(
        description="traced batches whose inputs were not followed: trace each of them to continue the lineage "
        "(edges run only between traced batches, and only into batches whose inputs were followed)"
    )
    nodes: list[TraceNodeOut]
    edges: list[TraceEdgeOut]

    @classmethod
    def of(cls, trace: Trace) -> TraceOut:
        consumers = consumed_by(trace)
        nodes = []
        for n in trace.nodes:
            b = n.batch
            consumed = [ConsumptionOut(output_id=e.output_id, quantity=e.quantity) for e in consumers.get(b.id, ())]
            full = BatchOut.of(b)
            nodes.append(
                TraceNodeOut(
                    batch_id=b.id,
                    tier=n.depth,
                    **{name: getattr(b, name) for name in TRACE_NODE_FIELDS},
                    producer=ParticipantRef.of(n.producer),
                    country=n.producer.profile.country,
                    subdivision=n.facility_subdivision,
                    consumed=consumed,
                    quantity_consumed=sum((c.quantity for c in consumed), Decimal(0)),
                    documents=full.documents,
                    flags=full.flags,
                    process_emissions_kg=b.process_emissions_kg,
                    recorded=full.recorded,
                )
            )
        return cls(
            root=trace.root,
            as_of_block=trace.as_of_block,
            truncated=trace.truncated,
            truncated_by=trace.truncated_by,
            continue_from=list(trace.continue_from),
            nodes=nodes,
            edges=[TraceEdgeOut(input_id=e.input_id, output_id=e.output_id, quantity=e.quantity) for e in trace.edges],
        )


def consumed_by(trace: Trace) -> dict[str, list[TraceEdge]]:
    """The trace's edges grouped by input batch, in edge order: what each node's `consumed` lists (one pass)."""
    grouped: dict[str, list[TraceEdge]] = {}
    for edge in trace.edges:
        grouped.setdefault(edge.input_id, []).append(edge)
    return grouped
