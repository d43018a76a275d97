"""Signing in: Sign-In with Ethereum (EIP-4361, `ledger.siwe`) proves a participant holds its key; the service
answers a short-lived bearer token (a JWT signed with the service's secret, PyJWT) that says who is asking.

- Nonces are stateless: `<random>.<expiry>.<HMAC>` under the secret, so any instance with the same secret accepts a
  sign-in started on another; each is taken once per instance, and stays taken across restarts (`UsedNonces`, a
  file of the workspace) until it expires.
- A sign-in costs little whoever sends it: the message is bounded and parsed in linear time, the cheap checks
  (domain, URI, chain, nonce, times) come before the signature is recovered, and each client address has a rate.
- A token carries no secret of the participant: its address, issue and expiry times, and the chain. Every instance
  with the same secret accepts it. It stops working at once when the participant is suspended or leaves the
  consortium: each request checks the participant at the chain's head.
- Writes keep their EIP-712 signature as the authority for what is written; the token only says who is reading.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from api.sign_in_guards import UsedNonces
from ledger import (
    ANONYMOUS,
    Address,
    Ledger,
    LedgerError,
    Role,
    ValidationError,
    Viewer,
    not_a_member,
    parse_siwe,
    recover_siwe,
)

NONCE_TTL_SECONDS = 300
CLOCK_SKEW_SECONDS = 60
ISSUER = "provenance-ledger"
#: Tokens whose signature and claims were checked, kept (until they expire) so a request pays no HMAC and no claim
#: parsing again; the participant's standing is still read at the chain's head on every request.
MAX_VERIFIED = 10_000


class AuthError(LedgerError):
    """Who is asking cannot be established (401 with `WWW-Authenticate`), or may not do this (403)."""

    code = "unauthorized"

    def __init__(self, message: str, *, error: str | None = "invalid_token", status: int = 401) -> None:
        super().__init__(message)
        self.error = error  # RFC 6750 error code; None: no credentials were sent
        self.status = status
        if status == 403:
            self.code = "forbidden"


@dataclass(frozen=True)
class Token:
    token: str
    address: Address
    expires_at: datetime


class Authenticator:
    def __init__(
        self, secret: str, *, domain: str, ledger: Ledger, token_ttl: int, used_nonces: UsedNonces | None = None
    ) -> None:
        self._secret = secret.encode()
        self.domain = domain
        self.ledger = ledger
        self.token_ttl = token_ttl
        self._used = used_nonces if used_nonces is not None else UsedNonces()
        self._verified: dict[str, tuple[Address, float]] = {}  # token -> (participant, expiry): checked once

    # -- nonces ---------------------------------------------------------------------------------------------------

    def new_nonce(self) -> tuple[str, datetime]:
        expiry = int(time.time()) + NONCE_TTL_SECONDS
        body = f"{secrets.token_hex(8)}{expiry:x}"
        return body + self._mac(body)[:16], datetime.fromtimestamp(expiry, UTC)

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret, b"siwe-nonce:" + body.encode(), hashlib.sha256).hexdigest()

    def _check_nonce(self, nonce: str) -> float:
        """A nonce this service (any instance with the secret) issued, unexpired, not used yet: its expiry."""
        body, mac = nonce[:-16], nonce[-16:]
        if len(nonce) < 26 or not nonce.isalnum() or not hmac.compare_digest(self._mac(body)[:16], mac):
            raise AuthError("the sign-in nonce was not issued by this service", error="invalid_request")
        try:
            expiry = int(body[16:], 16)
        except ValueError:
            raise AuthError("the sign-in nonce is malformed", error="invalid_request") from None
        if expiry < time.time():
            raise AuthError("the sign-in nonce expired: ask for a new one", error="invalid_request")
        if self._used.used(nonce):
            raise AuthError("this sign-in message was already used", error="invalid_request")
        return float(expiry)

    # -- sign-in --------------------------------------------------------------------------------------------------

    def sign_in(self, message: str, signature: str, *, service_uri: str) -> Token:
        """Verify an EIP-4361 message and its signature; answer a token for a registered participant that is a
        member (or the admin). `service_uri` is this service's own address (API_PUBLIC_URL, else the request's
        scheme with API_AUTH_DOMAIN): the message's URI must be it or a page under it."""
        try:
            parsed = parse_siwe(message)
        except ValidationError as exc:
            raise AuthError(str(exc), error="invalid_request") from None
        if parsed.domain != self.domain:
            raise AuthError(
                f"the message is for {parsed.domain!r}, not this service ({self.domain})", error="invalid_request"
            )
        if not _under(parsed.uri, service_uri) or (
            parsed.scheme is not None and parsed.scheme != service_uri.partition(":")[0]
        ):
            raise AuthError(
                "the message's URI (or scheme) is not this service's address: ask GET /auth/nonce for it",
                error="invalid_request",
            )
        if parsed.chain_id != self.ledger.deployment.chain_id:
            raise AuthError(
                f"the message names chain {parsed.chain_id}, not {self.ledger.deployment.chain_id}",
                error="invalid_request",
            )
        now = time.time()
        if parsed.issued_at.timestamp() > now + CLOCK_SKEW_SECONDS:
            raise AuthError("the message's issued-at time is missing or in the future", error="invalid_request")
        if parsed.expiration_time is None:
            raise AuthError("the message needs an expiration time", error="invalid_request")
        if parsed.expiration_time.timestamp() < now:
            raise AuthError("sign-in refused: the message expired")
        if parsed.not_before is not None and parsed.not_before.timestamp() > now + CLOCK_SKEW_SECONDS:
            raise AuthError("sign-in refused: the message is not valid yet (not before)")
        expiry = self._check_nonce(parsed.nonce)
        try:  # the one costly step, once every cheap check has passed
            signer = recover_siwe(message, signature)
        except ValidationError as exc:
            raise AuthError(f"sign-in refused: {exc}") from None
        if signer != parsed.address:
            raise AuthError(f"sign-in refused: the signature is not by {parsed.address}")
        if not self._used.take(parsed.nonce, expiry):  # a concurrent replay of the same message loses here
            raise AuthError("this sign-in message was already used", error="invalid_request")
        viewer = self.viewer_of(signer)
        expires = int(time.time()) + self.token_ttl
        claims = {
            "sub": viewer.address,
            "iss": ISSUER,
            "aud": self._audience(),
            "iat": int(time.time()),
            "exp": expires,
            "jti": secrets.token_hex(8),
        }
        return Token(
            jwt.encode(claims, self._secret, algorithm="HS256"),
            Address(str(viewer.address)),
            datetime.fromtimestamp(expires, UTC),
        )

    def _audience(self) -> str:
        d = self.ledger.deployment
        return f"{d.chain_id}:{d.ledger.lower()}"

    # -- requests -------------------------------------------------------------------------------------------------

    def viewer(self, authorization: str | None) -> Viewer:
        """The viewer a request's `Authorization` header names: anonymous without one; 401 for a bad, expired or
        forged token, or a participant suspended (or gone) since it was issued."""
        if not authorization:
            return ANONYMOUS
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("use `Authorization: Bearer <token>` (POST /auth/login gives one)", error="invalid_request")
        token = token.strip()
        known = self._verified.get(token)
        if known is not None and known[1] > time.time():  # checked before: its signature and claims cannot change
            return self.viewer_of(known[0])
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=self._audience(),
                issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthError("the token expired: sign in again") from None
        except jwt.InvalidTokenError:
            raise AuthError("the token is not one this service issued") from None
        subject = Address(str(claims["sub"]))
        if len(self._verified) >= MAX_VERIFIED:
            self._verified.clear()
        self._verified[token] = (subject, float(claims["exp"]))
        return self.viewer_of(subject)

    def viewer_of(self, address: Address) -> Viewer:
        """A registered, active participant (with its roles) or an admin, read from the index at the chain's head."""
        store = self.ledger.store
        self.ledger.sync()
        roles = store.roles_of(address)
        if Role.ADMIN in roles:
            return Viewer(address, roles)
        participant = store.participant(address)
        if participant is None:
            raise AuthError(f"{address} is not a participant of this consortium")
        why = not_a_member(participant)
        if why is not None:
            raise AuthError(f"{address} {why}")
        return Viewer(participant.address, participant.roles)


def require_member(viewer: Viewer) -> Viewer:
    """A signed-in member (or admin); anonymous callers get 401 with how to sign in. The rule of `MemberDep`, also
    applied before a member route's body is read (`api.audience`)."""
    if viewer.anonymous:
        raise AuthError("sign in first: GET /auth/nonce, sign the message, POST /auth/login", error=None)
    return viewer


def require_admin(viewer: Viewer) -> Viewer:
    """The consortium's admin (403 for another member): the rule of `AdminDep`."""
    if not viewer.admin:
        raise AuthError("this is for the consortium's admin", error="insufficient_scope", status=403)
    return viewer


def _under(uri: str, base: str) -> bool:
    """`uri` is `base` or a page under it (the same scheme, authority and path prefix, compared as written)."""
    base = base.rstrip("/")
    return uri == base or uri.startswith(base + "/") or uri.startswith(base + "?") or uri.startswith(base + "#")
