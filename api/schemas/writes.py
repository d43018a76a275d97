"""Signed writes: an OpenZeppelin ERC2771Forwarder `ForwardRequest` and its EIP-712 signature."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import ConfigDict, Field, StringConstraints

from api.schemas.common import EXAMPLE_ADDRESS, EXAMPLE_TX, AddressStr, HexStr, In, Out
from ledger import Address, ForwardRequest, SignedRequest

#: The largest nonce taken: the forwarder's nonces count up from 0 one per request, so they never come near it, and it
#: is the largest integer a JSON client (JavaScript) and the OpenAPI document carry exactly (2**256 - 1, the uint256
#: bound, rendered as 1.157920892373162e+77).
MAX_NONCE = 2**53 - 1
SignatureStr = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$")]
EXAMPLE_REQUEST: dict[str, Any] = {
    "request": {
        "from": EXAMPLE_ADDRESS,
        "to": "0x2946259E0334f33A064106302415aD3391BeD384",
        "value": 0,
        "gas": 312000,
        "nonce": 0,
        "deadline": 1767225600,
        "data": "0x8f8c2d9a18898817876631a09687937b68ba1364acd3a08524fc26ccfef089151b05d371…",
    },
    "signature": "0x" + "ab" * 65,
}


class ForwardRequestIn(In):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: AddressStr = Field(alias="from", description="the participant who signs (and is the ledger's sender)")
    to: AddressStr = Field(description="the ProvenanceLedger address (see GET /eip712/domain)")
    value: int = Field(default=0, ge=0, le=0, description="always 0")
    gas: int = Field(
        ge=21_000,
        le=16_777_216,
        description="gas the inner call may use; the relayer takes at most "
        "LEDGER_RELAY_MAX_GAS (12,000,000 by default, see GET /relayer) and pays only what is used",
    )
    nonce: int = Field(ge=0, le=MAX_NONCE, description="see GET /participants/{address}/nonce")
    deadline: int = Field(ge=0, lt=2**48, description="unix time after which the request is void")
    data: HexStr = Field(min_length=10, description="ABI calldata of the ProvenanceLedger function")


class SignedRequestIn(In):
    """An EIP-712 ForwardRequest signed by the participant's own key; the service relays it and pays the gas."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [EXAMPLE_REQUEST]})

    request: ForwardRequestIn
    signature: SignatureStr = Field(description="65-byte EIP-712 signature, 0x-hex")

    def to_domain(self) -> SignedRequest:
        r = self.request
        return SignedRequest(
            ForwardRequest(Address(r.from_), Address(r.to), r.value, r.gas, r.nonce, r.deadline, r.data.lower()),
            self.signature,
        )


class WriteResult(Out):
    function: str = Field(description="the ledger function called", examples=["transferCustody"])
    signer: str = Field(examples=[EXAMPLE_ADDRESS])
    tx_hash: str = Field(description="the relayed transaction", examples=[EXAMPLE_TX])
    block_number: int
    gas_used: int
    created: list[str] = Field(default=[], description="ids created: batch ids, or the disclosure id")


class Eip712DomainOut(Out):
    name: str = Field(examples=["ProvenanceForwarder"])
    version: str = Field(examples=["1"])
    chain_id: int = Field(examples=[31337])
    verifying_contract: str = Field(description="the forwarder")
    ledger: str = Field(description="the ProvenanceLedger: the `to` of every request")
    primary_type: str = "ForwardRequest"
    types: dict[str, list[dict[str, str]]]
