"""The demo supply chain captured from the EPCIS documents it ships gives the native demo's traces and reports."""

from __future__ import annotations

import json
from typing import Any

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.demo.epcis import DOCUMENTS, capture_as, document_text, seed_demo_epcis
from ledger.diligence import due_diligence
from ledger.domain.types import Batch, Trace
from ledger.epcis import schema
from ledger.epcis.document import load
from ledger.epcis.hashing import event_hashes
from ledger.epcis.query import EventQuery
from ledger.epcis.service import EpcisService


def batch_view(b: Batch) -> tuple[Any, ...]:
    """What a trace shows of a batch, but when it was made and which transaction recorded it; documents by kind
    (standard references are hashed from their URIs)."""
    return (
        b.id,
        b.producer,
        b.gtin,
        b.lot,
        b.hs_code,
        b.quantity,
        b.unit,
        b.facility,
        b.process_emissions_kg,
        b.inputs,
        sorted(d.kind.value for d in b.documents),
        b.holder,
        b.remaining,
        [(c.from_address, c.to_address, c.remaining) for c in b.custody],
        [(f.kind, f.reason) for f in b.flags],
    )


def trace_view(trace: Trace) -> tuple[Any, ...]:
    return (
        [(n.depth, n.producer.address, n.facility_subdivision, batch_view(n.batch)) for n in trace.nodes],
        trace.edges,
    )


def test_the_demo_captured_from_epcis_documents_gives_the_native_traces_and_reports(
    demo: tuple[Ledger, DemoWorld], embedded_ledger: Ledger
) -> None:
    native, native_world = demo
    service = EpcisService(embedded_ledger, worker=False)
    world, jobs = seed_demo_epcis(embedded_ledger, service)
    assert [j.counts() for j in jobs] == [
        {"recorded": 2},
        {"recorded": 2},
        {"acknowledged": 2, "recorded": 4},
        {"recorded": 4},
        {"recorded": 4},
    ]
    assert world.batches == native_world.batches
    for key, batch_id in world.batches.items():
        assert batch_view(embedded_ledger.batch(batch_id)) == batch_view(native.batch(batch_id)), key
    for root in (world.passing_batch, world.flagged_batch):
        assert trace_view(embedded_ledger.trace(root)) == trace_view(native.trace(root))
        mine, theirs = due_diligence(embedded_ledger, root), due_diligence(native, root)
        assert mine.verdict == theirs.verdict
        assert [(f.rule, f.severity, f.batch_id) for f in mine.findings] == [
            (f.rule, f.severity, f.batch_id) for f in theirs.findings
        ]
        assert mine.footprint.total_kg == theirs.footprint.total_kg
    lineage = service.lineage(world.flagged_batch, lambda _b: True).document
    assert schema.problem(lineage) is None
    # per batch upstream of garments B: commissioning, shipping, receipt of each lint; making and shipping of yarn B,
    # fabric B (shipped with fabric A in one event, then put on hold) and the garments
    assert len(lineage["epcisBody"]["eventList"]) == 13
    captured = [h.value for name, _ in DOCUMENTS for h in event_hashes(load(document_text(name)))]
    served = service.events(EventQuery(per_page=100), lambda _b: True).document
    assert [h.value for h in event_hashes(load(json.dumps(served)))] == captured
    # docs/epcis.md's example: a new lot of the Gujarat gin, shipped to the spinning mill
    tried = capture_as(service, world, "gin-gujarat", document_text("try-new-lot-gin-gujarat.jsonld"))
    assert [r.status.value for r in tried.results] == ["recorded", "recorded"]
    service.store.close()
