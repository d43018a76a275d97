"""The OpenAPI document states the bounds the service really applies, which depend on its settings.

Routes are declared once, at import, and their caps (`API_MAX_PAGE_SIZE`, `API_MAX_TRACE_DEPTH`, the body limits)
are checked against the settings of the app that serves them; this writes those numbers into the generated document:
`maximum` of every `limit` and `max_depth`, and a 413 answer with the byte limit on every route that takes a body;
the capture routes' bounds on events, signed requests and a member's captures in hand (API_MAX_CAPTURE_*).

It also says who each route is for, as `api.audience` reads it from the route's caller dependency: a public route
declares no security, one that takes a token optionally declares `[{}, bearer]` and its 401 for a bad token, a
member's route the bearer, its 401, and the admin's its 403. Every JSON body is documented as UTF-8 with its 415.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import iter_route_contexts

from api.audience import Audience, audience_of
from api.deps import BEARER
from api.limits import body_limit
from api.problems import TYPE_BASE, responses
from api.settings import ApiSettings
from ledger import NotUtf8Error

#: Integers from here on are not exact as doubles (JavaScript numbers, FastAPI's OpenAPI model).
EXACT_INTEGERS = 2**53
BOUNDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def install(app: FastAPI, settings: ApiSettings) -> None:
    """Replace `app.openapi` with one that writes the settings' bounds into the generated document."""
    generate = app.openapi  # FastAPI's: builds the document once (again if routes are added) and keeps it
    patched: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not patched or patched[0] is not schema:
            patched[:] = [callers(bounded(schema, settings), app)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def bounded(schema: dict[str, Any], settings: ApiSettings) -> dict[str, Any]:
    caps = {
        "limit": settings.max_page_size,
        "max_depth": settings.max_trace_depth,
        "max_nodes": settings.max_trace_nodes,
    }
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            if method not in HTTP_METHODS:
                continue
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query" and parameter.get("name") in caps:
                    _cap(parameter["schema"], caps[parameter["name"]])
            if "requestBody" in operation:
                limit, setting = body_limit(settings, method.upper(), path)
                operation["responses"]["413"] = {
                    "description": f"Request body larger than {limit:,} bytes ({setting})",
                    "content": responses(413)[413]["content"],
                }
                operation["requestBody"]["description"] = (
                    f"JSON, at most {limit:,} bytes ({setting}) and {settings.max_json_depth} levels of nesting "
                    "(API_MAX_JSON_DEPTH)"
                )
    _capture_bounds(schema, settings)
    report = schema.get("components", {}).get("schemas", {}).get("DueDiligenceRequest")
    if report is not None:
        _cap(report["properties"]["max_depth"], settings.max_trace_depth)
    _walk(schema, _exact_integers)
    return schema


#: The routes that read an EPCIS document for a capturer (API_MAX_CAPTURE_*).
CAPTURE_OPERATIONS = (("/capture/facts", "post"), ("/capture", "post"))


def _capture_bounds(schema: dict[str, Any], settings: ApiSettings) -> None:
    """The capture routes' bounds on events, signed requests and each member's work in hand."""
    events = f"{settings.max_capture_events:,} events per document (API_MAX_CAPTURE_EVENTS)"
    requests = f"{settings.max_capture_requests:,} signed requests (API_MAX_CAPTURE_REQUESTS)"
    for path, method in CAPTURE_OPERATIONS:
        operation = schema.get("paths", {}).get(path, {}).get(method)
        if operation is None:
            continue
        answers = operation["responses"]
        if "413" in answers:
            bounds = events + (f", {requests}" if path == "/capture" else "")
            answers["413"]["description"] += f"; or more than {bounds}"
        busy = "the member's previous document is still being read"
        if path == "/capture":
            busy += (
                f", or it has {settings.max_capture_jobs} captures queued or running (API_MAX_CAPTURE_JOBS)"
                "; or the relayer's budget or rate for the member is spent"
            )
        answers["429"] = {**answers.get("429", {}), "description": f"{busy[0].upper()}{busy[1:]} (see Retry-After)"}
    body = schema.get("components", {}).get("schemas", {}).get("CaptureIn", {}).get("properties", {}).get("requests")
    if body is not None:
        body["maxItems"] = settings.max_capture_requests


#: What each audience's 401 (and the admin's 403) means.
UNAUTHORIZED = {
    Audience.ANYONE: "A token was sent, but it is malformed, bad, expired or revoked, or its participant is no "
    "longer a member (anonymous callers send none; see WWW-Authenticate)",
    Audience.MEMBER: "Not signed in, or the token is malformed, bad, expired or revoked (see WWW-Authenticate); "
    "refused before the request body is read",
    Audience.ADMIN: "Not signed in, or the token is malformed, bad, expired or revoked (see WWW-Authenticate); "
    "refused before the request body is read",
}
NOT_ADMIN = "Signed in, but not as the consortium's admin"


def callers(schema: dict[str, Any], app: FastAPI) -> dict[str, Any]:
    """Per operation: the security it really requires, its 401 and 403, and the 415 of a JSON body not in UTF-8."""
    scheme = BEARER.scheme_name
    for route in iter_route_contexts(app.routes):
        path, methods = getattr(route, "path_format", None), getattr(route, "methods", None) or ()
        if path is None or not getattr(route, "include_in_schema", False):
            continue
        audience = audience_of(route)
        for method in methods:
            operation = schema.get("paths", {}).get(path, {}).get(method.lower())
            if operation is None:
                continue
            answers = operation.setdefault("responses", {})
            if audience is Audience.PUBLIC:
                operation.pop("security", None)
            else:
                operation["security"] = [{}, {scheme: []}] if audience is Audience.ANYONE else [{scheme: []}]
                answers["401"] = {**responses(401)[401], "description": UNAUTHORIZED[audience]}
                answers["401"].pop("model", None)
            if audience is Audience.ADMIN:
                answers["403"] = {**responses(403)[403], "description": NOT_ADMIN}
                answers["403"].pop("model", None)
            _utf8_body(operation)
    return schema


def _utf8_body(operation: dict[str, Any]) -> None:
    """A JSON body is UTF-8 (a leading BOM is ignored); anything else is 415 `json_not_utf8` (`api.limits`). JSON
    that does not parse is 422 (a syntax error, or a number too long: `api.problems`), never 400."""
    body = operation.get("requestBody", {})
    if not any(media == "application/json" or media.endswith("+json") for media in body.get("content", {})):
        return
    answers = operation["responses"]
    answers.pop("400", None)
    invalid = answers.setdefault("422", {**responses(422)[422]})
    invalid.pop("model", None)
    invalid["description"] = invalid.get("description", "Invalid input") + " (JSON that does not parse included)"
    body["description"] = (
        body.get("description", "JSON") + "; UTF-8 (RFC 8259), a leading byte-order mark is ignored"
    ).removeprefix("; ")
    answer = responses(415)[415]
    answer.pop("model", None)
    answer["description"] = "The JSON body is not UTF-8 (UTF-16, UTF-32 or broken bytes): `json_not_utf8`"
    answer["content"]["application/problem+json"]["example"] = {
        "type": TYPE_BASE + NotUtf8Error.code,
        "title": "Unsupported media type",
        "status": 415,
        "detail": "JSON must be UTF-8 (RFC 8259 section 8.1): byte 14 is not",
        "code": NotUtf8Error.code,
    }
    operation["responses"]["415"] = answer


def _cap(schema: dict[str, Any], maximum: int) -> None:
    """Set `maximum` on the integer branch of a (possibly nullable) parameter schema."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "integer":
            branch["maximum"] = maximum


def _exact_integers(node: dict[str, Any]) -> None:
    """FastAPI's OpenAPI model holds bounds as floats (`maximum: 0.0`): an integer schema gets integers back."""
    if node.get("type") != "integer":
        return
    for key in BOUNDS:
        value = node.get(key)
        if isinstance(value, float) and value.is_integer() and abs(value) < EXACT_INTEGERS:
            node[key] = int(value)


def _walk(node: Any, visit: Callable[[dict[str, Any]], None]) -> None:
    if isinstance(node, dict):
        visit(node)
        for value in node.values():
            _walk(value, visit)
    elif isinstance(node, list):
        for value in node:
            _walk(value, visit)
