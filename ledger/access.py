"""Who may see what: the consortium's need-to-know rules, in one place. Every read of the API asks these functions;
no route filters on its own.

- A **batch** (and its documents, its place in a lineage, its trace and report): its producer, every participant that
  has held it, and every participant that holds or has held a batch downstream of it (a buyer holding a garment may
  trace it to the cotton). Nobody else: for them it does not exist.
- A **participant**: every member sees the directory of active members (name, country, roles, party GLN); sites,
  organisation id and batch counts only the participant itself, admins, and those who see one of its batches.
- A **disclosure**: every member; anonymous callers only those the discloser marked public.
- **Admins** see everything. **Anonymous** callers see public disclosures and product passports, nothing else.

What the chain holds is readable by anyone who runs a node of it: these rules are what the API shows, not secrecy.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.domain import validation as v
from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import Address, BatchRecording, Citation, CitationKind, Disclosure, Participant, Role

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.index.reader import IndexReader

#: Batches one visibility question may walk downstream before it answers no (a bound on the cost of any request).
MAX_WALK = 50_000


@dataclass(frozen=True)
class Viewer:
    """Who is asking: nobody (anonymous), a member (a registered, active participant) with its roles, or an admin."""

    address: Address | None
    roles: frozenset[Role] = frozenset()

    @property
    def anonymous(self) -> bool:
        return self.address is None

    @property
    def admin(self) -> bool:
        return Role.ADMIN in self.roles

    @property
    def member(self) -> bool:
        return self.address is not None


ANONYMOUS = Viewer(None)


def not_a_member(participant: Participant) -> str | None:
    """Why a registered participant is not (or no longer) a member who may read: suspended, or left without any
    role (all revoked). None: a member. Sign-in and every signed-in request ask this, as the directory does."""
    if participant.suspended:
        return "is suspended from the consortium"
    if not participant.roles:
        return "has no role in the consortium (all were revoked)"
    return None


class Access:
    """The visibility questions, answered from the index (brought to the chain's head first)."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.store: IndexReader = ledger.store

    def require_batch(self, viewer: Viewer, batch_id: str) -> str:
        """The batch id, normalised, if the viewer may see it; else `NotFoundError`, exactly as for a batch that does
        not exist (ids cannot be probed)."""
        checked = v.batch_id(batch_id)
        self.ledger.sync()
        if not self.may_see_batch(viewer, checked):
            raise NotFoundError(f"no batch {batch_id}")
        return checked

    def find_batch(self, viewer: Viewer, gtin: str, lot: str, producer: str | None = None) -> str:
        """The id of the batch a label names (GTIN + lot) among those the viewer may see; other producers' batches
        with the same label stay invisible (no error says they exist)."""
        self.ledger.sync()
        ids = self.store.find_batch_ids(
            gtin=v.gtin(gtin), lot=v.lot(lot), producer=v.address(producer, "producer") if producer else None, limit=50
        )
        seen = [i for i, *_ in ids if self.may_see_batch(viewer, i)]
        if not seen:
            raise NotFoundError(f"no batch with GTIN {gtin} and lot {lot}")
        if len(seen) > 1:
            raise ValidationError(
                f"GTIN {gtin} lot {lot} names batches of several producers: name the producer", field="producer"
            )
        return seen[0]

    def require_recording(self, viewer: Viewer, recording: BatchRecording) -> BatchRecording:
        """A recorded batch as `require_batch`; an anchored-only record (in no lineage) to its producer and admins."""
        from ledger.anchoring import not_recorded

        if recording.kind == "recorded":
            visible = self.may_see_batch(viewer, recording.batch_id)
        else:
            visible = viewer.admin or (viewer.address is not None and viewer.address == recording.producer)
        if not visible:
            raise not_recorded(recording.batch_id)
        return recording

    def require_disclosure(self, viewer: Viewer, disclosure: Disclosure) -> Disclosure:
        if not self.may_see_disclosure(viewer, disclosure):
            raise NotFoundError(f"no disclosure {disclosure.id}")
        return disclosure

    def may_see_batch(self, viewer: Viewer, batch_id: str) -> bool:
        """The producer, every holder, and every holder of a batch downstream of it; admins. Walks downstream from
        the batch until it meets one of the viewer's own batches (produced or held), at most `MAX_WALK` batches."""
        if viewer.admin:
            return True
        if viewer.address is None:
            return False
        own = self.store.own_batch_ids(viewer.address)
        return bool(own) and _reaches({batch_id}, own, self.store.consumers)

    def may_see_participant_details(self, viewer: Viewer, participant: Participant) -> bool:
        """Sites, organisation id and batch counts: the participant itself, admins, and whoever sees one of its
        batches (one upstream of, or equal to, a batch the viewer produced or held)."""
        if viewer.admin or viewer.address == participant.address:
            return True
        if viewer.address is None:
            return False
        theirs = self.store.produced_ids(participant.address)
        return bool(theirs) and _reaches(self.store.own_batch_ids(viewer.address), theirs, self.store.inputs_of)

    def may_see_disclosure(self, viewer: Viewer, disclosure: Disclosure) -> bool:
        return viewer.member or disclosure.public

    def may_see_citation(self, viewer: Viewer, citation: Citation) -> bool:
        """A record citing a document, as the record itself is seen: a batch's by who may see the batch, a disclosure
        version's and its attestations' by who may see the disclosure, a profile document by who may see the
        participant's details. Whether such a record opens the document is `ledger.documents.evidence`'s rule (only a
        record of one of its uploaders does)."""
        if citation.kind == CitationKind.BATCH:
            return self.may_see_batch(viewer, citation.record_id)
        if citation.kind in (CitationKind.DISCLOSURE, CitationKind.ATTESTATION):
            disclosure = self.store.disclosure(citation.record_id)
            return disclosure is not None and self.may_see_disclosure(viewer, disclosure)
        participant = self.store.participant(citation.record_id)
        return participant is not None and self.may_see_participant_details(viewer, participant)

    def directory(self, viewer: Viewer) -> list[Participant]:
        """The active members, for members (admins see the suspended and those left without a role too)."""
        if not viewer.member:
            raise NotFoundError("the directory is for members")
        return [p for p in self.ledger.participants() if viewer.admin or not_a_member(p) is None]


def _reaches(starts: AbstractSet[str], targets: AbstractSet[str], step: Callable[[str], Iterable[str]]) -> bool:
    """Whether `starts`, or a walk from them along `step` (a batch's consumers, or its inputs), meets one of
    `targets`, looking at most `MAX_WALK` batches."""
    if starts & targets:
        return True
    seen = set(starts)
    queue = deque(seen)
    while queue and len(seen) <= MAX_WALK:
        for following in step(queue.popleft()):
            if following in targets:
                return True
            if following not in seen:
                seen.add(following)
                queue.append(following)
    return False
