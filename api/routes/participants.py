"""Participants: profile, roles, status, disclosures; the nonce their next signed request needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import LedgerDep
from api.problems import responses
from api.schemas.common import EXAMPLE_ADDRESS
from api.schemas.participants import NonceOut, ParticipantOut

router = APIRouter(prefix="/participants", tags=["participants"])
AddressPath = Annotated[str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x + 40 hex digits",
                                  examples=[EXAMPLE_ADDRESS])]


@router.get("/{address}", response_model=ParticipantOut, summary="One participant",
            responses=responses(404, 422, 503))
def get_participant(ledger: LedgerDep, address: AddressPath) -> ParticipantOut:
    """Profile, roles, suspension status, disclosures (with attestation status) and number of batches."""
    participant = ledger.participant(address)
    return ParticipantOut.of(participant, ledger.batch_count(participant.address),
                             ledger.disclosures(participant=participant.address))


@router.get("/{address}/nonce", response_model=NonceOut, summary="Next signing nonce",
            responses=responses(422, 503))
def get_nonce(ledger: LedgerDep, address: AddressPath) -> NonceOut:
    """The forwarder nonce the address's next signed request must carry (any address, registered or not)."""
    from ledger.validation import address as checked

    account = checked(address)
    return NonceOut(address=account, nonce=ledger.nonce(account))
