"""Small builders for test participants and batches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger.client import Ledger
from ledger.types import (
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
)
from ledger.validation import gs1_check_digit
from tests.conftest import account

GTIN = Gtin("09506000134352")
PRODUCED = datetime(2025, 6, 1, tzinfo=UTC)


def gln(n: int) -> Gln:
    body = f"{614141000000 + n:012d}"
    return Gln(body + str(gs1_check_digit(body)))


def doc_hash(label: str) -> Hash32:
    return Hash32("0x" + keccak(text=label).hex())


def register(ledger: Ledger, label: str, site: int | None, roles: tuple[Role, ...] = (Role.FACTORY,),
             country: str = "CN", subdivision: str = "CN-GD", organisation: str | None = None) -> LocalAccount:
    who = account(label)
    sites = (Site(gln(site), subdivision),) if site is not None else ()
    profile = ParticipantProfile(f"{label.title()} Ltd", country, sites,
                                 organisation_id=doc_hash(organisation or label))
    ledger.register_participant(who.address, profile, roles)
    return who


def batch(lot: str, site: int, quantity: str = "1000", inputs: tuple[tuple[BatchId, str], ...] = (),
          unit: str = "KGM", emissions: str | None = None) -> NewBatch:
    return NewBatch(
        gtin=GTIN, lot=lot, hs_code="520100", quantity=Decimal(quantity), unit=unit, facility=gln(site),
        produced_at=PRODUCED + timedelta(hours=len(lot)),
        inputs=tuple(InputUse(i, Decimal(q)) for i, q in inputs),
        documents=(Document(doc_hash(f"certificate {lot}"), DocumentKind.CERTIFICATE),),
        process_emissions_kg=Decimal(emissions) if emissions is not None else None,
    )
