"""The rules of the ledger as a model, for the invariant test (`test_invariants.py`): what each write must do to
the state, or the one error that must refuse it (the first rule broken, in the contract's order). Plain Python: no
chain, no index."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

from ledger.anchoring import AnchorBundle
from ledger.chain.codec import batch_id_of, batch_record, from_milli, to_milli
from ledger.domain.types import BatchId, Gln, InputUse, NewBatch, Role
from tests.ledger.builders import GTIN, PRODUCED

ZERO = "0x" + "00" * 20
NO_ORGANISATION = bytes(32)


@dataclass
class Member:
    registered: bool = False
    suspended: bool = False
    roles: set[Role] = field(default_factory=set)
    organisation: bytes = NO_ORGANISATION


@dataclass
class ModelBatch:
    producer: str
    holder: str
    quantity: int  # thousandths
    consumed: int = 0
    transfers: int = 0
    flags: int = 0

    @property
    def remaining(self) -> int:
        return self.quantity - self.consumed


@dataclass
class ModelDisclosure:
    publisher: str
    versions: int = 1
    attestations: int = 0  # DisclosureAttested events


@dataclass(frozen=True)
class Spec:
    """One batch record as a factory writes it: quantities in thousandths."""

    lot: str
    facility: int
    quantity: int
    inputs: tuple[tuple[str, int], ...] = ()
    produced_later: int = 0  # seconds after PRODUCED: tells apart the records of two anchors

    def new_batch(self) -> NewBatch:
        return NewBatch(
            GTIN,
            self.lot,
            "520100",
            from_milli(self.quantity),
            "KGM",
            gln_of(self.facility),
            PRODUCED + timedelta(seconds=self.produced_later),
            inputs=tuple(InputUse(BatchId(i), Decimal(q).scaleb(-3)) for i, q in self.inputs),
        )

    def record(self) -> tuple[Any, ...]:
        return batch_record(self.new_batch())

    @classmethod
    def of(cls, batch: NewBatch) -> Spec:
        return cls(
            batch.lot,
            int(batch.facility),
            to_milli(batch.quantity),
            tuple((u.batch_id, to_milli(u.quantity)) for u in batch.inputs),
            int((batch.produced_at - PRODUCED).total_seconds()),
        )


def gln_of(number: int) -> Gln:
    return Gln(f"{number:013d}")


@dataclass
class Model:
    """What the rules say the ledger holds. Each write method returns the error that must refuse the write (the
    first rule broken, in the contract's order), or None and applies the write to the model."""

    members: dict[str, Member]  # by address
    site_owner: dict[int, str]
    batches: dict[str, ModelBatch] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)  # root -> the producer who anchored it
    disclosures: dict[str, ModelDisclosure] = field(default_factory=dict)
    attested: dict[tuple[str, int, str], bool] = field(default_factory=dict)  # (id, version, auditor) -> active

    def member(self, address: str) -> Member:
        return self.members.get(address) or Member()

    # ParticipantRegistry._requireActive, _requireActiveRole, _requireActiveFactory
    def active_error(self, address: str) -> str | None:
        member = self.member(address)
        if not member.registered:
            return "RegistryParticipantNotFound"
        return "RegistryParticipantSuspended" if member.suspended else None

    def role_error(self, address: str, role: Role) -> str | None:
        if role not in self.member(address).roles:
            return "AccessControlUnauthorizedAccount"
        return self.active_error(address)

    def factory_error(self, address: str) -> str | None:
        return self.role_error(address, Role.FACTORY)

    # -- admin -------------------------------------------------------------------------------------------------

    def register(self, address: str, roles: set[Role], site: int | None, organisation: bytes) -> str | None:
        if self.member(address).registered:
            return "RegistryAlreadyRegistered"
        if site is not None and site in self.site_owner:
            return "RegistrySiteTaken"
        member = self.members.setdefault(address, Member())
        member.registered, member.organisation = True, organisation
        member.roles |= roles
        if site is not None:
            self.site_owner[site] = address
        return None

    def set_suspended(self, address: str, suspended: bool) -> str | None:
        if not self.member(address).registered:
            return "RegistryParticipantNotFound"
        self.members[address].suspended = suspended
        return None

    def set_role(self, address: str, role: Role, held: bool) -> None:
        roles = self.members.setdefault(address, Member()).roles
        if held:
            roles.add(role)
        else:
            roles.discard(role)

    # -- batches -----------------------------------------------------------------------------------------------

    def record(self, producer: str, spec: Spec) -> str | None:
        """BatchLedger._record after the caller's role check: one id once, the producer's own site, then each input
        held by the producer with enough left (mass balance), in order."""
        batch_id = batch_id_of(producer, GTIN, spec.lot)
        if batch_id in self.batches:
            return "BatchAlreadyRecorded"
        if self.site_owner.get(spec.facility) != producer:
            return "RegistryUnknownSite"
        for input_id, quantity in spec.inputs:
            used = self.batches.get(input_id)
            if used is None:
                return "BatchInputNotFound"
            if used.holder != producer:
                return "BatchInputNotHeld"
            if quantity == 0 or quantity > used.remaining:
                return "BatchInsufficientQuantity"
            used.consumed += quantity
        self.batches[batch_id] = ModelBatch(producer, producer, spec.quantity)
        return None

    def record_bulk(self, producer: str, specs: list[Spec]) -> tuple[str | None, int | None]:
        """recordBatches: the caller's role once, then each record in order; the error and the position of the record
        that broke a rule (None for the caller's role)."""
        if error := self.factory_error(producer):
            return error, None
        for position, spec in enumerate(specs):
            if error := self.record(producer, spec):
                return error, position
        return None, None

    def transfer(self, sender: str, batch_id: str, to: str) -> str | None:
        batch = self.batches.get(batch_id)
        error = (
            self.active_error(sender)
            or ("BatchNotFound" if batch is None else None)
            or ("BatchNotHolder" if batch is not None and batch.holder != sender else None)
            or ("BatchSelfTransfer" if to == sender else None)
            or self.active_error(to)
        )
        if error is None and batch is not None:
            batch.holder = to
            batch.transfers += 1
        return error

    def flag(self, sender: str, batch_id: str, reason: str) -> str | None:
        batch = self.batches.get(batch_id)
        error = (
            self.active_error(sender)
            or ("BatchNotFound" if batch is None else None)
            or ("BatchNotProducer" if batch is not None and batch.producer != sender else None)
            or ("BatchInvalidRecord" if not reason else None)
        )
        if error is None and batch is not None:
            batch.flags += 1
        return error

    def anchor(self, producer: str, root: str) -> str | None:
        error = self.factory_error(producer) or ("BatchAnchorExists" if root in self.anchors else None)
        if error is None:
            self.anchors[root] = producer
        return error

    def claim(self, producer: str, bundle: AnchorBundle, spec: Spec) -> str | None:
        """claimAnchoredBatch: an active factory, a root it anchored itself, a proof of its own record (the leaf
        carries the producer), then every rule of a record."""
        root = bundle.root.lower()
        if error := self.factory_error(producer):
            return error
        if root not in self.anchors:
            return "BatchAnchorNotFound"
        if self.anchors[root] != producer or bundle.producer != producer:
            return "BatchAnchorProofInvalid"
        return self.record(producer, spec)

    # -- disclosures -------------------------------------------------------------------------------------------

    def publish(self, publisher: str, disclosure_id: str) -> str | None:
        error = self.active_error(publisher) or (
            "DisclosureAlreadyPublished" if disclosure_id in self.disclosures else None
        )
        if error is None:
            self.disclosures[disclosure_id] = ModelDisclosure(publisher)
        return error

    def amend(self, sender: str, disclosure_id: str) -> str | None:
        disclosure = self.disclosures.get(disclosure_id)
        error = (
            self.active_error(sender)
            or ("DisclosureNotFound" if disclosure is None else None)
            or ("DisclosureNotOwner" if disclosure is not None and disclosure.publisher != sender else None)
        )
        if error is None and disclosure is not None:
            disclosure.versions += 1
        return error

    def attest(self, auditor: str, disclosure_id: str, version: int) -> str | None:
        disclosure = self.disclosures.get(disclosure_id)
        if error := self.role_error(auditor, Role.AUDITOR):
            return error
        if disclosure is None:
            return "DisclosureNotFound"
        if not 1 <= version <= disclosure.versions:
            return "DisclosureVersionNotFound"
        own = self.member(auditor).organisation
        if disclosure.publisher == auditor or (
            own != NO_ORGANISATION and own == self.member(disclosure.publisher).organisation
        ):
            return "DisclosureOwnOrganisation"
        if self.attested.get((disclosure_id, version, auditor)):
            return "DisclosureAlreadyAttested"
        self.attested[(disclosure_id, version, auditor)] = True
        disclosure.attestations += 1
        return None

    def revoke(self, auditor: str, disclosure_id: str, version: int) -> str | None:
        error = self.active_error(auditor) or (
            None if self.attested.get((disclosure_id, version, auditor)) else "DisclosureAttestationNotFound"
        )
        if error is None:
            self.attested[(disclosure_id, version, auditor)] = False
        return error
