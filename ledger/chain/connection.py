"""Connection to an EVM chain: the embedded eth-tester chain or any JSON-RPC node, with local signing.

`Chain` owns the web3 instance, the operator account (which deploys, administers and relays) and its nonce
allocator, and turns every revert into the decoded `ContractRevertError` subclass.

Over 400 lines on purpose: one class, the only place web3 is driven (connection, nonce allocation, signing, sending,
receipts, fault mapping), so every call to the node passes the same guard.
"""

from __future__ import annotations

import ast
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import HTTPProvider, Web3
from web3.exceptions import BlockNotFound, ContractLogicError, TimeExhausted, TransactionNotFound, Web3RPCError
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import RPCEndpoint, RPCResponse, TxParams, TxReceipt

from ledger.chain.revert import decode_revert
from ledger.domain.errors import ContractRevertError, LedgerError, LedgerUnavailableError, TransactionTimeoutError

EMBEDDED_OPERATOR_KEY = "0x" + "00" * 31 + "01"  # eth-tester's first funded account
ANVIL_OPERATOR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"  # anvil's account 0
DEFAULT_NODE_TIMEOUT = 5.0
log = logging.getLogger("ledger.chain")


def redact(url: str) -> str:
    """A node URL fit for logs: scheme, host and port only (hosted node URLs carry API keys in the path or query,
    and credentials before the host)."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{parts.scheme}://{host}{f':{parts.port}' if parts.port else ''}"


class NonceTooLowError(LedgerError):
    """The node refused a transaction's nonce: used, or taken by a pending transaction. Sign again."""

    code = "nonce_too_low"


class NonceUnavailableError(LedgerUnavailableError):
    """Every nonce the operator signed with was taken first by another process using the same key: nothing was
    broadcast; try again shortly (503)."""

    code = "relayer_busy"


#: Signing attempts when another process using the operator's key takes the nonce each time (see `send_operator`).
NONCE_ATTEMPTS = 8


@dataclass(frozen=True)
class SignedTx:
    raw: str
    hash: str
    nonce: int
    max_fee: int
    tip: int


def _keeping_revert_data(method: Any) -> Any:
    """web3's eth-tester provider decodes any raw revert data as an `Error(string)` reason, whatever its selector: a
    custom error whose first argument is a string would reach us as that string alone. Hand it the bytes' repr
    instead, which it passes through and `_revert_data` reads back exactly."""
    from eth_tester.exceptions import TransactionFailed

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        try:
            return method(*args, **kwargs)
        except TransactionFailed as exc:
            data = exc.args[0] if exc.args else None
            if isinstance(data, Exception):  # py-evm's Revert, wrapping the bytes
                data = data.args[0] if data.args else None
            if isinstance(data, bytes):
                raise TransactionFailed(Exception(repr(data))) from None
            raise

    return wrapped


class _SerialTesterProvider(EthereumTesterProvider):
    """eth-tester is not thread-safe: the API serves requests from a thread pool, so requests take turns."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.RLock()
        for name in ("call", "estimate_gas", "send_raw_transaction", "send_transaction"):
            setattr(self.ethereum_tester, name, _keeping_revert_data(getattr(self.ethereum_tester, name)))

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        with self._lock:
            return super().make_request(method, params)


def _revert_data(exc: Exception) -> bytes | str | None:
    """The raw revert data inside whatever exception the provider raised, or None if it is no revert."""
    if isinstance(exc, ContractLogicError):
        data = exc.data
        if isinstance(data, dict):
            data = data.get("data")
        return data if isinstance(data, str) else None
    if type(exc).__name__ == "TransactionFailed":
        message = str(exc.args[0]) if exc.args else ""
        text = message.removeprefix("execution reverted: ")
        if text.startswith(("b'", 'b"')):
            value = ast.literal_eval(text)
            return value if isinstance(value, bytes) else None
        return ("0x08c379a0" + Web3.to_hex(_abi_string(text))[2:]) if text else "0x"
    if isinstance(exc, Web3RPCError):
        error = exc.rpc_response.get("error") if exc.rpc_response else None
        data = error.get("data") if isinstance(error, dict) else None
        return data if isinstance(data, str) and data.startswith("0x") else None
    return None


def _abi_string(text: str) -> bytes:
    from eth_abi import encode

    return encode(["string"], [text])


def as_revert(exc: Exception) -> ContractRevertError | None:
    data = _revert_data(exc)
    return None if data is None else decode_revert(data)


class Chain:
    """A chain connection with an operator account that signs locally and allocates its own nonces."""

    def __init__(
        self,
        w3: Web3,
        operator: LocalAccount,
        *,
        embedded: bool,
        receipt_timeout: float = 120.0,
        node_timeout: float = DEFAULT_NODE_TIMEOUT,
        node: str = "the embedded chain",
    ) -> None:
        self.w3 = w3
        self.operator = operator
        self.embedded = embedded
        self.receipt_timeout = receipt_timeout
        self.node_timeout = node_timeout
        self.node = node  # redacted: for logs only
        self._nonce_lock = threading.Lock()
        self._next_nonce: int | None = None
        self._send_lock = threading.RLock()
        self.chain_id: int = self._guard(lambda: w3.eth.chain_id)

    @classmethod
    def embedded_chain(cls) -> Chain:
        """A fresh in-process chain (eth-tester + py-evm)."""
        return cls(Web3(_SerialTesterProvider()), Account.from_key(EMBEDDED_OPERATOR_KEY), embedded=True)

    @classmethod
    def connect(cls, rpc_url: str, operator_key: str | None = None, *, timeout: float = DEFAULT_NODE_TIMEOUT) -> Chain:
        """A JSON-RPC node. Without `operator_key`, anvil's well-known first development account is used.

        Every call to the node gives up after `timeout` seconds, once (no retries): a hung node costs a request that
        long, then `LedgerUnavailableError`, never minutes."""
        w3 = Web3(HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}, exception_retry_configuration=None))
        return cls(
            w3,
            Account.from_key(operator_key or ANVIL_OPERATOR_KEY),
            embedded=False,
            node_timeout=timeout,
            node=redact(rpc_url),
        )

    # -- reads -------------------------------------------------------------------------------------------------

    @property
    def head(self) -> int:
        return int(self._guard(lambda: self.w3.eth.block_number))

    def _guard(self, fn: Any) -> Any:
        """Run a provider call, translating connection failures into `LedgerUnavailableError`. The message names
        what happened, never the node's URL (it may carry credentials); the log names the node, redacted."""
        try:
            return fn()
        except requests.Timeout as exc:
            log.warning("node %s did not answer within %ss: %s", self.node, self.node_timeout, type(exc).__name__)
            raise LedgerUnavailableError(f"the chain node did not answer within {self.node_timeout:g} s") from None
        except (requests.ConnectionError, ConnectionError, OSError) as exc:
            log.warning("node %s unreachable: %s", self.node, type(exc).__name__)
            raise LedgerUnavailableError("the chain node cannot be reached") from None

    def call(self, tx: TxParams) -> bytes:
        """eth_call, raising the decoded revert."""
        try:
            return bytes(self._guard(lambda: self.w3.eth.call(tx)))
        except Exception as exc:
            revert = as_revert(exc)
            if revert is None:
                raise
            raise revert from None

    def estimate_gas(self, tx: TxParams) -> int:
        try:
            return int(self._guard(lambda: self.w3.eth.estimate_gas(tx)))
        except Exception as exc:
            revert = as_revert(exc)
            if revert is None:
                raise
            raise revert from None

    # -- writes ------------------------------------------------------------------------------------------------

    def _allocate_nonce(self) -> int:
        with self._nonce_lock:
            if self._next_nonce is None:
                self._next_nonce = int(
                    self._guard(lambda: self.w3.eth.get_transaction_count(self.operator.address, "pending"))
                )
            nonce = self._next_nonce
            self._next_nonce += 1
            return nonce

    def reset_nonce(self) -> None:
        with self._nonce_lock:
            self._next_nonce = None

    def send(self, tx: TxParams, *, gas: int | None = None, account: LocalAccount | None = None) -> TxReceipt:
        """Estimate (raising the decoded revert), sign locally, send and wait for the receipt.

        The operator signs unless `account` is given (a participant paying its own gas); the operator's nonces come
        from this process's allocator, re-read from the node when another process using the same key (an admin
        script beside the service) took one; another account's nonces come from the node."""
        signer = account or self.operator
        own = signer.address == self.operator.address
        base: dict[str, Any] = {"from": signer.address, "chainId": self.chain_id, "value": 0, **tx}
        if gas is None:
            gas = self.estimate_gas(base)  # type: ignore[arg-type]
            gas = gas + gas // 5 + 10_000
        if own:
            tx_hash = self.send_operator(tx, gas=gas).hash
        else:
            with self._send_lock:
                fees = self._fees()
                nonce = int(self._guard(lambda: self.w3.eth.get_transaction_count(signer.address, "pending")))
                signed = signer.sign_transaction({**base, "gas": gas, "nonce": nonce, **fees})
                tx_hash = "0x" + bytes(signed.hash).hex()
                self.broadcast("0x" + bytes(signed.raw_transaction).hex())
        try:
            receipt = self._guard(
                lambda: self.w3.eth.wait_for_transaction_receipt(
                    tx_hash,  # type: ignore[arg-type]
                    timeout=self.receipt_timeout,
                    poll_latency=0.05,
                )
            )
        except TimeExhausted as exc:
            raise TransactionTimeoutError(f"no receipt for {tx_hash} after {self.receipt_timeout}s") from exc
        if receipt["status"] != 1:
            # Mined but failed: replay it as a call to learn why.
            self.call({**base, "gas": gas})  # type: ignore[typeddict-item]
            raise ContractRevertError({"tx_hash": tx_hash}, message="transaction reverted")
        return receipt

    def sign_operator(
        self,
        tx: dict[str, Any] | TxParams,
        *,
        gas: int,
        nonce: int | None = None,
        max_fee: int | None = None,
        tip: int | None = None,
    ) -> SignedTx:
        """A transaction signed by the operator with the next nonce of this process's allocator (or `nonce`, to
        replace a pending one) and the current fees (or those given)."""
        with self._send_lock:
            fees = self._fees()
            if max_fee is not None:
                fees = {
                    "maxFeePerGas": max(max_fee, fees["maxFeePerGas"]),
                    "maxPriorityFeePerGas": max(tip or 0, fees["maxPriorityFeePerGas"]),
                }
            used = self._allocate_nonce() if nonce is None else nonce
            body: dict[str, Any] = {
                "from": self.operator.address,
                "chainId": self.chain_id,
                "value": 0,
                **tx,
                "gas": gas,
                "nonce": used,
                **fees,
            }
            signed = self.operator.sign_transaction(body)
        return SignedTx(
            "0x" + bytes(signed.raw_transaction).hex(),
            "0x" + bytes(signed.hash).hex(),
            used,
            int(fees["maxFeePerGas"]),
            int(fees["maxPriorityFeePerGas"]),
        )

    def send_operator(
        self, tx: dict[str, Any] | TxParams, *, gas: int, before_broadcast: Callable[[SignedTx], None] | None = None
    ) -> SignedTx:
        """Sign `tx` as the operator with the next nonce and broadcast it. When another process using the same key
        (an admin script beside the service) took that nonce, re-read the nonce, wait a random moment (two processes
        retrying in step would collide again) and sign again, up to `NONCE_ATTEMPTS` times; then
        `NonceUnavailableError`, with nothing broadcast. `before_broadcast` sees each signed transaction before the
        node does (the relayer records it in its outbox)."""
        for attempt in range(NONCE_ATTEMPTS):
            signed = self.sign_operator(tx, gas=gas)
            if before_broadcast is not None:
                before_broadcast(signed)
            try:
                self.broadcast(signed.raw)
                return signed
            except NonceTooLowError:
                self.reset_nonce()
                time.sleep(random.uniform(0, min(0.5, 0.02 * 2**attempt)))
        raise NonceUnavailableError(
            "no transaction nonce could be had: another process using the operator's key "
            "keeps taking them; try again shortly"
        )

    def broadcast(self, raw: str) -> None:
        """Hand a signed transaction to the node. `NonceTooLowError` when its nonce is used or taken by a pending
        transaction (sign again); a transaction the node already holds is fine."""
        try:
            self._guard(lambda: self.w3.eth.send_raw_transaction(raw))  # type: ignore[arg-type]
        except LedgerUnavailableError:
            raise
        except Exception as exc:
            text = str(exc).lower()
            if "already known" in text or "known transaction" in text or "already imported" in text:
                return
            if "nonce" in text or "replacement transaction underpriced" in text:
                raise NonceTooLowError(f"transaction nonce refused by the node: {exc}") from None
            revert = as_revert(exc)
            if revert is None:
                raise
            raise revert from None

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        try:
            return dict(self._guard(lambda: self.w3.eth.get_transaction_receipt(tx_hash)))  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def is_known(self, tx_hash: str) -> bool:
        """Whether the node holds the transaction (pending or mined)."""
        try:
            self._guard(lambda: self.w3.eth.get_transaction(tx_hash))  # type: ignore[arg-type]
        except TransactionNotFound:
            return False
        return True

    def confirmed_nonce(self) -> int:
        """The operator's next nonce counting mined transactions only."""
        return int(self._guard(lambda: self.w3.eth.get_transaction_count(self.operator.address, "latest")))

    def pending_nonce(self) -> int:
        """The operator's next nonce counting the transactions the node holds pending too."""
        return int(self._guard(lambda: self.w3.eth.get_transaction_count(self.operator.address, "pending")))

    def block_id(self, number: int | str = "latest") -> tuple[int, str] | None:
        """(number, hash) of a block (the latest by default); None if the chain has no such block."""
        try:
            block = self._guard(lambda: self.w3.eth.get_block(number))  # type: ignore[arg-type]
        except BlockNotFound:
            return None
        return int(block["number"]), "0x" + bytes(block["hash"]).hex()

    def balance(self, address: str) -> int:
        return int(self._guard(lambda: self.w3.eth.get_balance(address)))  # type: ignore[arg-type]

    def market_fees(self) -> dict[str, int]:
        """The EIP-1559 fees a new transaction bids now: twice the base fee plus a 1 gwei tip."""
        return self._fees()

    def _fees(self) -> dict[str, int]:
        block = self._guard(lambda: self.w3.eth.get_block("latest"))
        base_fee = int(block.get("baseFeePerGas") or 0)
        tip = 1_000_000_000 if base_fee else 0
        return {"maxFeePerGas": base_fee * 2 + tip, "maxPriorityFeePerGas": tip}

    # -- test support ------------------------------------------------------------------------------------------

    def snapshot(self) -> Any:
        if self.embedded:
            return self.w3.provider.ethereum_tester.take_snapshot()  # type: ignore[attr-defined]
        return self.w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]

    def revert_to(self, snapshot: Any) -> None:
        if self.embedded:
            self.w3.provider.ethereum_tester.revert_to_snapshot(snapshot)  # type: ignore[attr-defined]
        else:
            self.w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]
        self.reset_nonce()

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Run a block and roll the chain back afterwards."""
        snapshot = self.snapshot()
        try:
            yield
        finally:
            self.revert_to(snapshot)
