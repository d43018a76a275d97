"""Errors as RFC 9457 `application/problem+json`: one handler answers every ledger error from one class -> status
table (`STATUS`, most specific class first):

    ValidationError, RequestValidationError      422  invalid input
    NotFoundError                                404
    ContractRevertError by `.kind`               404 not_found | 403 forbidden | 422 invalid | 409 conflict
    SignatureError                               403  bad, expired or replayed signature
    LedgerUnavailableError                       503  chain down, too slow, or not this deployment's chain
    RecordUnreadableError                        500  the chain holds a record this index could not read
    TransactionTimeoutError                      504
    IdempotencyKeyReusedError                    422
    RequestConflictError                         409  the signer's nonce is taken by another request
    RelayBudgetError                             429  the participant's gas budget or request rate is spent
    AuthError                                    401  no, a bad or a revoked token (WWW-Authenticate); 403 not admin
    DocumentTooLargeError                        413  a document over the vault's size limit
    NotUtf8Error (answered by api/limits.py)     415  a JSON body that is not UTF-8 (`json_not_utf8`)
    DocumentsUnavailableError                    501  no document vault in this deployment
    anything else                                500  (never on purpose: a bug)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.dependencies.utils import request_params_to_args
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from api.auth import AuthError
from api.evidence import DocumentsUnavailableError
from ledger import (
    ContractRevertError,
    DocumentTooLargeError,
    IdempotencyKeyReusedError,
    LedgerError,
    LedgerUnavailableError,
    NotFoundError,
    RecordUnreadableError,
    RelayBudgetError,
    RequestConflictError,
    SignatureError,
    TransactionTimeoutError,
    ValidationError,
)

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://provenance-ledger.example/problems/"
KIND_STATUS = {"not_found": 404, "forbidden": 403, "invalid": 422, "conflict": 409}
TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    501: "Not implemented",
    503: "Service unavailable",
    504: "Transaction timeout",
}
log = logging.getLogger("api")


class ContractErrorOut(BaseModel):
    name: str = Field(description="the Solidity custom error", examples=["BatchInsufficientQuantity"])
    args: dict[str, Any] = Field(description="its decoded arguments by name")


class InvalidParam(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": TYPE_BASE + "batch_not_found",
                    "title": "Not found",
                    "status": 404,
                    "detail": "no batch 0x12…",
                    "code": "not_found",
                }
            ]
        }
    )

    type: str = Field(description="URI naming the problem type")
    title: str
    status: int
    detail: str
    code: str = Field(description="stable machine-readable code")
    field: str | None = Field(default=None, description="the offending input field, when known")
    error: ContractErrorOut | None = Field(default=None, description="the contract's decoded error (409/403/404)")
    errors: list[InvalidParam] | None = Field(default=None, description="each invalid parameter (422)")


def problem(status: int, code: str, detail: str, **extra: Any) -> JSONResponse:
    body = {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **{k: v for k, v in extra.items() if v is not None},
    }
    return JSONResponse(jsonable_encoder(body), status_code=status, media_type=PROBLEM_JSON)


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting the problem answers of a route."""
    described = {
        400: "Malformed request body (not JSON)",
        401: "Not signed in, or the token is bad, expired or revoked (see WWW-Authenticate)",
        403: "Bad, expired or replayed signature, or a signer without the role",
        404: "Unknown batch, participant or disclosure, or one the caller may not see",
        429: "The participant's relayed gas budget or request rate is spent (see Retry-After)",
        409: "A contract rule refused the write",
        413: "Request body too large",
        422: "Invalid input",
        501: "Not available in this deployment",
        503: "Chain unreachable",
        504: "Sent, but not mined in time",
    }
    return {
        s: {
            "model": Problem,
            "description": described.get(s, TITLES.get(s, "Error")),
            "content": {
                PROBLEM_JSON: {
                    "schema": {"$ref": "#/components/schemas/Problem"},
                    "example": EXAMPLES.get(s, _example(s, f"http_{s}", "error")),
                }
            },
        }
        for s in statuses
    }


def _example(status: int, code: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {
        "type": TYPE_BASE + code,
        "title": TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }


EXAMPLES = {
    403: _example(403, "signature_replayed", "nonce 3 was already used (next is 4): a replay"),
    404: _example(404, "not_found", "no batch 0x18898817876631a09687937b68ba1364acd3a08524fc26ccfef089151b05d371"),
    409: _example(
        409,
        "batch_insufficient_quantity",
        "BatchInsufficientQuantity(batch_id=0x10b5…, input_id=0x0695…, requested=6001000, available=6000000)",
        error={
            "name": "BatchInsufficientQuantity",
            "args": {"batch_id": "0x10b5…", "input_id": "0x0695…", "requested": 6001000, "available": 6000000},
        },
    ),
    422: _example(422, "invalid_input", "GTIN must be 8, 12, 13 or 14 digits, got '123'", field="gtin"),
    501: _example(501, "export_unavailable", "the ESG export is not installed in this deployment"),
    503: _example(503, "chain_unavailable", "chain unreachable: connection refused"),
    504: _example(504, "transaction_timeout", "no receipt for 0x… after 120s"),
}


#: The one class -> status table. A ledger error answers the status of the most specific of its classes listed here
#: (the first in its MRO, as Starlette picks a handler), with its own `code`; one of no listed class is a failure of
#: the service (500, its message kept for the log). A contract's refusal answers by its kind (`KIND_STATUS`), an
#: `AuthError` the 401 or 403 it carries.
STATUS: dict[type[LedgerError], int] = {
    ValidationError: 422,
    DocumentTooLargeError: 413,
    IdempotencyKeyReusedError: 422,
    NotFoundError: 404,
    ContractRevertError: 409,
    SignatureError: 403,
    AuthError: 401,
    RequestConflictError: 409,
    RelayBudgetError: 429,
    RecordUnreadableError: 500,
    DocumentsUnavailableError: 501,
    LedgerUnavailableError: 503,
    TransactionTimeoutError: 504,
}


def listed_class(error: type[LedgerError]) -> type[LedgerError] | None:
    """The class of `STATUS` that answers for `error`: the most specific listed one among its classes."""
    return next((c for c in error.__mro__ if c in STATUS), None)


def _details(listed: type[LedgerError], exc: LedgerError) -> dict[str, Any]:
    """What a problem adds for some classes: the offending field, the contract's decoded error."""
    if listed is ValidationError:
        assert isinstance(exc, ValidationError)
        return {"field": exc.field}
    if listed is IdempotencyKeyReusedError:
        return {"field": "Idempotency-Key"}
    if listed is ContractRevertError:
        assert isinstance(exc, ContractRevertError)
        return {"error": {"name": exc.error_name or type(exc).__name__, "args": exc.args_by_name}}
    return {}


def _ledger_error(_: Request, exc: Exception) -> JSONResponse:
    """Every `LedgerError`, answered from `STATUS`."""
    assert isinstance(exc, LedgerError)
    listed = listed_class(type(exc))
    if listed is None:
        return _failure(exc)
    if isinstance(exc, AuthError):
        return auth_problem(exc)
    status = KIND_STATUS.get(exc.kind, STATUS[listed]) if isinstance(exc, ContractRevertError) else STATUS[listed]
    response = problem(status, exc.code, str(exc), **_details(listed, exc))
    if isinstance(exc, RelayBudgetError):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def auth_problem(exc: AuthError) -> JSONResponse:
    """401 with an RFC 6750 challenge (how to authenticate, and what was wrong with the token sent), or 403. Also
    answered by the request limits, which check a member route's token before reading its body."""
    response = problem(exc.status, exc.code, str(exc))
    if exc.status == 401:
        challenge = 'Bearer realm="provenance-ledger"'
        if exc.error is not None:
            reason = str(exc).replace('"', "'")[:200]
            challenge += f', error="{exc.error}", error_description="{reason}"'
        response.headers["WWW-Authenticate"] = challenge
    return response


def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {
            "loc": [str(p) if not isinstance(p, int) else p for p in e.get("loc", ())],
            "msg": str(e.get("msg")),
            "type": str(e.get("type")),
        }
        for e in exc.errors()
    ]
    first = errors[0] if errors else None
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]) or "invalid request"
    field = ".".join(str(p) for p in first["loc"][1:]) if first else None
    return problem(422, "invalid_input", detail, errors=errors, field=field or None)


def _pydantic(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, PydanticValidationError)
    errors = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg")),
            "type": str(e.get("type")),
        }
        for e in exc.errors()
    ]
    return problem(
        422,
        "invalid_input",
        "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors[:5]) or "invalid input",
        errors=errors,
    )


def _http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and isinstance(exc.__cause__, ValueError):
        return _unparsable_json(exc.__cause__)
    codes = {404: "route_not_found", 405: "method_not_allowed", 406: "not_acceptable", 415: "unsupported_media_type"}
    response = problem(exc.status_code, codes.get(exc.status_code, f"http_{exc.status_code}"), str(exc.detail))
    if exc.headers:
        response.headers.update(exc.headers)
    if exc.status_code == 405:
        allowed = allowed_methods(request)
        if allowed:
            response.headers["Allow"] = ", ".join(allowed)
    return response


def _unparsable_json(cause: ValueError) -> JSONResponse:
    """JSON the parser refused other than by a syntax error, which FastAPI answered with a bare 400 ("There was an
    error parsing the body"): an integer of more than 4,300 digits (Python's limit on converting digits). Invalid
    input, answered as FastAPI answers a syntax error (422, `json_invalid`). The body is UTF-8 and bounded in depth
    by then (`api.limits`), so this is the one cause left."""
    digits = "an integer longer than the parser reads (4,300 digits)" if "digits" in str(cause) else "not JSON"
    message = f"JSON decode error: {digits}"
    return problem(
        422,
        "invalid_input",
        f"body: {message}",
        field=None,
        errors=[{"loc": ["body"], "msg": message, "type": "json_invalid"}],
    )


def allowed_methods(request: Request) -> list[str]:
    """The methods of every route whose path matches the request's: a path has one route per method here
    (`GET /batches` searches, `POST /batches` records), and the router's own 405 names only the first one's. A
    route whose path parameters refuse the values counts for nothing: `/capture/facts` has the shape of
    `/capture/{capture_id}`, but no job id is `facts`, so GET is not a method of `/capture/facts`."""
    path = route_path(request.scope)
    methods: set[str] = set()
    for route in _flat_routes(request.app):
        regex, route_methods = getattr(route, "path_regex", None), getattr(route, "methods", None)
        match = regex.match(path) if regex is not None else None
        if route_methods and match is not None and _path_accepted(route, match.groupdict()):
            methods |= set(route_methods)
    return sorted(methods)


def _path_accepted(route: Any, values: dict[str, str]) -> bool:
    """Whether the route's path parameters take these values, checked as FastAPI checks them."""
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return True
    _, errors = request_params_to_args(dependant.path_params, values)
    return not errors


def _flat_routes(app: FastAPI) -> Iterable[Any]:
    """Every route of the app, those of included routers too (FastAPI keeps an included router as one entry)."""
    try:
        from fastapi.routing import iter_route_contexts
    except ImportError:  # pragma: no cover - FastAPI before lazily included routers: routes are flat already
        return list(app.routes)
    return list(iter_route_contexts(app.routes))


def route_path(scope: Scope) -> str:
    """The path the routes match: the request's, without the `root_path` the app is mounted under."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if root and path.startswith(root) and path[len(root) : len(root) + 1] in ("", "/"):
        return path[len(root) :] or "/"
    return path


def _failure(exc: LedgerError) -> JSONResponse:
    """A ledger error of no listed class is a failure of the service: its message may name files or the node, so it
    goes to the log and the caller gets the code only."""
    log.error("ledger error", exc_info=exc)
    code = getattr(exc, "code", "ledger_error")
    return problem(500, code, f"the service failed on this request ({code}); the operator's log has the details")


def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error", exc_info=exc)
    return problem(500, "internal_error", "internal error: the service failed on this request")


def install(app: FastAPI) -> None:
    app.add_exception_handler(LedgerError, _ledger_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(PydanticValidationError, _pydantic)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)
