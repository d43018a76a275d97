"""Signing in: Sign-In with Ethereum (EIP-4361) for a short-lived bearer token that says who is asking."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import Field

from api.deps import AuthenticatorDep, LedgerDep, MemberDep
from api.problems import responses
from api.schemas.common import In, Out
from ledger.types import Role

router = APIRouter(prefix="/auth", tags=["sign-in"])
STATEMENT = "Sign in to the provenance ledger."


class NonceOut(Out):
    nonce: str = Field(description="put it in the message; valid for 5 minutes, once")
    expires_at: datetime
    domain: str = Field(description="the message's domain (EIP-4361): this service", examples=["127.0.0.1:8000"])
    uri: str = Field(examples=["http://127.0.0.1:8000"])
    chain_id: int
    version: str = "1"
    statement: str = STATEMENT


class LoginIn(In):
    message: str = Field(max_length=4_000, description="the EIP-4361 message, as signed")
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
def get_nonce(auth: AuthenticatorDep, ledger: LedgerDep) -> NonceOut:
    """What a Sign-In with Ethereum message must carry: a fresh nonce, this service's domain and the chain id.
    `ledger login` and `ledger.requests.ApiSigner.login` build, sign and send the message."""
    nonce, expires = auth.new_nonce()
    return NonceOut(nonce=nonce, expires_at=expires, domain=auth.domain, uri=f"http://{auth.domain}",
                    chain_id=ledger.deployment.chain_id)


@router.post("/login", response_model=TokenOut, summary="Sign in (EIP-4361)", responses=responses(401, 422, 503))
def login(auth: AuthenticatorDep, body: LoginIn) -> TokenOut:
    """A registered, active participant (or the admin) signs in with its key; a malformed, forged, expired,
    replayed or foreign-domain message, or a non-member, is 401."""
    token = auth.sign_in(body.message, body.signature)
    viewer = auth.viewer_of(token.address)
    return TokenOut(token=token.token, expires_at=token.expires_at, address=token.address, roles=sorted(viewer.roles))


@router.get("/me", response_model=WhoAmIOut, summary="Who the token says I am", responses=responses(401, 503))
def whoami(viewer: MemberDep) -> WhoAmIOut:
    assert viewer.address is not None
    return WhoAmIOut(address=viewer.address, roles=sorted(viewer.roles), admin=viewer.admin)
