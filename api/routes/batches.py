"""Batches: search, detail, upstream trace (buyers); record, custody, flags (factories, signed)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status
from fastapi.responses import PlainTextResponse

from api.deps import AccessDep, LedgerDep, MemberDep, SettingsDep
from api.paging import filtered_page, page_size
from api.problems import responses
from api.relay import IDEMPOTENCY_DESCRIPTION, relay, same_id
from api.render import trace_dot, trace_mermaid
from api.schemas.batches import BatchDetail, BatchOut, TraceOut
from api.schemas.common import EXAMPLE_BATCH_ID, LOT_PATTERN, Page, decode_cursor
from api.schemas.writes import SignedRequestIn, WriteResult
from api.trace_json import TRACE_JSON
from ledger import DIGITAL_LINK_MAX_LABEL_CHARS as MAX_LABEL_CHARS
from ledger import TRACE_MIN_NODES as MIN_NODES
from ledger import ValidationError, product_key

router = APIRouter(prefix="/batches", tags=["batches"])
BatchIdPath = Annotated[
    str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="0x + 64 hex digits", examples=[EXAMPLE_BATCH_ID])
]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=255, description=IDEMPOTENCY_DESCRIPTION)
]
WRITE_ERRORS = responses(400, 403, 404, 409, 422, 429, 503, 504)


@router.get("", response_model=Page[BatchOut], summary="Search batches", responses=responses(401, 422, 503))
def search_batches(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: MemberDep,
    access: AccessDep,
    gtin: Annotated[
        str | None,
        Query(
            max_length=MAX_LABEL_CHARS,
            description="GTIN-8/12/13/14, or a GS1 Digital "
            "Link URI or scanned element string (`(01)...(10)...`) that may carry the lot",
            examples=["06931234000105"],
        ),
    ] = None,
    lot: Annotated[
        str | None, Query(max_length=20, description="GS1 AI(10) lot", json_schema_extra={"pattern": LOT_PATTERN})
    ] = None,
    producer: Annotated[str | None, Query(max_length=42, description="producer address")] = None,
    country: Annotated[str | None, Query(max_length=2, description="producer's ISO 3166-1 country")] = None,
    limit: Annotated[int | None, Query(ge=1, description="page size (capped, see API_MAX_PAGE_SIZE)")] = None,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")] = None,
) -> Page[BatchOut]:
    """Batches the caller may see matching every given filter, newest first, with cursor pagination (a page may hold
    fewer than `limit` when little matches: go on while `next_cursor` is not null)."""
    size, after = page_size(limit, settings), decode_cursor(cursor)
    if gtin is not None:
        gtin, lot = product_key(gtin, lot)
    return filtered_page(
        lambda after, count: ledger.search_batches(
            gtin=gtin, lot=lot, producer=producer, country=country, after=after, limit=count
        ),
        lambda batch: BatchOut.of(batch) if access.may_see_batch(viewer, batch.id) else None,
        size,
        after,
    )


@router.get("/{batch_id}", response_model=BatchDetail, summary="One batch", responses=responses(401, 404, 422, 503))
def get_batch(ledger: LedgerDep, viewer: MemberDep, access: AccessDep, batch_id: BatchIdPath) -> BatchDetail:
    """The batch, its producer, inputs, documents, custody chain, flags and the transaction that recorded it: for its
    producer, its holders and those downstream of it (404 for anyone else, as for a batch that does not exist)."""
    batch = ledger.batch(access.require_batch(viewer, batch_id))
    return BatchDetail.build(batch, ledger.participant(batch.producer))


TRACE_CONTENT = {
    "text/vnd.mermaid": {"schema": {"type": "string"}, "example": "graph BT\n  b0[...]"},
    "text/vnd.graphviz": {"schema": {"type": "string"}, "example": "digraph trace { ... }"},
}


@router.get(
    "/{batch_id}/trace",
    response_model=TraceOut,
    summary="Upstream lineage",
    responses={
        **responses(401, 404, 422, 503),
        200: {"content": TRACE_CONTENT, "description": "JSON, Mermaid or Graphviz DOT"},
    },
)
def trace_batch(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: MemberDep,
    access: AccessDep,
    batch_id: BatchIdPath,
    max_depth: Annotated[
        int | None, Query(ge=1, description="tiers to follow (default and cap: API_MAX_TRACE_DEPTH)")
    ] = None,
    max_nodes: Annotated[
        int | None, Query(ge=MIN_NODES, description="batches to follow (default and cap: API_MAX_TRACE_NODES)")
    ] = None,
    format: Annotated[Literal["json", "mermaid", "dot"], Query(description="json, mermaid or dot")] = "json",
) -> TraceOut | Response:
    """Every batch upstream of this one (for whoever may see it), as nodes (batch, producer, country, quantity
    consumed, documents, flags, process emissions) and edges (input -> output with the quantity consumed).

    A lineage deeper than `max_depth` tiers or larger than `max_nodes` batches answers a truncated trace:
    `truncated_by` names the bound and `continue_from` the batches whose inputs were not followed; trace each of
    them to continue."""
    if max_depth is not None and max_depth > settings.max_trace_depth:
        raise ValidationError(f"max_depth must be at most {settings.max_trace_depth}", field="max_depth")
    if max_nodes is not None and max_nodes > settings.max_trace_nodes:
        raise ValidationError(f"max_nodes must be at most {settings.max_trace_nodes}", field="max_nodes")
    checked = access.require_batch(viewer, batch_id)  # who sees a batch sees everything upstream of it
    trace = ledger.trace(checked, max_depth or settings.max_trace_depth, max_nodes or settings.max_trace_nodes)
    if format == "mermaid":
        return PlainTextResponse(trace_mermaid(trace), media_type="text/vnd.mermaid")
    if format == "dot":
        return PlainTextResponse(trace_dot(trace), media_type="text/vnd.graphviz")
    return Response(TRACE_JSON.render(trace), media_type="application/json")  # what TraceOut.of(trace) gives


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Record batches (signed)",
    responses=WRITE_ERRORS,
)
def record_batches(
    ledger: LedgerDep, body: SignedRequestIn, response: Response, idempotency_key: IdempotencyKey = None
) -> WriteResult:
    """A factory records one batch (`recordBatch`), several at once (`recordBatches`), or brings one of its anchored
    records on chain (`claimAnchoredBatch`), signed with its own key. `created` lists the new batch ids."""
    return relay(
        ledger,
        body,
        route="POST /batches",
        functions={"recordBatch", "recordBatches", "claimAnchoredBatch"},
        key=idempotency_key,
        response=response,
    )


@router.post(
    "/{batch_id}/custody",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Hand over custody (signed)",
    responses=WRITE_ERRORS,
)
def transfer_custody(
    ledger: LedgerDep,
    batch_id: BatchIdPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """The holder passes custody of the batch to another participant (`transferCustody`)."""
    return relay(
        ledger,
        body,
        route=f"POST /batches/{batch_id}/custody",
        functions={"transferCustody"},
        key=idempotency_key,
        response=response,
        check=same_id("batchId", batch_id, "batch"),
    )


@router.post(
    "/{batch_id}/flags",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Flag a batch (signed)",
    responses=WRITE_ERRORS,
)
def flag_batch(
    ledger: LedgerDep,
    batch_id: BatchIdPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """The producer raises a recall or quality hold, or releases them (`flagBatch`)."""
    return relay(
        ledger,
        body,
        route=f"POST /batches/{batch_id}/flags",
        functions={"flagBatch"},
        key=idempotency_key,
        response=response,
        check=same_id("batchId", batch_id, "batch"),
    )
