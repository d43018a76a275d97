"""Bounded requests: a pure ASGI middleware that refuses, before FastAPI parses anything:

- a body larger than its route's limit (413), before reading a byte of it when Content-Length says so;
- a body for a route that needs a member (or the admin) from a caller without a good token (401, or 403), before
  reading it: anonymous callers cannot make the service hold 32 MiB bodies;
- a JSON body that is not UTF-8 (415 `json_not_utf8`): the encoding is decided here, once (`json_text`), and the
  parser is handed exactly the UTF-8 bytes whose nesting was counted;
- JSON nested too deep (422 `json_too_deep`).

The nesting check is `ledger.domain.jsonlimits.json_too_deep` (why it matters, and why the encoding must be decided
first, is told there): it reads the raw bytes at C speed, so it holds whatever the recursion limit is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.audience import Audience, admit, request_audience
from api.auth import AuthError
from api.problems import auth_problem, problem, route_path
from api.settings import ApiSettings
from ledger import LedgerError, NotUtf8Error, ValidationError, json_text, json_too_deep

#: Routes with their own body limit (API_MAX_BUNDLE_BODY_BYTES, API_MAX_CAPTURE_BODY_BYTES): (method, path).
BUNDLE_ROUTES = frozenset({("POST", "/anchors/bundles")})
CAPTURE_ROUTES = frozenset({("POST", "/capture"), ("POST", "/capture/facts")})
#: Routes that take a document's bytes (API_MAX_DOCUMENT_BODY_BYTES): no JSON nesting check on their bodies.
DOCUMENT_ROUTES = re.compile(r"^/documents(?:/[^/]*)?$")

#: A JSON body's first bytes when it starts with a UTF-8 byte-order mark (allowed, and dropped before parsing).
UTF8_BOM = b"\xef\xbb\xbf"

__all__ = [
    "DOCUMENT_ROUTES",
    "JsonTooDeepError",
    "NotUtf8Error",
    "RequestLimits",
    "body_limit",
    "json_too_deep",
    "parsed_as_json",
    "too_deep_detail",
]


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


def parsed_as_json(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    """Whether FastAPI parses a body with these headers as JSON: no Content-Type, `application/json` or
    `application/*+json` (its rule, in `fastapi.routing`)."""
    for name, value in headers:
        if name.lower() == b"content-type":
            media = value.split(b";", 1)[0].strip().lower()
            return media == b"application/json" or (media.startswith(b"application/") and media.endswith(b"+json"))
    return True


class RequestLimits:
    """Refuses a body too large from its Content-Length, and a member route's caller without a good token, before
    reading the body; then reads the whole body, refusing it as soon as it passes the route's limit (when it comes
    chunked), checks its encoding and its JSON nesting, and hands it to the app in one piece."""

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
        if declared or _chunked(scope["headers"]):  # a body follows: who sends it, before reading it
            refused = await _refuse_caller(scope)
            if refused is not None:
                await refused(scope, receive, send)
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
        if body and not DOCUMENT_ROUTES.match(route_path(scope).rstrip("/")):
            if parsed_as_json(scope["headers"]):
                try:
                    json_text(body)  # UTF-8 or refused; the parser below reads these bytes as UTF-8 (no BOM, no NUL)
                except NotUtf8Error as exc:
                    await problem(415, exc.code, str(exc))(scope, receive, send)
                    return
                body = body.removeprefix(UTF8_BOM)
            depth = self.settings.max_json_depth
            if json_too_deep(body, depth):  # counted on the very bytes the app parses
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


def _chunked(headers: Iterable[tuple[bytes, bytes]]) -> bool:
    return any(name.lower() == b"transfer-encoding" for name, _ in headers)


async def _refuse_caller(scope: Scope) -> ASGIApp | None:
    """The 401 (or 403) a route for members (or the admin) answers this caller, checked as its dependency checks
    it (`api.audience.admit`); None when the caller may go on. A route that takes a token optionally refuses a bad
    one here too. A failure other than the caller's (the node is down) is left to the route to answer."""
    app = scope.get("app")
    authenticator = getattr(getattr(app, "state", None), "authenticator", None)
    if app is None or authenticator is None:
        return None
    audience = request_audience(app, scope["method"], route_path(scope))
    authorization = next((v.decode("latin-1") for k, v in scope["headers"] if k.lower() == b"authorization"), None)
    if audience is Audience.PUBLIC or (audience is Audience.ANYONE and not authorization):
        return None
    try:
        await admit(authenticator, authorization, audience)
    except AuthError as exc:
        return auth_problem(exc)
    except LedgerError:
        return None
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
