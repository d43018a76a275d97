"""`Forwarding`: what OpenZeppelin's forwarder will check of a signed request, asked of the chain before any gas is
spent: the signer's nonce, the chain's time, the request itself (target, value, signature, nonce, deadline) and a dry
run of the inner call. The `Ledger` client and the relayer (`ledger.relay.relayer`) both use it, so the relayer depends
on these checks, the chain and its outbox, never on the `Ledger`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import cast

from eth_typing import ChecksumAddress
from web3.exceptions import BadFunctionCallOutput
from web3.types import Wei

from ledger.chain.codec import checksum, from_hex
from ledger.chain.compile import load_artifact
from ledger.chain.connection import Chain
from ledger.chain.deploy import deployment_problem
from ledger.chain.signing import check_signature
from ledger.domain import validation as v
from ledger.domain.errors import (
    ChainMismatchError,
    ContractRevertError,
    LedgerUnavailableError,
    SignatureExpiredError,
    SignatureInvalidError,
    SignatureReplayError,
    ValidationError,
)
from ledger.domain.types import Deployment, Eip712Domain, SignedRequest


class Forwarding:
    """The forwarder of one deployment on one chain, and the checks a signed request for it must pass."""

    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.deployment = deployment
        self.contract = chain.w3.eth.contract(
            address=cast(ChecksumAddress, deployment.forwarder), abi=load_artifact("ProvenanceForwarder").abi
        )
        self.domain = Eip712Domain("ProvenanceForwarder", "1", chain.chain_id, deployment.forwarder)

    def nonce(self, account: str) -> int:
        address = v.address(account)
        try:
            return int(self.chain._guard(lambda: self.contract.functions.nonces(address).call()))
        except BadFunctionCallOutput:  # no forwarder code answered: not this deployment's chain
            problem = deployment_problem(self.chain, self.deployment)
            raise ChainMismatchError(problem or "the forwarder did not answer its nonce") from None

    def chain_time(self) -> float:
        """The later of the latest block's time and the wall clock (a dev chain's clock may lag)."""
        block = self.chain._guard(lambda: self.chain.w3.eth.get_block("latest"))
        return max(float(block["timestamp"]), time.time())

    def check_signed(self, signed: SignedRequest, *, min_deadline: int = 0, signature_checked: bool = False) -> None:
        """Refuse, with the precise reason and before any gas is spent, what OpenZeppelin's forwarder would refuse:
        a signature not in canonical form (ECDSA.tryRecover: 65 bytes, low s, v 27 or 28), by another signer, for
        another target or with value, a used or future nonce, or a deadline that passes within `min_deadline`
        seconds (it could pass before the transaction is mined, and a reverted transaction is paid).
        `signature_checked`: the caller has just run `check_signature` on this very request (the relayer does, before
        it takes a turn in the signer's name), so the signer is not recovered twice."""
        request = signed.request
        if checksum(request.to) != self.deployment.ledger:
            raise SignatureInvalidError(f"request targets {request.to}, not the ledger {self.deployment.ledger}")
        if request.value != 0:
            raise SignatureInvalidError("requests must not carry value")
        if not signature_checked:
            check_signature(self.domain, signed)
        current = self.nonce(request.from_address)
        if request.nonce < current:
            raise SignatureReplayError(f"nonce {request.nonce} was already used (next is {current}): a replay")
        if request.nonce > current:
            raise SignatureInvalidError(f"nonce {request.nonce} is ahead of the signer's next nonce {current}")
        now = self.chain_time()
        if request.deadline < now + min_deadline:
            raise SignatureExpiredError(
                f"request expires at {datetime.fromtimestamp(request.deadline, UTC).isoformat()}"
                + (f", within the {min_deadline} s it may take to be mined" if request.deadline >= now else "")
            )

    def dry_run(self, signed: SignedRequest) -> None:
        """The inner call as the ledger will see it (it reads the sender as ERC-2771 does, so a call from the signer
        is exact), with exactly the gas the forwarder will hand it: raises the contract's own decoded error, or
        `ValidationError` when the signed gas cannot carry the call (the forwarder's transaction would revert)."""
        request = signed.request
        self.fund_for_dry_run(request.from_address)
        data = from_hex(request.data)
        intrinsic = 21_000 + sum(16 if byte else 4 for byte in data)  # paid by the transaction, not the inner call
        inner = {
            "from": request.from_address,
            "to": self.deployment.ledger,
            "gas": request.gas + intrinsic,
            "data": request.data,
        }
        try:
            self.chain.call(inner)  # type: ignore[arg-type]
        except (ContractRevertError, LedgerUnavailableError):
            raise
        except Exception as exc:  # the node refused the call itself: out of gas, not a revert of the contract
            if "gas" not in str(exc).lower():
                raise
            raise ValidationError(
                f"request.gas {request.gas} is too little for this call; sign the request with "
                "more (the relayer pays only what is used)",
                field="request.gas",
            ) from None

    def fund_for_dry_run(self, account: str) -> None:
        """eth-tester refuses even an eth_call from an account that cannot pay its gas; real nodes do not.

        On the embedded chain only, give a signer with no balance a little ether once so dry runs work there too.
        """
        if self.chain.embedded and self.chain.w3.eth.get_balance(account) == 0:  # type: ignore[arg-type]
            self.chain.send({"to": account, "value": Wei(10**18)}, gas=21_000)

    def execute_data(self, signed: SignedRequest) -> str:
        """The forwarder's `execute` calldata that relays `signed`."""
        r = signed.request
        payload = (r.from_address, r.to, r.value, r.gas, r.deadline, from_hex(r.data), from_hex(signed.signature))
        return str(self.contract.functions.execute(payload)._encode_transaction_data())
