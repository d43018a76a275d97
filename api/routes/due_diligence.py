"""Due diligence: a batch's lineage checked against the buyer's policy, as JSON or a printable HTML page."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError as PydanticValidationError

from api.deps import AccessDep, LedgerDep, MemberDep, SettingsDep
from api.evidence import ListsDep, OptionalVaultDep
from api.limits import JsonTooDeepError, json_too_deep, too_deep_detail
from api.problems import responses
from api.render import report_html
from api.schemas.common import EXAMPLE_BATCH_ID
from api.schemas.diligence import DueDiligenceRequest, PolicyIn, ReportOut
from api.settings import ApiSettings
from ledger import (
    Access,
    Ledger,
    ScreeningLists,
    ValidationError,
    Vault,
    Viewer,
    due_diligence,
    gtin_and_lot,
    regimes_of,
)

router = APIRouter(prefix="/due-diligence", tags=["due diligence"])
HTML_CONTENT = {"text/html": {"schema": {"type": "string"}, "example": "<!doctype html>…"}}
EXAMPLES = {
    "by id, default policy": {"value": {"batch_id": EXAMPLE_BATCH_ID}},
    "by label, strict policy": {
        "value": {
            "gtin": "06931234000105",
            "lot": "HG-DG-25-B-1202",
            "policy": {
                "reject_regions": ["CN-XJ"],
                "review_regions": ["MM", "KP"],
                "required_frameworks": ["GRI", "ESRS"],
                "max_disclosure_age_days": 365,
                "required_assurance": "limited",
                "required_documents": {"raw": ["certificate", "plot_geolocation"], "0": ["packing_list"]},
                "reject_flagged": True,
                "max_footprint_per_unit_kg": "5",
            },
        }
    },
    "with rule packs, as of a date": {
        "value": {
            "gtin": "09553234000106",
            "lot": "SMG-26-B-1502",
            "regimes": ["EUDR", "EU_FLR"],
            "as_of": "2027-01-15",
        }
    },
}


def _report(
    ledger: Ledger,
    settings: ApiSettings,
    viewer: Viewer,
    access: Access,
    body: DueDiligenceRequest,
    vault: Vault | None,
    lists: ScreeningLists | None,
) -> ReportOut:
    """The report on a batch the viewer may see (who sees a batch sees its whole upstream lineage)."""
    max_depth = body.max_depth or settings.max_trace_depth
    if max_depth > settings.max_trace_depth:
        raise ValidationError(f"max_depth must be at most {settings.max_trace_depth}", field="max_depth")
    if body.batch_id is not None:
        batch_id = access.require_batch(viewer, body.batch_id)
    else:
        assert body.gtin is not None
        batch_id = access.find_batch(viewer, *gtin_and_lot(body.gtin, body.lot), body.producer)
    report = due_diligence(
        ledger,
        batch_id,
        body.policy.to_domain(),
        max_depth=max_depth,
        max_nodes=settings.max_trace_nodes,
        as_of_block=body.as_of_block,
        regimes=body.regimes,
        as_of=body.as_of,
        vault=vault,
        lists=lists,
    )
    return ReportOut.of(report)


def _wants_html(request: Request) -> bool:
    """HTML when the client asks for text/html before (or without) application/json."""
    accept = request.headers.get("accept", "").lower()
    html, json_ = accept.find("text/html"), accept.find("application/json")
    return html >= 0 and (json_ < 0 or html < json_)


@router.post(
    "",
    response_model=ReportOut,
    summary="Due-diligence report",
    responses={
        **responses(400, 401, 404, 422, 503),
        200: {"content": HTML_CONTENT, "description": "the report (JSON, or HTML on Accept: text/html)"},
    },
    openapi_extra={"requestBody": {"content": {"application/json": {"examples": EXAMPLES}}}},
)
def post_due_diligence(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: MemberDep,
    access: AccessDep,
    vault: OptionalVaultDep,
    lists: ListsDep,
    body: DueDiligenceRequest,
    request: Request,
) -> ReportOut | Response:
    """The verdict (PASS / REVIEW / FAIL), findings with their on-chain evidence, a supply-chain summary and the
    cradle-to-gate footprint, all as of one block (`as_of_block`): the same request at the same block gives the same
    report. With `regimes`, one section per regime's rule pack (its verdict, each rule's outcome, findings citing
    their evidence and article), the law applied as of `as_of`. `Accept: text/html` gives a printable page. For
    members who may see the batch (its producer, holders and those downstream of it); anyone else gets 404, as for a
    batch that does not exist."""
    report = _report(ledger, settings, viewer, access, body, vault, lists)
    return HTMLResponse(report_html(report)) if _wants_html(request) else report


@router.get(
    "/{batch_id}",
    response_model=ReportOut,
    summary="Due-diligence report (printable)",
    responses={
        **responses(401, 404, 422, 503),
        200: {"content": HTML_CONTENT, "description": "HTML unless format=json"},
    },
)
def get_due_diligence(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: MemberDep,
    access: AccessDep,
    vault: OptionalVaultDep,
    lists: ListsDep,
    request: Request,
    batch_id: Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", examples=[EXAMPLE_BATCH_ID])],
    policy: Annotated[
        str | None, Query(max_length=20_000, description="the policy as JSON (see POST); default policy if omitted")
    ] = None,
    max_depth: Annotated[int | None, Query(ge=1, le=256)] = None,
    as_of_block: Annotated[int | None, Query(ge=0)] = None,
    regimes: Annotated[
        str | None,
        Query(max_length=200, description="rule packs, comma-separated (GET /regimes)", examples=["EUDR,UFLPA"]),
    ] = None,
    as_of: Annotated[date | None, Query(description="the date the regimes' rules are applied at")] = None,
    format: Annotated[Literal["html", "json"] | None, Query(description="default: html for browsers")] = None,
) -> ReportOut | Response:
    """The report for a link or a browser: the policy travels URL-encoded as JSON in `policy`."""
    if policy and json_too_deep(policy, settings.max_json_depth):
        raise JsonTooDeepError(too_deep_detail(settings.max_json_depth), field="policy")
    try:
        parsed = PolicyIn.model_validate_json(policy) if policy else PolicyIn()
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        raise ValidationError(
            f"policy: {where + ': ' if where else ''}{first.get('msg')}", field=f"policy.{where}" if where else "policy"
        ) from None
    chosen = list(regimes_of([r for r in (regimes or "").split(",") if r.strip()]))
    body = DueDiligenceRequest(
        batch_id=batch_id, policy=parsed, max_depth=max_depth, as_of_block=as_of_block, regimes=chosen, as_of=as_of
    )
    report = _report(ledger, settings, viewer, access, body, vault, lists)
    html = format == "html" or (format is None and _wants_html(request))
    return HTMLResponse(report_html(report)) if html else report


def policy_query(policy: PolicyIn) -> str:
    """The `policy` query value of a GET link for `policy`."""
    return json.dumps(policy.model_dump(mode="json", exclude_defaults=True), separators=(",", ":"))
