"""Signing in: Sign-In with Ethereum (EIP-4361) for a short-lived bearer token that says who is asking."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from pydantic import Field

from api.deps import AuthenticatorDep, LedgerDep, MemberDep, SettingsDep
from api.problems import responses
from api.schemas.common import In, Out
from api.settings import ApiSettings
from api.sign_in_guards import SignInRate
from ledger import SIWE_MAX_MESSAGE_CHARS as MAX_MESSAGE_CHARS
from ledger import Role

router = APIRouter(prefix="/auth", tags=["sign-in"])
STATEMENT = "Sign in to the provenance ledger."


class NonceOut(Out):
    nonce: str = Field(description="put it in the message; valid for 5 minutes, once")
    expires_at: datetime
    domain: str = Field(description="the message's domain (EIP-4361): this service", examples=["127.0.0.1:8000"])
    uri: str = Field(
        description="the message's URI: this service's address (API_PUBLIC_URL, else this request's "
        "scheme and the domain above); the message may also name a page under it",
        examples=["http://127.0.0.1:8000"],
    )
    chain_id: int
    version: str = "1"
    statement: str = STATEMENT


class LoginIn(In):
    message: str = Field(
        max_length=MAX_MESSAGE_CHARS,
        description="the EIP-4361 message, as signed (at most "
        f"{MAX_MESSAGE_CHARS:,} characters; a sign-in message is a few hundred)",
    )
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$", description="personal_sign (EIP-191) of the message")


class TokenOut(Out):
    token: str = Field(description="send as `Authorization: Bearer <token>`")
    token_type: str = "Bearer"
    expires_at: datetime
    address: str
    roles: list[Role]


class WhoAmIOut(Out):
    address: str
    roles: list[Role]
    admin: bool


@router.get("/nonce", response_model=NonceOut, summary="Start a sign-in", responses=responses(503))
def get_nonce(auth: AuthenticatorDep, ledger: LedgerDep, settings: SettingsDep, request: Request) -> NonceOut:
    """What a Sign-In with Ethereum message must carry: a fresh nonce, this service's domain and address (URI) and
    the chain id. `ledger login` and `ledger.apiclient.signer.ApiSigner.login` build, sign and send the message."""
    nonce, expires = auth.new_nonce()
    return NonceOut(
        nonce=nonce,
        expires_at=expires,
        domain=auth.domain,
        uri=service_uri(settings, request),
        chain_id=ledger.deployment.chain_id,
    )


def service_uri(settings: ApiSettings, request: Request) -> str:
    """This service's own address, which a sign-in message's URI must name: API_PUBLIC_URL when set, else the
    request's scheme with API_AUTH_DOMAIN (the host the message's domain must name). Never the request's `Host`
    header: a caller chooses it, so a message signed for another site would pass by naming that site there."""
    if settings.public_url:
        return settings.public_url.rstrip("/")
    return f"{request.url.scheme}://{settings.auth_domain}"


@router.post("/login", response_model=TokenOut, summary="Sign in (EIP-4361)", responses=responses(401, 422, 429, 503))
def login(auth: AuthenticatorDep, settings: SettingsDep, request: Request, body: LoginIn) -> TokenOut:
    """A registered participant with a role (or the admin) signs in with its key; a malformed, forged, expired,
    replayed, foreign-domain or foreign-URI message, or a non-member, is 401. Each client address may try
    API_SIGN_IN_PER_MINUTE times a minute (429 with Retry-After past it)."""
    rate: SignInRate = request.app.state.sign_in_rate
    rate.spend(request.client.host if request.client else "unknown")
    token = auth.sign_in(body.message, body.signature, service_uri=service_uri(settings, request))
    viewer = auth.viewer_of(token.address)
    return TokenOut(token=token.token, expires_at=token.expires_at, address=token.address, roles=sorted(viewer.roles))


@router.get("/me", response_model=WhoAmIOut, summary="Who the token says I am", responses=responses(401, 503))
def whoami(viewer: MemberDep) -> WhoAmIOut:
    assert viewer.address is not None
    return WhoAmIOut(address=viewer.address, roles=sorted(viewer.roles), admin=viewer.admin)
