"""Exception tree of the ledger.

LedgerError
├── ValidationError           bad input caught before anything is sent
│   ├── DocumentMismatchError uploaded bytes whose SHA-256 is not the hash they were sent for
│   └── DocumentTooLargeError a document over the vault's size limit
│       └── CaptureTooLargeError an EPCIS capture with more events or signed requests than one request may carry
├── NotFoundError             a batch, participant or disclosure that does not exist (read side)
├── ContractRevertError       the contract refused; one subclass per Solidity custom error, built from the ABI
├── SignatureError            a signed submission the forwarder would refuse
│   ├── SignatureExpiredError
│   ├── SignatureReplayError
│   └── SignatureInvalidError
├── IdempotencyKeyReusedError an idempotency key given again with another request
├── RequestConflictError      a signer's nonce taken by another request (pending or mined)
├── RelayBudgetError          a participant's gas budget or request rate is spent (retry after)
│   └── CaptureBacklogError   a capturer's capture work in hand is at its bound (retry after)
├── LedgerUnavailableError    the chain cannot be reached (or answers too slowly)
│   ├── ChainMismatchError    the node's chain no longer holds this deployment (reset, replaced, behind the index)
│   ├── VaultUnavailableError the document vault's directory cannot be read or written (a volume gone, full)
│   └── StoreDamagedError     a SQLite file of the workspace found damaged while running (moved aside or kept)
├── RecordUnreadableError     the chain holds a record this index could not read
├── TransactionTimeoutError   sent, but no receipt in time
└── ToolchainError            compiler or node tooling missing or failing
"""

from __future__ import annotations

from typing import Any


class LedgerError(Exception):
    """Base of every error the ledger raises."""

    code: str = "ledger_error"


class ValidationError(LedgerError, ValueError):
    """Input that can never be valid (malformed GTIN, unknown unit, ...). `field` names the offending field."""

    code = "invalid_input"
    #: In a bulk submission, the position of the offending item in the submitted list.
    index: int | None = None

    def __init__(self, message: str, *, field: str | None = None, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index


class DocumentMismatchError(ValidationError):
    """A document whose bytes do not hash (SHA-256) to the hash it was uploaded, or is cited, for."""

    code = "document_hash_mismatch"


class DocumentTooLargeError(ValidationError):
    """A document larger than the vault takes (LEDGER_DOCUMENT_MAX_BYTES)."""

    code = "document_too_large"

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, field="document")
        self.limit = limit


class CaptureTooLargeError(DocumentTooLargeError):
    """An EPCIS capture with more events, or more signed requests, than the service takes in one request (413, like
    any content too large, naming the bound): send the document in parts."""

    code = "capture_too_large"

    def __init__(self, message: str, *, limit: int, field: str) -> None:
        super().__init__(message, limit=limit)
        self.field = field


class NotFoundError(LedgerError, LookupError):
    """A thing looked up does not exist."""

    code = "not_found"


class LedgerUnavailableError(LedgerError):
    """The chain (JSON-RPC node) cannot be reached."""

    code = "chain_unavailable"


class ChainMismatchError(LedgerUnavailableError):
    """The node answers, but its chain is not the one this deployment and index belong to: the genesis block
    changed, the contract code is gone, or the index is ahead of the chain. Nothing is read or written (and the index
    is kept) until the operator restores the node or starts afresh."""

    code = "chain_mismatch"


class VaultUnavailableError(LedgerUnavailableError):
    """The document vault's directory cannot be read or written (a shared volume unmounted, a full disk): the
    service is unavailable for documents until the operator restores it (503)."""

    code = "vault_unavailable"


class StoreDamagedError(LedgerUnavailableError):
    """A SQLite file of the workspace (index, outbox, EPCIS event store, screening lists) was found damaged while the
    service ran. The request that found it answers 503; a store that can start afresh has been moved aside and replaced
    (as on opening), the relayer's outbox is left in place until the next start (see `ledger.sqlite_files`)."""

    code = "store_damaged"


class RecordUnreadableError(LedgerError):
    """The chain holds a record about the thing asked for, but this index could not read it (kept and counted; see
    `/health`)."""

    code = "record_unreadable"


class TransactionTimeoutError(LedgerError):
    """A transaction was sent but not mined in time."""

    code = "transaction_timeout"


class ToolchainError(LedgerError):
    """The compiler or node tooling is missing or failed."""

    code = "toolchain_error"


class SignatureError(LedgerError):
    """A signed submission that the forwarder would refuse."""

    code = "signature_invalid"


class SignatureExpiredError(SignatureError):
    code = "signature_expired"


class SignatureReplayError(SignatureError):
    code = "signature_replayed"


class SignatureInvalidError(SignatureError):
    code = "signature_invalid"


class IdempotencyKeyReusedError(LedgerError, ValueError):
    """The signer already used this idempotency key with another request (or route)."""

    code = "idempotency_key_reused"


class RequestConflictError(LedgerError):
    """The signer's nonce is taken by another request, pending or mined: one signer, one request per nonce."""

    code = "nonce_in_use"


class RelayBudgetError(LedgerError):
    """The relayer will not pay for this participant now: its gas budget for the day or its request rate is spent.
    `retry_after` is the number of seconds until it may try again."""

    code = "budget_exhausted"

    def __init__(self, message: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        if code is not None:
            self.code = code


class UploadBudgetError(RelayBudgetError):
    """The participant has uploaded as many document bytes as it may today (429 with Retry-After, like a spent relay
    budget)."""

    code = "upload_budget_exhausted"


class CaptureBacklogError(RelayBudgetError):
    """A capturer already has as much capture work in hand as it may (unfinished jobs, or a capture being read):
    429 with Retry-After, like a spent relay budget. It bounds what one member can make the service do at once."""

    code = "capture_backlog"


class ContractRevertError(LedgerError):
    """The contract refused a call. Subclasses are generated from the ABI's custom errors (see `ledger.chain.revert`).

    `error_name` is the Solidity error's name and `args` its decoded arguments by name. In a bulk submission
    (`Ledger.record_batches`) `index` is the position of the batch the contract refused in the submitted list.
    """

    code = "contract_revert"
    error_name: str = ""
    kind: str = "conflict"
    index: int | None = None

    def __init__(self, args: dict[str, Any] | None = None, message: str | None = None) -> None:
        self.args_by_name: dict[str, Any] = dict(args or {})
        for key, value in self.args_by_name.items():
            setattr(self, key, value)
        rendered = ", ".join(f"{k}={_render(v)}" for k, v in self.args_by_name.items())
        super().__init__(message or f"{self.error_name}({rendered})")


def _render(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)
