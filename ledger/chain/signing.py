"""EIP-712 signed submissions: build, sign and check OpenZeppelin `ForwardRequest`s.

A participant signs; a relayer (the ledger service) submits through ProvenanceForwarder and pays the gas. This module
needs no chain: a client holding only a key can sign with the domain and nonce the service publishes.
"""

from __future__ import annotations

import time
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount

from ledger.chain.codec import checksum
from ledger.domain.types import Address, Eip712Domain, ForwardRequest, SignedRequest

FORWARD_REQUEST_TYPES = {
    "ForwardRequest": [
        {"name": "from", "type": "address"},
        {"name": "to", "type": "address"},
        {"name": "value", "type": "uint256"},
        {"name": "gas", "type": "uint256"},
        {"name": "nonce", "type": "uint256"},
        {"name": "deadline", "type": "uint48"},
        {"name": "data", "type": "bytes"},
    ]
}
DEFAULT_TTL_SECONDS = 3_600


def typed_data(domain: Eip712Domain, request: ForwardRequest) -> dict[str, Any]:
    """The full EIP-712 message, as wallets (eth_signTypedData_v4) take it."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **FORWARD_REQUEST_TYPES,
        },
        "primaryType": "ForwardRequest",
        "domain": {
            "name": domain.name,
            "version": domain.version,
            "chainId": domain.chain_id,
            "verifyingContract": domain.verifying_contract,
        },
        "message": {
            "from": request.from_address,
            "to": request.to,
            "value": request.value,
            "gas": request.gas,
            "nonce": request.nonce,
            "deadline": request.deadline,
            "data": request.data,
        },
    }


def build_request(
    signer: Address,
    ledger: Address,
    data: str,
    *,
    nonce: int,
    gas: int,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> ForwardRequest:
    deadline = int((now if now is not None else time.time()) + ttl)
    return ForwardRequest(checksum(signer), checksum(ledger), 0, gas, nonce, deadline, data)


def sign_request(account: LocalAccount, domain: Eip712Domain, request: ForwardRequest) -> SignedRequest:
    signable = encode_typed_data(full_message=typed_data(domain, request))
    signed = account.sign_message(signable)
    return SignedRequest(request, "0x" + bytes(signed.signature).hex())


SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def check_canonical(signature: str) -> None:
    """Refuse a signature OpenZeppelin's `ECDSA.tryRecover` refuses: not 65 bytes, `s` in the upper half of the curve
    order (a malleated copy of a valid signature), or `v` other than 27 or 28. eth-account would accept them, and the
    forwarder would then revert a transaction the relayer pays for."""
    from ledger.domain.errors import SignatureInvalidError

    raw = bytes.fromhex(signature.removeprefix("0x")) if len(signature) % 2 == 0 else b""
    if len(raw) != 65:
        raise SignatureInvalidError("a signature is 65 bytes (r, s, v)")
    r, s, v = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:64], "big"), raw[64]
    if not 0 < r < SECP256K1_N or not 0 < s <= SECP256K1_N // 2:
        raise SignatureInvalidError(
            "signature is not in canonical form (s must be in the lower half of the curve "
            "order, as OpenZeppelin's ECDSA requires)"
        )
    if v not in (27, 28):
        raise SignatureInvalidError(f"signature v is {v}; the forwarder takes 27 or 28")


def recover_signer(domain: Eip712Domain, signed: SignedRequest) -> Address:
    signable = encode_typed_data(full_message=typed_data(domain, signed.request))
    return checksum(Account.recover_message(signable, signature=bytes.fromhex(signed.signature.removeprefix("0x"))))


def check_signature(domain: Eip712Domain, signed: SignedRequest) -> Address:
    """The signer of `signed`, once its signature is in canonical form and recovers to its `from`; else
    `SignatureInvalidError`. Needs no chain: nothing is done in a signer's name before this holds."""
    from ledger.domain.errors import SignatureInvalidError

    check_canonical(signed.signature)
    try:
        signer = recover_signer(domain, signed)
    except Exception as exc:  # malformed signature bytes
        raise SignatureInvalidError(f"malformed signature: {exc}") from None
    if signer != checksum(signed.request.from_address):
        raise SignatureInvalidError(f"signature is by {signer}, not by {signed.request.from_address}")
    return signer


def gas_for(data: str) -> int:
    """A generous gas allowance for a request, from its calldata size (a client cannot always estimate)."""
    return 300_000 + 80 * (len(data) // 2)
