"""FastAPI dependencies: the ledger, the settings, who is asking and what they may see. They live on `app.state`,
set by `create_app`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.auth import Authenticator, require_admin, require_member
from api.settings import ApiSettings
from ledger import Access, Ledger, Service, Viewer

# Dependencies that do no I/O are `async`: FastAPI calls them on the event loop instead of handing each to a worker
# thread (seven thread hops a request were a fifth of a report's time). `get_viewer` stays a plain function: it may
# ask the node (the member's standing at the head), which must not block the event loop.


async def get_ledger(request: Request) -> Ledger:
    return request.app.state.ledger  # type: ignore[no-any-return]


async def get_service(request: Request) -> Service:
    """What the app runs on (`ledger.service.Service`): the ledger, vault, screening lists, relayer."""
    return request.app.state.service  # type: ignore[no-any-return]


async def get_api_settings(request: Request) -> ApiSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


async def get_authenticator(request: Request) -> Authenticator:
    return request.app.state.authenticator  # type: ignore[no-any-return]


async def get_access(request: Request) -> Access:
    return Access(request.app.state.ledger)


#: Declares the bearer token to OpenAPI (an Authorize button in /docs); the header itself is read below, so that a
#: malformed one is a 401 rather than anonymous.
BEARER = HTTPBearer(auto_error=False, description="a token from POST /auth/login (Sign-In with Ethereum)")


def get_viewer(request: Request, _: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)] = None) -> Viewer:
    """Who is asking: anonymous without an `Authorization` header, else the member (or admin) its token names; a
    bad, expired or revoked token is 401."""
    authenticator: Authenticator = request.app.state.authenticator
    return authenticator.viewer(request.headers.get("authorization"))


async def get_member(viewer: Annotated[Viewer, Depends(get_viewer)]) -> Viewer:
    """A signed-in member (or admin); anonymous callers get 401 with how to sign in."""
    return require_member(viewer)


async def get_admin(viewer: Annotated[Viewer, Depends(get_member)]) -> Viewer:
    return require_admin(viewer)


LedgerDep = Annotated[Ledger, Depends(get_ledger)]
ServiceDep = Annotated[Service, Depends(get_service)]
SettingsDep = Annotated[ApiSettings, Depends(get_api_settings)]
AuthenticatorDep = Annotated[Authenticator, Depends(get_authenticator)]
AccessDep = Annotated[Access, Depends(get_access)]
ViewerDep = Annotated[Viewer, Depends(get_viewer)]
MemberDep = Annotated[Viewer, Depends(get_member)]
AdminDep = Annotated[Viewer, Depends(get_admin)]
