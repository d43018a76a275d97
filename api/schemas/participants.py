"""Participants: profile, roles, status, disclosures."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from pydantic import Field

from api.schemas.common import EXAMPLE_ADDRESS, Out, TxRefOut
from api.schemas.disclosures import DisclosureSummary
from ledger import Disclosure, Participant, Role


class SiteOut(Out):
    gln: str = Field(examples=["8901234000014"])
    subdivision: str = Field(examples=["IN-GJ"])


class DirectoryEntry(Out):
    """What every member sees of every member: enough to pick a custody recipient or an auditor."""

    address: str = Field(examples=[EXAMPLE_ADDRESS])
    legal_name: str
    country: str
    roles: list[Role]
    party_gln: str | None = Field(description="the GLN naming the participant as a party (EPCIS), if any")
    suspended: bool

    @classmethod
    def of(cls, p: Participant) -> DirectoryEntry:
        return cls(
            address=p.address,
            legal_name=p.profile.legal_name,
            country=p.profile.country,
            roles=sorted(p.roles),
            party_gln=p.profile.party_gln,
            suspended=p.suspended,
        )


class ParticipantDetails(Out):
    """Shown to the participant itself, to admins, and to whoever sees one of its batches."""

    sites: list[SiteOut]
    organisation_id: str | None
    profile_hash: str | None
    batches: int = Field(description="number of batches this participant recorded")


class ParticipantOut(DirectoryEntry):
    registered: TxRefOut
    details: ParticipantDetails | None = Field(
        description="sites, organisation and batch count; null when the caller sees none of the participant's batches"
    )
    disclosures: list[DisclosureSummary]

    @classmethod
    def build(cls, p: Participant, details: bool, batches: int, disclosures: list[Disclosure]) -> ParticipantOut:
        shown = (
            ParticipantDetails(
                sites=[SiteOut(gln=s.gln, subdivision=s.subdivision) for s in p.profile.sites],
                organisation_id=p.profile.organisation_id,
                profile_hash=p.profile.profile_hash,
                batches=batches,
            )
            if details
            else None
        )
        return cls(
            **DirectoryEntry.of(p).model_dump(),
            registered=TxRefOut.of(p.registered),
            details=shown,
            disclosures=[DisclosureSummary.of(d) for d in disclosures],
        )


class HeldBatchOut(Out):
    id: str
    gtin: str
    lot: str
    unit: str
    quantity: Decimal
    remaining: Decimal = Field(description="what is left to consume or hand over, in the batch's unit")
    producer: str
    produced_at: datetime | None


class NonceOut(Out):
    address: str
    nonce: int = Field(description="the nonce the participant's next signed request must carry")
