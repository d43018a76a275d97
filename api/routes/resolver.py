"""The GS1 Digital Link resolver (GS1-Conformant Resolver Standard 1.2): `/01/{gtin}[/qualifiers]` answers a
redirect or an RFC 9264 linkset (`ledger.epcis.digital_link` decides which), `/.well-known/gs1resolver` describes
the resolver. GET, HEAD and OPTIONS, with CORS headers on every answer, errors included (a label scanned by a web
app on another origin must read them); a request that is no Digital Link URI is 400.

Links name `API_PUBLIC_URL` when it is set. Without it nothing written comes from the request's `Host` header: the
redirect and the `Link` headers are paths (relative references, which the client resolves against the URI it asked),
and the linkset, whose anchor and hrefs GS1's schema wants absolute, and the description file name
`API_AUTH_DOMAIN` (the host sign-in messages name; `ledger serve` sets it to the host and port it serves).
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AccessDep, SettingsDep, ViewerDep
from api.problems import problem, responses, route_path
from api.routes.epcis import EpcisDep
from api.settings import ApiSettings
from ledger import LINKSET_CONTEXT, DigitalLinkSyntaxError
from ledger import digital_link_description as description

router = APIRouter(tags=["epcis"])
LINKSET_JSON = "application/linkset+json"
METHODS = "GET, HEAD, OPTIONS"
CORS_HEADERS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": METHODS,
    "access-control-allow-headers": "Accept, Accept-Language, Authorization",
    "access-control-expose-headers": "Link, Location",
    "access-control-max-age": "86400",
}
WELL_KNOWN = "/.well-known/gs1resolver"

_ANSWERS = {
    **responses(400, 401, 404, 503),
    307: {"description": "to the requested link (by default the product passport); the query string is passed on"},
    300: {
        "content": {LINKSET_JSON: {"schema": {"type": "object"}}},
        "description": "several batches offer the link, or the request walked up to its GTIN: the linkset",
    },
    200: {
        "content": {LINKSET_JSON: {"schema": {"type": "object"}}},
        "description": "the linkset (RFC 9264), with linkType=linkset or Accept: application/linkset+json",
    },
}
GtinPath = Annotated[str, Path(description="GTIN-8, -12, -13 or -14 (check digit verified)")]
LinkTypeQuery = Annotated[
    str | None,
    Query(
        description="gs1:pip (default), gs1:masterData, gs1:traceability, "
        "gs1:epcis, gs1:sustainabilityInfo; linkset for every link"
    ),
]


def _links_base(request: Request, settings: ApiSettings) -> str:
    """The trusted base of absolute links: API_PUBLIC_URL, else this service as API_AUTH_DOMAIN names it."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return (
        f"{'https' if request.url.scheme == 'https' else 'http'}://{settings.auth_domain}"
        f"{request.scope.get('root_path', '')}"
    )


def _header_base(request: Request, settings: ApiSettings) -> str:
    """What headers put before a path: API_PUBLIC_URL, else nothing (a relative reference) but the mount point."""
    return settings.public_url.rstrip("/") if settings.public_url else str(request.scope.get("root_path", ""))


def _raw(request: Request) -> tuple[str, str]:
    """The path (below the mount point) and query string as the client wrote them: a lot may hold '/' (%2F)."""
    raw = request.scope.get("raw_path")
    path = raw.decode("latin-1").split("?", 1)[0] if raw else quote(request.scope["path"])
    root = str(request.scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return path, request.scope.get("query_string", b"").decode("latin-1")


def _wants_linkset(request: Request, link_type: str | None) -> bool:
    """`Accept: application/linkset+json` asks for the linkset (GS1 2.9); plain JSON too, when no linkType is given
    and no page is wanted (GS1 2.10 recommends answering it the same)."""
    accept = {part.split(";", 1)[0].strip().lower() for part in request.headers.get("accept", "").split(",")}
    return LINKSET_JSON in accept or (not link_type and "application/json" in accept and "text/html" not in accept)


def _resolve(
    request: Request,
    epcis: EpcisDep,
    viewer: ViewerDep,
    access: AccessDep,
    settings: SettingsDep,
    link_type: str | None,
) -> Response:
    path, query = _raw(request)
    found = epcis.resolve(
        path,
        lambda batch_id: access.may_see_batch(viewer, batch_id),
        _links_base(request, settings),
        query=query,
        link_type=link_type,
        want_linkset=_wants_linkset(request, link_type),
        anonymous=viewer.anonymous,
    )
    base = _header_base(request, settings)
    headers = {
        "Link": f'<{base}{found.level}?linkType=linkset>; rel="linkset"; type="{LINKSET_JSON}"',
        "Vary": "Accept, Authorization",
    }
    if found.target is not None:  # the query string passed on as it came (GS1 2.12): data attributes, utm_* ...
        return RedirectResponse(
            base + found.target + (f"?{query}" if query else ""), status_code=found.status, headers=headers
        )
    headers["Link"] += f', <{LINKSET_CONTEXT}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'
    return JSONResponse(found.linkset, status_code=found.status, media_type=LINKSET_JSON, headers=headers)


@router.head("/01/{gtin}", include_in_schema=False)
@router.get("/01/{gtin}", summary="GS1 Digital Link resolver: a GTIN", responses=_ANSWERS)
def resolve_gtin(
    request: Request,
    epcis: EpcisDep,
    viewer: ViewerDep,
    access: AccessDep,
    settings: SettingsDep,
    gtin: GtinPath,
    linkType: LinkTypeQuery = None,
) -> Response:
    """What is recorded for a GTIN: its batch's passport when it has one, else (300) the linkset of its newest lots.
    Anyone gets the passports; a signed-in member who may see a batch gets its other links too."""
    return _resolve(request, epcis, viewer, access, settings, linkType)


@router.head("/01/{gtin}/{qualifiers:path}", include_in_schema=False)
@router.get(
    "/01/{gtin}/{qualifiers:path}",
    summary="GS1 Digital Link resolver: a GTIN with its lot (and serial)",
    responses=_ANSWERS,
)
def resolve_qualified(
    request: Request,
    epcis: EpcisDep,
    viewer: ViewerDep,
    access: AccessDep,
    settings: SettingsDep,
    gtin: GtinPath,
    qualifiers: Annotated[
        str, Path(description="`10/{lot}` (a '/' in the lot as %2F), then `21/{serial}` if any; `22/{cpv}` first")
    ],
    linkType: LinkTypeQuery = None,
) -> Response:
    """What a scanned label's Digital Link (`https://<this service>/01/<GTIN>/10/<lot>`) leads to: anyone is sent to
    the product passport; a signed-in member who may see the batch gets its record, trace, EPCIS events and
    due-diligence report too (`linkType=linkset` lists them). A serial resolves as its lot; a lot nobody recorded
    walks up to its GTIN (300, the GTIN's linkset: never another lot's passport)."""
    return _resolve(request, epcis, viewer, access, settings, linkType)


@router.options("/01/{gtin}", include_in_schema=False)
@router.options("/01/{gtin}/{qualifiers:path}", include_in_schema=False)
@router.options(WELL_KNOWN, include_in_schema=False)
def resolver_options() -> Response:
    """The methods of the resolver's paths; a CORS preflight gets its headers from `ResolverCors`."""
    return Response(status_code=204, headers={"Allow": METHODS})


@router.head(WELL_KNOWN, include_in_schema=False)
@router.get(
    WELL_KNOWN,
    summary="GS1 resolver description file",
    responses={
        200: {
            "content": {"application/json": {"schema": {"type": "object"}}},
            "description": "the description (GS1's description file schema)",
        }
    },
)
def resolver_description(request: Request, settings: SettingsDep) -> JSONResponse:
    """What this resolver supports (GS1-Conformant Resolver 1.2, section 3): its root, primary key 01, the GS1 link
    types, the linkset's JSON-LD context. Public."""
    return JSONResponse(description(_links_base(request, settings), settings.title))


def _syntax(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, DigitalLinkSyntaxError)
    return problem(400, exc.code, str(exc), field=exc.field)


class ResolverCors:
    """CORS headers on every answer of the resolver's paths (errors too), and nothing on the other routes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if not (path.startswith("/01/") or path == WELL_KNOWN):
            await self.app(scope, receive, send)
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if not k.startswith(b"access-control-")]
                headers += [(k.encode(), v.encode()) for k, v in CORS_HEADERS.items()]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_cors)


def install(app: FastAPI) -> None:
    """The resolver's routes, its CORS headers, and its 400 for what is no Digital Link URI (GS1 2.4.1)."""
    app.include_router(router)
    app.add_middleware(ResolverCors)
    app.add_exception_handler(DigitalLinkSyntaxError, _syntax)
