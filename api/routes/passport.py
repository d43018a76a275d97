"""The product passport: what anyone (a consumer who scanned a label) may know of a batch, without suppliers' names,
sites or addresses."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import Field

from api.deps import LedgerDep, SettingsDep
from api.problems import responses
from api.render import quantity_text
from api.render import unit_name as spoken_unit
from api.schemas.common import EXAMPLE_BATCH_ID, Out
from ledger import Verdict, due_diligence

router = APIRouter(tags=["passport"])


class PassportOut(Out):
    """Public facts of a batch, as of one block."""

    batch_id: str = Field(examples=[EXAMPLE_BATCH_ID])
    gtin: str
    lot: str
    quantity: Decimal
    unit: str = Field(description="UN/ECE Rec 20 code, e.g. H87")
    unit_name: str = Field(description="the unit as a person reads it, e.g. piece (the code itself when unknown)")
    produced_at: datetime | None
    producer_country: str = Field(description="ISO 3166-1 country of the producer (no name, site or address)")
    tiers: int = Field(description="production tiers traced, this batch included")
    batches_traced: int
    fully_traced: bool = Field(
        description="every upstream tier is recorded on chain, down to raw materials (no lineage cut short)"
    )
    verdict: Verdict = Field(description="against the default due-diligence policy (see the API's documentation)")
    footprint_per_unit_kg: Decimal = Field(description="cradle-to-gate kg CO2e per unit of the batch")
    footprint_coverage: Decimal = Field(description="share of the lineage backed by reported emissions (0 to 1)")
    as_of_block: int


@router.get(
    "/batches/{batch_id}/passport",
    response_model=PassportOut,
    summary="Product passport (public)",
    responses={
        **responses(404, 422, 503),
        200: {
            "content": {"text/html": {"schema": {"type": "string"}}},
            "description": "JSON, or a page on Accept: text/html",
        },
    },
)
def passport(
    ledger: LedgerDep,
    settings: SettingsDep,
    request: Request,
    batch_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_BATCH_ID])],
) -> PassportOut | Response:
    """For anyone: the product, its producer's country, whether its whole lineage is on chain, its verdict under the
    default policy and its cradle-to-gate footprint. Suppliers' names, sites and addresses are for members only."""
    report = due_diligence(ledger, batch_id, max_depth=settings.max_trace_depth, max_nodes=settings.max_trace_nodes)
    b, s, f = report.batch, report.summary, report.footprint
    out = PassportOut(
        batch_id=b.id,
        gtin=b.gtin,
        lot=b.lot,
        quantity=b.quantity,
        unit=b.unit,
        unit_name=spoken_unit(b.unit),
        produced_at=b.produced_at,
        producer_country=report.producer.profile.country,
        tiers=s.tiers,
        batches_traced=s.batches,
        fully_traced=not s.truncated,
        verdict=report.verdict,
        footprint_per_unit_kg=f.per_unit_kg,
        footprint_coverage=f.data_coverage,
        as_of_block=report.as_of_block,
    )
    if "text/html" in request.headers.get("accept", "") and "application/json" not in request.headers.get("accept", ""):
        return HTMLResponse(_page(out))
    return out


def _page(p: PassportOut) -> str:
    traced = "fully traced on chain to its raw materials" if p.fully_traced else "traced on chain, lineage cut short"
    return f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Product passport</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:36em;margin:2em auto;color:#222}}</style></head><body>
<h1>Product passport</h1>
<p>GTIN {escape(p.gtin)} · lot {escape(p.lot)} · {escape(quantity_text(p.quantity, p.unit))},
made in {escape(p.producer_country)}.</p>
<p>{p.tiers} production tiers, {p.batches_traced} batches, {traced}.</p>
<p>Due diligence under the default policy: <b>{p.verdict.value}</b>.</p>
<p>Cradle-to-gate footprint: <b>{p.footprint_per_unit_kg} kg CO2e per {escape(p.unit_name)}</b>
({p.footprint_coverage:.0%} backed by reported emissions).</p>
<p style="color:#666">As of block {p.as_of_block}.</p></body></html>
"""
