"""Participants: profile, roles, status, disclosures."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import EXAMPLE_ADDRESS, Out, TxRefOut
from api.schemas.disclosures import DisclosureSummary
from ledger.types import Disclosure, Participant, Role


class SiteOut(Out):
    gln: str = Field(examples=["8901234000014"])
    subdivision: str = Field(examples=["IN-GJ"])


class ParticipantOut(Out):
    address: str = Field(examples=[EXAMPLE_ADDRESS])
    legal_name: str
    country: str
    sites: list[SiteOut]
    organisation_id: str | None
    profile_hash: str | None
    roles: list[Role]
    suspended: bool
    registered: TxRefOut
    batches: int = Field(description="number of batches this participant recorded")
    disclosures: list[DisclosureSummary]

    @classmethod
    def of(cls, p: Participant, batches: int, disclosures: list[Disclosure]) -> ParticipantOut:
        return cls(address=p.address, legal_name=p.profile.legal_name, country=p.profile.country,
                   sites=[SiteOut(gln=s.gln, subdivision=s.subdivision) for s in p.profile.sites],
                   organisation_id=p.profile.organisation_id, profile_hash=p.profile.profile_hash,
                   roles=sorted(p.roles), suspended=p.suspended, registered=TxRefOut.of(p.registered),
                   batches=batches, disclosures=[DisclosureSummary.of(d) for d in disclosures])


class NonceOut(Out):
    address: str
    nonce: int = Field(description="the nonce the participant's next signed request must carry")
