"""Participants: profile, roles, status, disclosures; the nonce their next signed request needs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import AccessDep, LedgerDep, MemberDep, SettingsDep
from api.paging import page_size
from api.problems import responses
from api.schemas.common import EXAMPLE_ADDRESS, Page, decode_cursor, encode_cursor
from api.schemas.participants import DirectoryEntry, HeldBatchOut, NonceOut, ParticipantOut

router = APIRouter(prefix="/participants", tags=["participants"])
AddressPath = Annotated[
    str, Path(pattern=r"^0x[0-9a-fA-F]{40}$", description="0x + 40 hex digits", examples=[EXAMPLE_ADDRESS])
]


@router.get(
    "", response_model=list[DirectoryEntry], summary="The directory of active members", responses=responses(401, 503)
)
def directory(ledger: LedgerDep, viewer: MemberDep, access: AccessDep) -> list[DirectoryEntry]:
    """Every active member: legal name, country, roles and party GLN (what picking a custody recipient or an
    auditor needs). Sites and organisations are on each participant's page, for those who may see them."""
    return [DirectoryEntry.of(p) for p in access.directory(viewer)]


@router.get(
    "/me/batches", response_model=Page[HeldBatchOut], summary="The batches I hold", responses=responses(401, 422, 503)
)
def my_batches(
    ledger: LedgerDep,
    settings: SettingsDep,
    viewer: MemberDep,
    limit: Annotated[int | None, Query(ge=1, description="page size (capped, see API_MAX_PAGE_SIZE)")] = None,
    cursor: Annotated[str | None, Query(max_length=100, description="next_cursor of the previous page")] = None,
) -> Page[HeldBatchOut]:
    """The batches the caller holds now with what is left of each, newest first: what a factory checks before
    recording a batch that consumes them or handing one over."""
    size = page_size(limit, settings)
    assert viewer.address is not None
    found = ledger.held_batches(viewer.address, after=decode_cursor(cursor), limit=size + 1)
    items = [
        HeldBatchOut(
            id=b.id,
            gtin=b.gtin,
            lot=b.lot,
            unit=b.unit,
            quantity=b.quantity,
            remaining=b.remaining,
            producer=b.producer,
            produced_at=b.produced_at,
        )
        for b, _ in found[:size]
    ]
    return Page[HeldBatchOut](items=items, next_cursor=encode_cursor(found[size - 1][1]) if len(found) > size else None)


@router.get(
    "/{address}", response_model=ParticipantOut, summary="One participant", responses=responses(401, 404, 422, 503)
)
def get_participant(ledger: LedgerDep, viewer: MemberDep, access: AccessDep, address: AddressPath) -> ParticipantOut:
    """Directory entry, registration and disclosures for every member; sites, organisation id and batch count for
    the participant itself, admins, and those who see one of its batches."""
    participant = ledger.participant(address)
    details = access.may_see_participant_details(viewer, participant)
    return ParticipantOut.build(
        participant,
        details,
        ledger.batch_count(participant.address) if details else 0,
        ledger.disclosures(participant=participant.address),
    )


@router.get("/{address}/nonce", response_model=NonceOut, summary="Next signing nonce", responses=responses(422, 503))
def get_nonce(ledger: LedgerDep, address: AddressPath) -> NonceOut:
    """The forwarder nonce the address's next signed request must carry (any address, registered or not)."""
    from ledger import checked_address as checked

    account = checked(address)
    return NonceOut(address=account, nonce=ledger.nonce(account))
