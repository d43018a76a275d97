"""Who a route is for, read from the one place a route says it: the caller dependency it declares (`ViewerDep`,
`MemberDep` or `AdminDep` in `api/deps.py`, or none at all).

Two readers need it outside FastAPI's own dependency run: the request limits, which refuse a member route's missing
or bad token before its body is read, and the OpenAPI document, which says per route whether a token is needed,
optional or never read. A route that takes no caller dependency is public: nothing to flag.
"""

from __future__ import annotations

import re
from enum import IntEnum
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from starlette.concurrency import run_in_threadpool

from api.auth import Authenticator, require_admin, require_member
from api.deps import get_admin, get_member, get_viewer
from ledger import Viewer

__all__ = ["Audience", "admit", "audience_of", "request_audience"]


class Audience(IntEnum):
    """Ordered: a route that needs a member also reads the token, one that needs the admin also needs a member."""

    PUBLIC = 0  # reads no token: `Authorization` is ignored
    ANYONE = 1  # anonymous callers welcome; a token, if sent, must be good (401 otherwise) and may show more
    MEMBER = 2  # a signed-in member (401 without a good token)
    ADMIN = 3  # the consortium's admin (401 without a good token, 403 for another member)


_CALLERS: dict[Any, Audience] = {get_viewer: Audience.ANYONE, get_member: Audience.MEMBER, get_admin: Audience.ADMIN}


def audience_of(route: Any) -> Audience:
    """The audience of a route (an `APIRoute`, or FastAPI's context of one): the highest caller dependency it takes,
    directly or through other dependencies."""
    dependant = getattr(route, "dependant", None)
    return _highest(dependant) if isinstance(dependant, Dependant) else Audience.PUBLIC


def _highest(dependant: Dependant) -> Audience:
    found = _CALLERS.get(dependant.call, Audience.PUBLIC)
    for sub in dependant.dependencies:
        found = max(found, _highest(sub))
    return found


def request_audience(app: FastAPI, method: str, path: str) -> Audience:
    """The audience of the route the router will pick for `method path`: the first whose path and method match
    (routes are tried in order, as the router does). No such route: public (the router answers 404 or 405). Each
    route's audience is read once per app (its routes are fixed once it serves), not walked again per request."""
    table: list[tuple[re.Pattern[str], frozenset[str], Audience]] | None = getattr(app.state, "audiences", None)
    if table is None:
        table = [
            (route.path_regex, frozenset(route.methods or ()), audience_of(route))
            for route in iter_route_contexts(app.routes)  # included routers too
            if getattr(route, "path_regex", None) is not None and getattr(route, "methods", None)
        ]
        app.state.audiences = table
    for regex, methods, audience in table:
        if method in methods and regex.match(path):
            return audience
    return Audience.PUBLIC


def _admit(authenticator: Authenticator, authorization: str | None, audience: Audience) -> Viewer:
    viewer = authenticator.viewer(authorization)
    if audience >= Audience.MEMBER:
        require_member(viewer)
    if audience >= Audience.ADMIN:
        require_admin(viewer)
    return viewer


async def admit(authenticator: Authenticator, authorization: str | None, audience: Audience) -> Viewer:
    """The caller, if `audience` admits it: the dependencies' own checks (`Authenticator.viewer`, `require_member`,
    `require_admin`), run in a worker thread (they read the member's standing at the chain's head). Raises
    `AuthError`."""
    return await run_in_threadpool(_admit, authenticator, authorization, audience)
