"""EPCIS 2.0 over the ledger: capture (the REST binding's capture interface), queries and a batch's lineage as an
EPCIS document; the GS1 Digital Link resolver is `api/routes/resolver.py`. Thin routes over
`ledger.epcis.service.EpcisService`.

The service never holds a participant's key: the client maps the document with the facts the service gives
(`POST /capture/facts`), signs each write, and sends the document with the signed writes (`POST /capture`, 202 with
the job's Location); `GET /capture/{id}` reports the job, per event. Capturing is for the signed-in capturer itself
(facts and job results tell what the capturer may see); queries show the events of batches the caller may see.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response, status
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from api.deps import AccessDep, LedgerDep, MemberDep, SettingsDep
from api.problems import responses
from api.schemas.common import EXAMPLE_BATCH_ID
from api.schemas.epcis import CaptureFactsIn, CaptureIn, CaptureJobOut
from api.settings import ApiSettings
from ledger import EPCIS_LINEAGE_PER_PAGE as LINEAGE_PER_PAGE
from ledger import EPCIS_MAX_PER_PAGE as MAX_PER_PAGE
from ledger import TRACE_MIN_NODES as MIN_NODES
from ledger import Access, CaptureBounds, EpcisService, EventQuery, NotFoundError, ValidationError, Viewer


class CaptureIdConvertor(Convertor[str]):
    """A capture job's id (32 hex digits) in a path: `/capture/facts` is then no job's path, so `GET /capture/facts`
    is 405 with `Allow: POST` from the router itself instead of a 422 for the id `facts`."""

    regex = "[0-9a-f]{32}"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("capture_id", CaptureIdConvertor())  # Starlette's registry; the same entry each import
router = APIRouter(tags=["epcis"])
_LOCK = threading.Lock()
EPCIS_JSON = "application/ld+json"


def get_epcis(request: Request, ledger: LedgerDep) -> EpcisService:
    """One EPCIS service per app (its event store beside the ledger's index, and its capture queue), made at startup
    or on first use."""
    with _LOCK:
        service = getattr(request.app.state, "epcis", None)
        if service is None or service.ledger is not ledger:
            service = request.app.state.epcis = EpcisService(ledger, bounds=capture_bounds(request.app.state.settings))
        return service  # type: ignore[no-any-return]


def capture_bounds(settings: ApiSettings) -> CaptureBounds:
    """What one capture request and one member may ask of the service, from the settings (named in the refusals)."""
    return CaptureBounds(
        max_events=settings.max_capture_events,
        max_requests=settings.max_capture_requests,
        max_unfinished=settings.max_capture_jobs,
        names={
            "max_events": "API_MAX_CAPTURE_EVENTS",
            "max_requests": "API_MAX_CAPTURE_REQUESTS",
            "max_unfinished": "API_MAX_CAPTURE_JOBS",
        },
    )


EpcisDep = Annotated[EpcisService, Depends(get_epcis)]
BatchIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_BATCH_ID])]


def _require_capturer(viewer: Viewer, capturer: str) -> None:
    """Capturing is the capturer's own business (and the admin's): anyone else is told nothing."""
    if not viewer.admin and (viewer.address or "").lower() != capturer.lower():
        raise NotFoundError("capture facts and jobs are for the capturer itself: sign in with its key")


def _may_see(access: Access, viewer: Viewer) -> Any:
    return lambda batch_id: access.may_see_batch(viewer, batch_id)


@router.post(
    "/capture/facts",
    summary="What mapping a document needs of the chain",
    responses=responses(401, 404, 413, 422, 429, 503),
)
def capture_facts(epcis: EpcisDep, viewer: MemberDep, body: CaptureFactsIn) -> dict[str, Any]:
    """The answers the mapping of this document needs (the capturer's sites and party GLN, the parties and batches
    it names, the events captured before, the capturer's nonce), as the capturer may see them. Map the document with
    them, sign each write, and `POST /capture`. Nothing is written. For the signed-in capturer only. One document
    of a capturer is read at a time (429 meanwhile), of at most API_MAX_CAPTURE_EVENTS events (413)."""
    _require_capturer(viewer, body.capturer)
    return epcis.facts(body.document, body.capturer).to_json()


@router.post(
    "/capture",
    response_model=CaptureJobOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Capture an EPCIS document (signed writes)",
    responses=responses(401, 403, 404, 413, 422, 429, 503),
)
def post_capture(epcis: EpcisDep, viewer: MemberDep, body: CaptureIn, response: Response) -> dict[str, Any]:
    """Validate the document against the EPCIS 2.0 JSON Schema and every signature, then queue the capture: the job
    maps the document again and relays the signed writes only if each is exactly the write the mapping gives. The
    same body again answers the same job, recognised by its digest before anything is read or checked again. For the
    signed-in capturer only. Bounds: API_MAX_CAPTURE_EVENTS events and API_MAX_CAPTURE_REQUESTS signed requests
    (413 past either), API_MAX_CAPTURE_JOBS captures queued or running per member (429 with Retry-After); each
    member's jobs run in a lane of their own, one after another."""
    _require_capturer(viewer, body.capturer)
    job, _new = epcis.submit(body.to_json())
    response.headers["Location"] = f"/capture/{job.id}"
    return job.to_json()


@router.get(
    "/capture/{capture_id:capture_id}",
    response_model=CaptureJobOut,
    summary="A capture job, per event",
    responses=responses(401, 404, 422, 503),
)
def get_capture(
    epcis: EpcisDep,
    viewer: MemberDep,
    capture_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the job id")],
) -> dict[str, Any]:
    """The job's state and, per event, its result: recorded with its transactions, acknowledged, a duplicate (with
    the first capture's result), or refused with the reason; the root the events' hashes are committed under and
    each event's proof. For its capturer (and admins); to anyone else an unknown job."""
    job = epcis.job(capture_id)
    try:
        _require_capturer(viewer, job.capturer)
    except NotFoundError:
        raise NotFoundError(f"no capture job {capture_id}") from None
    return job.to_json()


@router.get(
    "/events",
    summary="EPCIS query: the events of batches you may see",
    responses={
        **responses(401, 422, 503),
        200: {
            "content": {EPCIS_JSON: {"schema": {"type": "object"}}},
            "description": 'an EPCISQueryDocument; a `Link: <...>; rel="next"` header when more may follow',
        },
    },
)
def query_events(
    request: Request,
    epcis: EpcisDep,
    viewer: MemberDep,
    access: AccessDep,
    eventType: Annotated[
        str | None,
        Query(
            max_length=200,
            description="ObjectEvent, "
            "AggregationEvent, TransactionEvent, TransformationEvent, "
            "AssociationEvent (several: separated by |)",
        ),
    ] = None,
    perPage: Annotated[int | None, Query(ge=1, le=500)] = None,
    nextPageToken: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """EPCIS 2.0 query parameters that fit the ledger: `eventType`, `GE_eventTime`, `LT_eventTime`, `EQ_bizStep`,
    `EQ_bizLocation`, `MATCH_epcClass`, `MATCH_anyEPC`, `EQ_eventID`, `perPage`, `nextPageToken` (several values of
    one parameter separated by `|`). Any other parameter is refused. Events come in capture order; an event is shown
    when a batch it makes, moves or flags is one you may see."""
    # the three parameters above are declared for the OpenAPI description; every parameter is read (and checked) here
    params = {name: request.query_params.getlist(name) for name in request.query_params}
    page = epcis.events(EventQuery.from_params(params), _may_see(access, viewer))
    return JSONResponse(page.document, media_type=EPCIS_JSON, headers=_next(request, page.next_page_token))


def _next(request: Request, token: str | None) -> dict[str, str]:
    """The REST binding's `Link: <...>; rel="next"` header to the next page, if one follows."""
    if token is None:
        return {}
    following = request.url.include_query_params(nextPageToken=token)
    return {"Link": f'<{following.path}?{following.query}>; rel="next"'}


@router.get(
    "/batches/{batch_id}/epcis",
    summary="A batch's lineage as an EPCIS 2.0 document",
    responses={
        **responses(401, 404, 422, 503),
        200: {"content": {EPCIS_JSON: {"schema": {"type": "object"}}}, "description": "an EPCISDocument"},
    },
)
def batch_lineage(
    request: Request,
    batch_id: BatchIdPath,
    epcis: EpcisDep,
    viewer: MemberDep,
    access: AccessDep,
    settings: SettingsDep,
    max_depth: Annotated[
        int | None, Query(ge=1, description="tiers to follow (default and cap: API_MAX_TRACE_DEPTH)")
    ] = None,
    max_nodes: Annotated[
        int | None, Query(ge=MIN_NODES, description="batches to follow (default and cap: API_MAX_TRACE_NODES)")
    ] = None,
    perPage: Annotated[
        int | None, Query(ge=1, le=MAX_PER_PAGE, description=f"events per page (default {LINEAGE_PER_PAGE})")
    ] = None,
    nextPageToken: Annotated[
        str | None, Query(max_length=400, description='from the previous page\'s `Link: <...>; rel="next"` header')
    ] = None,
) -> Response:
    """The events that made, moved, flagged and observed the batch and every batch upstream of it, as captured
    (their hashes unchanged) or synthesised from the chain for batches recorded without EPCIS, by time, a page at a
    time (`Link: <...>; rel="next"` while more follow). The lineage is bounded as the trace is: past
    `max_nodes` batches or `max_depth` tiers the document's `ledger:truncated` names the bound and the batches to
    continue from (export each of them)."""
    if max_depth is not None and max_depth > settings.max_trace_depth:
        raise ValidationError(f"max_depth must be at most {settings.max_trace_depth}", field="max_depth")
    if max_nodes is not None and max_nodes > settings.max_trace_nodes:
        raise ValidationError(f"max_nodes must be at most {settings.max_trace_nodes}", field="max_nodes")
    checked = access.require_batch(viewer, batch_id)
    page = epcis.lineage(
        checked,
        _may_see(access, viewer),
        max_depth=max_depth or settings.max_trace_depth,
        max_nodes=max_nodes or settings.max_trace_nodes,
        per_page=perPage,
        page_token=nextPageToken,
    )
    return JSONResponse(page.document, media_type=EPCIS_JSON, headers=_next(request, page.next_page_token))
