"""Client helper: build and sign the bodies of the API's write routes, with a key and no chain.

    domain, ledger_address = fetch_domain(api_url)          # GET /eip712/domain
    nonce = fetch_nonce(api_url, account.address)           # GET /participants/{address}/nonce
    data = calldata.transfer_custody(batch_id, to)
    body = signed_body(account, domain, ledger_address, data, nonce=nonce)
    httpx.post(f"{api_url}/batches/{batch_id}/custody", json=body)

`ApiSigner` wraps these three steps. The calldata builders validate their input as `Ledger` does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.chain.codec import checksum
from ledger.chain.signing import DEFAULT_TTL_SECONDS, build_request, gas_for, sign_request
from ledger.domain.types import Eip712Domain, MetricValue, SignedRequest
from ledger.writes import admin, batches, disclosures, events


class calldata:
    """Calldata for each participant action, from domain objects, validated by `ledger.writes` (the same rules as
    `Ledger` and the API's relay)."""

    record_batch = staticmethod(batches.record_batch)
    record_batches = staticmethod(batches.record_batches)
    transfer_custody = staticmethod(batches.transfer_custody)
    flag_batch = staticmethod(batches.flag_batch)
    anchor_batches = staticmethod(batches.anchor_batches)
    claim_anchored_batch = staticmethod(batches.claim_anchored_batch)
    publish_disclosure = staticmethod(disclosures.publish_disclosure)
    amend_disclosure = staticmethod(disclosures.amend_disclosure)
    attest = staticmethod(disclosures.attest)
    revoke_attestation = staticmethod(disclosures.revoke_attestation)
    commit_events = staticmethod(events.commit_events)
    register_participant = staticmethod(admin.register_participant)
    add_site = staticmethod(admin.add_site)
    grant_role = staticmethod(admin.grant_role)
    revoke_role = staticmethod(admin.revoke_role)
    set_suspended = staticmethod(admin.set_suspended)


def sign(
    account: LocalAccount,
    domain: Eip712Domain,
    ledger_address: str,
    data: str,
    *,
    nonce: int,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> SignedRequest:
    request = build_request(
        checksum(account.address), checksum(ledger_address), data, nonce=nonce, gas=gas_for(data), ttl=ttl, now=now
    )
    return sign_request(account, domain, request)


def body_of(signed: SignedRequest) -> dict[str, Any]:
    """A signed request as the JSON body the API's write routes take."""
    r = signed.request
    return {
        "request": {
            "from": r.from_address,
            "to": r.to,
            "value": r.value,
            "gas": r.gas,
            "nonce": r.nonce,
            "deadline": r.deadline,
            "data": r.data,
        },
        "signature": signed.signature,
    }


def signed_body(
    account: LocalAccount,
    domain: Eip712Domain,
    ledger_address: str,
    data: str,
    *,
    nonce: int,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> dict[str, Any]:
    return body_of(sign(account, domain, ledger_address, data, nonce=nonce, ttl=ttl, now=now))


def domain_from_json(body: dict[str, Any]) -> tuple[Eip712Domain, str]:
    """The EIP-712 domain and the ledger address from the body of `GET /eip712/domain`."""
    domain = Eip712Domain(body["name"], body["version"], int(body["chain_id"]), checksum(body["verifying_contract"]))
    return domain, checksum(body["ledger"])


def siwe_message(address: str, nonce: dict[str, Any], *, ttl: int = 300, now: datetime | None = None) -> str:
    """The EIP-4361 message to sign in with, from what `GET /auth/nonce` answered (domain, uri, chain, nonce,
    statement), built by `ledger.siwe` (the one home of the format)."""
    from ledger import siwe

    issued = (now or datetime.now(UTC)).replace(microsecond=0)
    return siwe.build(
        domain=str(nonce["domain"]),
        address=address,
        statement=nonce.get("statement"),
        uri=str(nonce["uri"]),
        chain_id=int(nonce["chain_id"]),
        nonce=str(nonce["nonce"]),
        issued_at=issued,
        expiration_time=issued + timedelta(seconds=ttl),
    )


def sign_in(account: LocalAccount, message: str) -> dict[str, str]:
    """The body of `POST /auth/login`: the message and its EIP-191 signature by `account`."""
    from eth_account.messages import encode_defunct

    signature = account.sign_message(encode_defunct(text=message)).signature
    return {"message": message, "signature": "0x" + bytes(signature).hex()}


class ApiSigner:
    """Signs bodies for one API with one key, fetching the domain once and the nonce each time; `login` signs in
    (Sign-In with Ethereum) and sends the token with every later request."""

    def __init__(self, api_url: str, account: LocalAccount, *, client: Any = None, token: str | None = None) -> None:
        import httpx

        self.api_url = api_url.rstrip("/")
        self.account = account
        self.client = client if client is not None else httpx.Client(base_url=self.api_url, timeout=30)
        self.token = token
        self._domain: tuple[Eip712Domain, str] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def login(self) -> str:
        """Sign in with the account's key; the token is kept and sent from now on. Returns it."""
        reply = self.client.get("/auth/nonce")
        reply.raise_for_status()
        answer = self.client.post(
            "/auth/login", json=sign_in(self.account, siwe_message(self.account.address, reply.json()))
        )
        answer.raise_for_status()
        self.token = str(answer.json()["token"])
        return self.token

    def domain(self) -> tuple[Eip712Domain, str]:
        if self._domain is None:
            reply = self.client.get("/eip712/domain", headers=self.headers)
            reply.raise_for_status()
            self._domain = domain_from_json(reply.json())
        return self._domain

    def nonce(self) -> int:
        reply = self.client.get(f"/participants/{self.account.address}/nonce", headers=self.headers)
        reply.raise_for_status()
        return int(reply.json()["nonce"])

    def body(self, data: str, *, ttl: int = DEFAULT_TTL_SECONDS, nonce: int | None = None) -> dict[str, Any]:
        domain, ledger_address = self.domain()
        return signed_body(
            self.account, domain, ledger_address, data, nonce=self.nonce() if nonce is None else nonce, ttl=ttl
        )


def metric(code: str, value: str | Decimal, unit: str) -> MetricValue:
    return MetricValue(code, Decimal(str(value)), unit)
