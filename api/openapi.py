"""The OpenAPI document states the bounds the service really applies, which depend on its settings.

Routes are declared once, at import, and their caps (`API_MAX_PAGE_SIZE`, `API_MAX_TRACE_DEPTH`, the body limits)
are checked against the settings of the app that serves them; this writes those numbers into the generated document:
`maximum` of every `limit` and `max_depth`, and a 413 answer with the byte limit on every route that takes a body;
the capture routes' bounds on events, signed requests and a member's captures in hand (API_MAX_CAPTURE_*).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from api.limits import body_limit
from api.problems import responses
from api.settings import ApiSettings

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
            patched[:] = [bounded(schema, settings)]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def bounded(schema: dict[str, Any], settings: ApiSettings) -> dict[str, Any]:
    caps = {"limit": settings.max_page_size, "max_depth": settings.max_trace_depth}
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
                    "content": responses(413)[413]["content"]}
                operation["requestBody"]["description"] = (
                    f"JSON, at most {limit:,} bytes ({setting}) and {settings.max_json_depth} levels of nesting "
                    "(API_MAX_JSON_DEPTH)")
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
            busy += (f", or it has {settings.max_capture_jobs} captures queued or running (API_MAX_CAPTURE_JOBS)"
                     "; or the relayer's budget or rate for the member is spent")
        answers["429"] = {**answers.get("429", {}), "description": f"{busy[0].upper()}{busy[1:]} (see Retry-After)"}
    body = schema.get("components", {}).get("schemas", {}).get("CaptureIn", {}).get("properties", {}).get("requests")
    if body is not None:
        body["maxItems"] = settings.max_capture_requests


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
