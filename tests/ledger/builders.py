"""Small builders for test participants and batches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger.chain.calls import encode_call
from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError
from ledger.domain.types import (
    BatchId,
    Document,
    DocumentKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
    NewBatch,
    ParticipantProfile,
    Role,
    Site,
    TxResult,
)
from ledger.domain.validation import gs1_check_digit
from tests.conftest import account

GTIN = Gtin("09506000134352")
PRODUCED = datetime(2025, 6, 1, tzinfo=UTC)


def gln(n: int) -> Gln:
    body = f"{614141000000 + n:012d}"
    return Gln(body + str(gs1_check_digit(body)))


def doc_hash(label: str) -> Hash32:
    return Hash32("0x" + keccak(text=label).hex())


def register(
    ledger: Ledger,
    label: str,
    site: int | None,
    roles: tuple[Role, ...] = (Role.FACTORY,),
    country: str = "CN",
    subdivision: str = "CN-GD",
    organisation: str | None = None,
) -> LocalAccount:
    who = account(label)
    sites = (Site(gln(site), subdivision),) if site is not None else ()
    profile = ParticipantProfile(
        f"{label.title()} Ltd", country, sites, organisation_id=doc_hash(organisation or label)
    )
    ledger.register_participant(who.address, profile, roles)
    return who


def batch(
    lot: str,
    site: int,
    quantity: str = "1000",
    inputs: tuple[tuple[BatchId, str], ...] = (),
    unit: str = "KGM",
    emissions: str | None = None,
) -> NewBatch:
    return NewBatch(
        gtin=GTIN,
        lot=lot,
        hs_code="520100",
        quantity=Decimal(quantity),
        unit=unit,
        facility=gln(site),
        produced_at=PRODUCED + timedelta(hours=len(lot)),
        inputs=tuple(InputUse(i, Decimal(q)) for i, q in inputs),
        documents=(Document(doc_hash(f"certificate {lot}"), DocumentKind.CERTIFICATE),),
        process_emissions_kg=Decimal(emissions) if emissions is not None else None,
    )


def direct(ledger: Ledger, signer: LocalAccount, function: str, *args: Any) -> TxResult:
    """`signer`'s own transaction calling `function(*args)` on the ledger (arguments in their ABI form): no forwarder
    and no Python validation, the contract is the only judge. Raises the contract's decoded error."""
    return ledger.send_direct(signer, ledger.contract.functions[function](*args))


def relayed(ledger: Ledger, signer: LocalAccount, function: str, *args: Any) -> TxResult:
    """`function(*args)` signed by `signer` as an EIP-712 request and relayed: calldata built from ABI arguments, so
    checked by the rules of `ledger.writes` like calldata signed anywhere else."""
    return ledger.relay(ledger.sign(signer, encode_call(function, *args)))


def fund(ledger: Ledger, address: str) -> None:
    """One ether from the operator, so that `address` can pay for its own transactions."""
    ledger.chain.send({"to": address, "value": 10**18}, gas=21_000)  # type: ignore[typeddict-item]


def refusal(exc: Exception) -> str:
    """What refused a write: the contract error's Solidity name, else the Python exception's class name."""
    return exc.error_name if isinstance(exc, ContractRevertError) and exc.error_name else type(exc).__name__


def transactions(ledger: Ledger, first: int, last: int) -> Iterator[tuple[Any, Any]]:
    """Every transaction of blocks `first`..`last` with its receipt."""
    w3 = ledger.chain.w3
    for number in range(first, last + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            full: Any = tx  # a transaction, not its hash: full_transactions
            yield full, w3.eth.get_transaction_receipt(full["hash"])
