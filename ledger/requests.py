"""Client helper: build and sign the bodies of the API's write routes, with a key and no chain.

    domain, ledger_address = fetch_domain(api_url)          # GET /eip712/domain
    nonce = fetch_nonce(api_url, account.address)           # GET /participants/{address}/nonce
    data = calldata.transfer_custody(batch_id, to)
    body = signed_body(account, domain, ledger_address, data, nonce=nonce)
    httpx.post(f"{api_url}/batches/{batch_id}/custody", json=body)

`ApiSigner` wraps these three steps. The calldata builders validate their input as `Ledger` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger import validation as v
from ledger.calls import encode_call
from ledger.client import encode_metrics, validate_batch
from ledger.codec import batch_record, checksum, from_hex, text_to_bytes
from ledger.errors import ValidationError
from ledger.esg.catalogue import validate_metrics
from ledger.signing import DEFAULT_TTL_SECONDS, build_request, gas_for, sign_request
from ledger.types import (
    AssuranceLevel,
    Eip712Domain,
    FlagKind,
    MetricValue,
    NewBatch,
    Opinion,
    SignedRequest,
)

FLAG_KINDS = list(FlagKind)
LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)


class calldata:
    """Calldata for each participant action, from domain objects."""

    @staticmethod
    def record_batch(batch: NewBatch) -> str:
        return encode_call("recordBatch", batch_record(validate_batch(batch)))

    @staticmethod
    def record_batches(batches: Sequence[NewBatch]) -> str:
        if not batches:
            raise ValidationError("no batches to record", field="batches")
        return encode_call("recordBatches", [batch_record(validate_batch(b)) for b in batches])

    @staticmethod
    def transfer_custody(batch_id: str, to: str) -> str:
        return encode_call("transferCustody", from_hex(v.batch_id(batch_id)), v.address(to, "to"))

    @staticmethod
    def flag_batch(batch_id: str, kind: FlagKind, reason: str) -> str:
        if not reason.strip():
            raise ValidationError("a flag needs a reason", field="reason")
        return encode_call("flagBatch", from_hex(v.batch_id(batch_id)), FLAG_KINDS.index(FlagKind(kind)), reason)

    @staticmethod
    def publish_disclosure(period: str, framework: str, metrics: Sequence[MetricValue], document_hash: str,
                           uri: str) -> str:
        return encode_call("publishDisclosure", text_to_bytes(v.period(period), 16),
                           text_to_bytes(v.framework(framework), 8), encode_metrics(validate_metrics(metrics)),
                           from_hex(v.hash32(document_hash, "document_hash")), uri)

    @staticmethod
    def amend_disclosure(disclosure_id: str, metrics: Sequence[MetricValue], document_hash: str, uri: str,
                         reason: str) -> str:
        if not reason.strip():
            raise ValidationError("an amendment needs a reason", field="reason")
        return encode_call("amendDisclosure", from_hex(v.hash32(disclosure_id, "disclosure_id")),
                           encode_metrics(validate_metrics(metrics)),
                           from_hex(v.hash32(document_hash, "document_hash")), uri, reason)

    @staticmethod
    def attest(disclosure_id: str, version: int, level: AssuranceLevel, opinion: Opinion, report_hash: str) -> str:
        return encode_call("attestDisclosure", from_hex(v.hash32(disclosure_id, "disclosure_id")), int(version),
                           LEVELS.index(AssuranceLevel(level)), OPINIONS.index(Opinion(opinion)),
                           from_hex(v.hash32(report_hash, "report_hash")))

    @staticmethod
    def revoke_attestation(disclosure_id: str, version: int, reason: str) -> str:
        if not reason.strip():
            raise ValidationError("a revocation needs a reason", field="reason")
        return encode_call("revokeAttestation", from_hex(v.hash32(disclosure_id, "disclosure_id")), int(version),
                           reason)


def sign(account: LocalAccount, domain: Eip712Domain, ledger_address: str, data: str, *, nonce: int,
         ttl: int = DEFAULT_TTL_SECONDS, now: float | None = None) -> SignedRequest:
    request = build_request(checksum(account.address), checksum(ledger_address), data, nonce=nonce, gas=gas_for(data),
                            ttl=ttl, now=now)
    return sign_request(account, domain, request)


def body_of(signed: SignedRequest) -> dict[str, Any]:
    """A signed request as the JSON body the API's write routes take."""
    r = signed.request
    return {
        "request": {"from": r.from_address, "to": r.to, "value": r.value, "gas": r.gas,
                    "nonce": r.nonce, "deadline": r.deadline, "data": r.data},
        "signature": signed.signature,
    }


def signed_body(account: LocalAccount, domain: Eip712Domain, ledger_address: str, data: str, *, nonce: int,
                ttl: int = DEFAULT_TTL_SECONDS, now: float | None = None) -> dict[str, Any]:
    return body_of(sign(account, domain, ledger_address, data, nonce=nonce, ttl=ttl, now=now))


def domain_from_json(body: dict[str, Any]) -> tuple[Eip712Domain, str]:
    """The EIP-712 domain and the ledger address from the body of `GET /eip712/domain`."""
    domain = Eip712Domain(body["name"], body["version"], int(body["chain_id"]),
                          checksum(body["verifying_contract"]))
    return domain, checksum(body["ledger"])


class ApiSigner:
    """Signs bodies for one API with one key, fetching the domain once and the nonce each time."""

    def __init__(self, api_url: str, account: LocalAccount, *, client: Any = None) -> None:
        import httpx

        self.api_url = api_url.rstrip("/")
        self.account = account
        self.client = client if client is not None else httpx.Client(base_url=self.api_url, timeout=30)
        self._domain: tuple[Eip712Domain, str] | None = None

    def domain(self) -> tuple[Eip712Domain, str]:
        if self._domain is None:
            reply = self.client.get("/eip712/domain")
            reply.raise_for_status()
            self._domain = domain_from_json(reply.json())
        return self._domain

    def nonce(self) -> int:
        reply = self.client.get(f"/participants/{self.account.address}/nonce")
        reply.raise_for_status()
        return int(reply.json()["nonce"])

    def body(self, data: str, *, ttl: int = DEFAULT_TTL_SECONDS, nonce: int | None = None) -> dict[str, Any]:
        domain, ledger_address = self.domain()
        return signed_body(self.account, domain, ledger_address, data,
                           nonce=self.nonce() if nonce is None else nonce, ttl=ttl)


def metric(code: str, value: str | Decimal, unit: str) -> MetricValue:
    return MetricValue(code, Decimal(str(value)), unit)
