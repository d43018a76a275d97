"""Signing in: Sign-In with Ethereum (EIP-4361, the `siwe` package) proves a participant holds its key; the service
answers a short-lived bearer token (a JWT signed with the service's secret, PyJWT) that says who is asking.

- Nonces are stateless: `<random>.<expiry>.<HMAC>` under the secret, so any instance with the same secret accepts a
  sign-in started on another; each is taken once per instance.
- A token carries no secret of the participant: its address, issue and expiry times, and the chain. Every instance
  with the same secret accepts it. It stops working at once when the participant is suspended or leaves the
  consortium: each request checks the participant at the chain's head.
- Writes keep their EIP-712 signature as the authority for what is written; the token only says who is reading.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

with warnings.catch_warnings():  # abnf (siwe's grammar library) may warn about its own grammar on import
    warnings.simplefilter("ignore")
    from siwe import SiweMessage

from ledger.access import ANONYMOUS, Viewer
from ledger.client import Ledger
from ledger.errors import LedgerError
from ledger.types import Address, Role

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
    def __init__(self, secret: str, *, domain: str, ledger: Ledger, token_ttl: int) -> None:
        self._secret = secret.encode()
        self.domain = domain
        self.ledger = ledger
        self.token_ttl = token_ttl
        self._used: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()
        self._verified: dict[str, tuple[Address, float]] = {}  # token -> (participant, expiry): checked once

    # -- nonces ---------------------------------------------------------------------------------------------------

    def new_nonce(self) -> tuple[str, datetime]:
        expiry = int(time.time()) + NONCE_TTL_SECONDS
        body = f"{secrets.token_hex(8)}{expiry:x}"
        return body + self._mac(body)[:16], datetime.fromtimestamp(expiry, UTC)

    def _mac(self, body: str) -> str:
        return hmac.new(self._secret, b"siwe-nonce:" + body.encode(), hashlib.sha256).hexdigest()

    def _take_nonce(self, nonce: str) -> None:
        """Accept a nonce this service (any instance with the secret) issued, unexpired, once."""
        body, mac = nonce[:-16], nonce[-16:]
        if len(nonce) < 26 or not nonce.isalnum() or not hmac.compare_digest(self._mac(body)[:16], mac):
            raise AuthError("the sign-in nonce was not issued by this service", error="invalid_request")
        try:
            expiry = int(body[16:], 16)
        except ValueError:
            raise AuthError("the sign-in nonce is malformed", error="invalid_request") from None
        now = time.time()
        if expiry < now:
            raise AuthError("the sign-in nonce expired: ask for a new one", error="invalid_request")
        with self._lock:
            while self._used and next(iter(self._used.values())) < now:
                self._used.popitem(last=False)
            if nonce in self._used:
                raise AuthError("this sign-in message was already used", error="invalid_request")
            self._used[nonce] = float(expiry)

    # -- sign-in --------------------------------------------------------------------------------------------------

    def sign_in(self, message: str, signature: str) -> Token:
        """Verify an EIP-4361 message and its signature; answer a token for a registered, active participant."""
        try:
            parsed = SiweMessage.from_message(message)
        except Exception as exc:  # siwe raises ValueError and its own parse errors
            raise AuthError(f"not a Sign-In with Ethereum message: {str(exc)[:200]}", error="invalid_request") from None
        if parsed.domain != self.domain:
            raise AuthError(f"the message is for {parsed.domain!r}, not this service ({self.domain})",
                            error="invalid_request")
        if int(parsed.chain_id) != self.ledger.deployment.chain_id:
            raise AuthError(f"the message names chain {parsed.chain_id}, not {self.ledger.deployment.chain_id}",
                            error="invalid_request")
        issued = _when(parsed.issued_at)
        if issued is None or issued.timestamp() > time.time() + CLOCK_SKEW_SECONDS:
            raise AuthError("the message's issued-at time is missing or in the future", error="invalid_request")
        if parsed.expiration_time is None:
            raise AuthError("the message needs an expiration time", error="invalid_request")
        try:
            parsed.verify(signature, domain=self.domain, nonce=parsed.nonce)
        except Exception as exc:  # siwe's VerificationError subclasses: bad signature, expired, not yet valid
            raise AuthError(f"sign-in refused: {type(exc).__name__}") from None
        self._take_nonce(parsed.nonce)
        viewer = self.viewer_of(Address(parsed.address))
        expires = int(time.time()) + self.token_ttl
        claims = {"sub": viewer.address, "iss": ISSUER, "aud": self._audience(), "iat": int(time.time()),
                  "exp": expires, "jti": secrets.token_hex(8)}
        return Token(jwt.encode(claims, self._secret, algorithm="HS256"), Address(str(viewer.address)),
                     datetime.fromtimestamp(expires, UTC))

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
            claims = jwt.decode(token, self._secret, algorithms=["HS256"], audience=self._audience(),
                                issuer=ISSUER, options={"require": ["exp", "iat", "sub", "aud", "iss"]})
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
        if participant.suspended:
            raise AuthError(f"{address} is suspended from the consortium")
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


def _when(value: object) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

