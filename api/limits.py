"""Bounded requests: a pure ASGI middleware that refuses a body that is too large (413) or nested too deep (422)
before FastAPI parses it.

The nesting check is `ledger.jsonlimits.json_too_deep` (why it matters is told there): it reads the raw bytes at C
speed, so it holds whatever the recursion limit is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.problems import problem, route_path
from api.settings import ApiSettings
from ledger.errors import ValidationError
from ledger.jsonlimits import json_too_deep

#: Routes with their own body limit (API_MAX_BUNDLE_BODY_BYTES, API_MAX_CAPTURE_BODY_BYTES): (method, path).
BUNDLE_ROUTES = frozenset({("POST", "/anchors/bundles")})
CAPTURE_ROUTES = frozenset({("POST", "/capture"), ("POST", "/capture/facts")})
#: Routes that take a document's bytes (API_MAX_DOCUMENT_BODY_BYTES): no JSON nesting check on their bodies.
DOCUMENT_ROUTES = re.compile(r"^/documents(?:/[^/]*)?$")

__all__ = ["DOCUMENT_ROUTES", "JsonTooDeepError", "RequestLimits", "body_limit", "json_too_deep", "too_deep_detail"]


class JsonTooDeepError(ValidationError):
    """JSON nested deeper than API_MAX_JSON_DEPTH (422, like any invalid input)."""

    code = "json_too_deep"


def too_deep_detail(limit: int) -> str:
    return f"JSON nested more than {limit} levels deep (API_MAX_JSON_DEPTH)"


def body_limit(settings: ApiSettings, method: str, path: str) -> tuple[int, str]:
    """The largest body, in bytes, a request to `method path` may carry, and the setting that says so."""
    if (method, path.rstrip("/")) in BUNDLE_ROUTES:
        return settings.max_bundle_body_bytes, "API_MAX_BUNDLE_BODY_BYTES"
    if (method, path.rstrip("/")) in CAPTURE_ROUTES:
        return settings.max_capture_body_bytes, "API_MAX_CAPTURE_BODY_BYTES"
    if method in ("PUT", "POST") and DOCUMENT_ROUTES.match(path.rstrip("/")):
        return settings.max_document_body_bytes, "API_MAX_DOCUMENT_BODY_BYTES"
    return settings.max_body_bytes, "API_MAX_BODY_BYTES"


class RequestLimits:
    """Reads the whole body, refusing it as soon as it passes the route's limit (from its Content-Length, or while
    it streams in when it comes chunked), checks its JSON nesting, then hands it to the app in one piece."""

    def __init__(self, app: ASGIApp, settings: ApiSettings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, setting = body_limit(self.settings, scope["method"], route_path(scope))
        too_large = problem(413, "body_too_large", f"request body larger than {limit:,} bytes ({setting})")
        declared = _content_length(scope["headers"])
        if declared is not None and declared > limit:  # refused before reading a byte of it
            await too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await too_large(scope, receive, send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        depth = self.settings.max_json_depth
        if not DOCUMENT_ROUTES.match(route_path(scope).rstrip("/")) and json_too_deep(body, depth):
            await problem(422, JsonTooDeepError.code, too_deep_detail(depth))(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    """The declared length; None if absent or unreadable (the server refuses a malformed one before the app)."""
    for name, value in headers:
        if name.lower() == b"content-length":
            text = value.strip()
            if not text.isdigit():
                return None
            return int(text) if len(text) <= 18 else 10**18
    return None


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the app the body already read, then whatever the client sends next (a disconnect)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
