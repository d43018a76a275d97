"""ESG disclosures: list, export, full history (everyone); publish, amend, attest, revoke (signed)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Header, Path, Query, Response, status

from api.deps import AccessDep, LedgerDep, SettingsDep, ViewerDep
from api.paging import filtered_page, page_size
from api.problems import responses
from api.relay import IDEMPOTENCY_DESCRIPTION, relay, same_id
from api.schemas.common import Page, decode_cursor
from api.schemas.disclosures import DisclosureOut, DisclosureSummary
from api.schemas.writes import SignedRequestIn, WriteResult
from ledger import Disclosure

router = APIRouter(prefix="/disclosures", tags=["disclosures"])
DisclosureIdPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{64}$", description="0x + 64 hex digits")]
IdempotencyKey = Annotated[
    str | None, Header(alias="Idempotency-Key", max_length=255, description=IDEMPOTENCY_DESCRIPTION)
]
Participant = Annotated[str | None, Query(max_length=42, description="the disclosing participant's address")]
Period = Annotated[str | None, Query(max_length=7, description="2025, 2025-H1 or 2025-Q3")]
Framework = Annotated[str | None, Query(max_length=5, description="GRI, ESRS or ISSB")]
WRITE_ERRORS = responses(400, 403, 404, 409, 422, 429, 503, 504)
EXPORT_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}
    },
}


@router.get("", response_model=Page[DisclosureSummary], summary="List disclosures", responses=responses(422, 503))
def list_disclosures(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: ViewerDep,
    access: AccessDep,
    participant: Participant = None,
    period: Period = None,
    framework: Framework = None,
    attested: Annotated[
        bool | None, Query(description="only disclosures whose latest version is (not) attested")
    ] = None,
    limit: Annotated[int | None, Query(ge=1, description="page size (capped)")] = None,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[DisclosureSummary]:
    """Disclosures in the order they were first published, with cursor pagination: every one for members, the public
    ones for anonymous callers."""
    size, after = page_size(limit, settings), decode_cursor(cursor)

    def keep(disclosure: Disclosure) -> DisclosureSummary | None:
        summary = DisclosureSummary.of(disclosure)
        if not access.may_see_disclosure(viewer, disclosure) or (attested is not None and summary.audited != attested):
            return None
        return summary

    return filtered_page(
        lambda after, count: ledger.disclosure_page(
            participant=participant, period=period, framework=framework, after=after, limit=count
        ),
        keep,
        size,
        after,
    )


@router.get(
    "/export",
    summary="Export disclosures (CSV, JSON, XLSX)",
    responses={**responses(422, 501, 503), 200: {"content": EXPORT_CONTENT, "description": "the export file"}},
)
def export_disclosures(
    ledger: LedgerDep,
    viewer: ViewerDep,
    access: AccessDep,
    format: Annotated[Literal["csv", "json", "xlsx"], Query(description="file format")] = "csv",
    participant: Participant = None,
    period: Period = None,
    framework: Framework = None,
) -> Response:
    """Every metric value of every matching disclosure version the caller may see (members: all; anonymous: the
    public ones) with its chain facts and attestation status, as of one block (named in the file's manifest)."""
    try:
        from ledger import ESG_MEDIA_TYPES as MEDIA_TYPES
        from ledger import build_esg_export as build_export
        from ledger import render_esg_export as render_export
    except ImportError:  # pragma: no cover - the ESG export ships with the ledger
        from api.problems import problem

        return problem(501, "export_unavailable", "the ESG export is not installed in this deployment")
    export = build_export(
        ledger,
        participant=participant,
        period=period,
        framework=framework,
        visible=lambda d: access.may_see_disclosure(viewer, d),
    )
    filename = f"esg-export-{export.manifest.block_number}.{format}"
    return Response(
        render_export(export, format),
        media_type=MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get(
    "/{disclosure_id}",
    response_model=DisclosureOut,
    summary="One disclosure with its history",
    responses=responses(404, 422, 503),
)
def get_disclosure(
    ledger: LedgerDep, viewer: ViewerDep, access: AccessDep, disclosure_id: DisclosureIdPath
) -> DisclosureOut:
    """Every version (metrics, reason, signer, time), every attestation and the version it covers, and whether the
    disclosure was amended since it was attested. Members see every disclosure; anonymous callers the public ones."""
    return DisclosureOut.full(access.require_disclosure(viewer, ledger.disclosure(disclosure_id)))


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Publish or amend a disclosure (signed)",
    responses=WRITE_ERRORS,
)
def publish_disclosure(
    ledger: LedgerDep, body: SignedRequestIn, response: Response, idempotency_key: IdempotencyKey = None
) -> WriteResult:
    """A participant publishes a disclosure (`publishDisclosure`; `created` holds its id) or amends one of its own
    (`amendDisclosure`, which needs a reason)."""
    return relay(
        ledger,
        body,
        route="POST /disclosures",
        functions={"publishDisclosure", "amendDisclosure"},
        key=idempotency_key,
        response=response,
    )


@router.post(
    "/{disclosure_id}/attestations",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Attest a disclosure version (signed, auditors)",
    responses=WRITE_ERRORS,
)
def attest_disclosure(
    ledger: LedgerDep,
    disclosure_id: DisclosureIdPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """An auditor attests one version with an assurance level and an opinion (`attestDisclosure`)."""
    return relay(
        ledger,
        body,
        route=f"POST /disclosures/{disclosure_id}/attestations",
        functions={"attestDisclosure"},
        key=idempotency_key,
        response=response,
        check=same_id("disclosureId", disclosure_id, "disclosure"),
    )


@router.post(
    "/{disclosure_id}/revocations",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    summary="Revoke an attestation (signed, the attesting auditor)",
    responses=WRITE_ERRORS,
)
def revoke_attestation(
    ledger: LedgerDep,
    disclosure_id: DisclosureIdPath,
    body: SignedRequestIn,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> WriteResult:
    """The auditor withdraws its attestation of one version, with a reason (`revokeAttestation`)."""
    return relay(
        ledger,
        body,
        route=f"POST /disclosures/{disclosure_id}/revocations",
        functions={"revokeAttestation"},
        key=idempotency_key,
        response=response,
        check=same_id("disclosureId", disclosure_id, "disclosure"),
    )
