"""Contract invariants under random operation: the Python twin of Foundry's invariant tests.

A Hypothesis state machine drives random sequences of every write the ledger has (register, suspend, reinstate, grant,
revoke and renounce roles; record one batch or a bulk, consuming inputs; hand over custody; flag; anchor a Merkle root
and claim an anchored record; publish, amend, attest and revoke) by authorised and unauthorised accounts: a factory
recording at another's site, a non-holder consuming or handing over, a suspended or unregistered account, an auditor
of the publisher's own organisation, a participant squatting another's Merkle root or calling the admin's functions.
Each write goes either as a signed EIP-712 request relayed by the operator (the `Ledger` methods) or as the account's
own transaction with raw calldata, past every Python check (`builders.direct`).

`Model` knows the rules: for every write it predicts success or the one error that must refuse it (the contract's
custom error, the first rule broken in the contract's order; or `ValidationError` where the Python layer refuses a
relayed request before signing it). An allowed write must succeed, a forbidden one must fail with that error and write
nothing. After every step the invariants hold:

- mass balance: each batch's remaining quantity, in the contract (`batch(id)`) and in the index, is what it produced
  minus everything consumed from it;
- every holder is a registered participant;
- the contract and the index agree with the model (batch producer, holder, remaining, custody and flag counts;
  participants' registration, suspension, organisation and roles; disclosure publishers, versions and attestations),
  so no write the model forbids ever took effect;
- the relayer (the operator) paid for no reverted transaction.

Profiles: `ci` (the default; 20 examples of up to 20 steps on anvil, 4 on the embedded chain) runs in about half a
minute; `HYPOTHESIS_PROFILE=long` runs thousands of steps. With `-s` the test prints how often each write succeeded
and why it was refused.
"""

from __future__ import annotations

import copy
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from ledger.anchoring import (
    AnchorBundle,
    anchor_batches,
    build_bundle,
    claim_anchored,
    verify_anchored_batch,
    why_not_proven,
)
from ledger.chain.calls import encode_call
from ledger.chain.codec import batch_id_of, batch_record, disclosure_id_of, from_hex, from_milli, text_to_bytes
from ledger.chain.connection import Chain
from ledger.chain.signing import build_request, gas_for, sign_request
from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError, NotFoundError, SignatureError, ValidationError
from ledger.domain.types import (
    Address,
    AssuranceLevel,
    Deployment,
    FlagKind,
    MetricValue,
    Opinion,
    ParticipantProfile,
    Role,
    Site,
)
from ledger.index import IndexStore
from ledger.relay.relayer import Relayer
from ledger.writes.admin import ROLE_HASHES
from ledger.writes.disclosures import encode_metrics
from tests.conftest import ChainUnderTest, account
from tests.ledger.builders import GTIN, batch, direct, doc_hash, fund, gln, refusal, register, relayed, transactions
from tests.ledger.model import NO_ORGANISATION, ZERO, Model, Spec

settings.register_profile(
    "ci",
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=400,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
# The machine runs on anvil and on the embedded chain; py-evm runs a step about three times slower than anvil, so the
# embedded chain gets a fifth of the profile's examples (`INVARIANTS_CHAIN=anvil|embedded` runs one chain only).
EXAMPLE_SHARE = {"anvil": 1, "embedded": 5}

UNCLAIMED_SITE = int(gln(999))
URI = "https://factory.example/anchors/1"
NOBODY_ROLE = keccak(text="NOBODY")  # a role no account holds: renouncing it is a write that changes nothing
METRICS = (MetricValue("GHG_SCOPE1", Decimal("1234.5"), "tCO2e"), MetricValue("EMPLOYEES", Decimal(820), "headcount"))

# label: roles, own site (builders.gln number), organisation label (None: no organisation)
BASE: dict[str, tuple[frozenset[Role], int | None, str | None]] = {
    "mill": (frozenset({Role.FACTORY}), 1, "mill group"),
    "weaver": (frozenset({Role.FACTORY}), 2, "shared group"),
    "dual": (frozenset({Role.FACTORY, Role.AUDITOR}), 3, None),  # a factory that is also an auditor
    "buyer": (frozenset(), None, "buyer group"),
    "auditor": (frozenset({Role.AUDITOR}), None, "audit firm"),
    "sister auditor": (frozenset({Role.AUDITOR}), None, "shared group"),  # the weaver's own organisation
}
OUTSIDERS = ("outsider", "newcomer")  # unregistered until the admin registers them
LABELS = (*BASE, *OUTSIDERS)
FACTORIES = ("mill", "weaver", "dual")
AUDITORS = ("auditor", "sister auditor", "dual")


def organisation(label: str | None) -> bytes:
    return NO_ORGANISATION if label is None else from_hex(doc_hash(label))


# -- the world every example starts from ------------------------------------------------------------------------------


@dataclass
class World:
    """The deployed contracts with the base participants registered and every account funded; each example starts
    from a chain snapshot of this state and a fresh index."""

    chain: Chain
    deployment: Deployment
    accounts: dict[str, LocalAccount]
    model: Model
    stats: Counter[str] = field(default_factory=Counter)

    @classmethod
    def build(cls, ledger: Ledger) -> World:
        accounts = {label: account(f"invariants {label}") for label in LABELS}
        model = Model(members={}, site_owner={})
        for label, (roles, site, org) in BASE.items():
            address = accounts[label].address
            sites = (Site(gln(site), "CN-GD"),) if site is not None else ()
            profile = ParticipantProfile(
                f"{label.title()} Ltd", "CN", sites, organisation_id=doc_hash(org) if org is not None else None
            )
            ledger.register_participant(address, profile, sorted(roles))
            assert (
                model.register(address, set(roles), int(gln(site)) if site is not None else None, organisation(org))
                is None
            )
        for who in accounts.values():
            fund(ledger, who.address)
        return cls(ledger.chain, ledger.deployment, accounts, model)


# -- strategies -------------------------------------------------------------------------------------------------------

anyone = st.sampled_from(LABELS)
# mostly accounts with the role, so that writes get deep enough into the rules to succeed; anyone else a quarter of
# the time (one_of would pick each branch half the time)
maker = st.sampled_from(FACTORIES * 4 + LABELS)
auditor = st.sampled_from(AUDITORS * 4 + LABELS)
recipient = st.sampled_from((*BASE, *BASE, *OUTSIDERS, "zero"))
route = st.sampled_from(("relay", "direct"))
pick = st.integers(0, 255)
lots = st.integers(0, 11).map(lambda n: f"LOT-{n}")
# an input: which batch, how much of what it has left, whether from the batches the producer holds
uses = st.lists(
    st.tuples(
        pick,
        st.sampled_from(("some", "some", "some", "all", "more", "none", "ghost")),
        st.sampled_from((True, True, True, False)),
    ),
    max_size=2,
)
specs = st.tuples(lots, st.sampled_from(("own",) * 7 + ("foreign",)), pick, st.integers(1, 5_000), uses)
admin_or = st.one_of(st.just("admin"), anyone)
newcomer = st.one_of(st.sampled_from(OUTSIDERS), anyone)


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self, world: World) -> None:
        super().__init__()
        self.world = world
        self.snapshot = world.chain.snapshot()
        self.ledger = Ledger(world.chain, world.deployment, IndexStore(":memory:"))
        self.accounts = world.accounts
        self.label_of: dict[str, str] = {who.address: label for label, who in self.accounts.items()}
        self.model = copy.deepcopy(world.model)
        self.anchor_bundles: list[AnchorBundle] = []
        self.next_site = 100
        self.anchors_built = 0
        self.checked = world.chain.head  # the last block the relayer check has seen
        self.seen: dict[str, bytes] = {}  # invariant -> the head block it last passed at
        world.stats["examples"] += 1

    def teardown(self) -> None:
        self.ledger.close()
        self.world.chain.revert_to(self.snapshot)

    # -- helpers -----------------------------------------------------------------------------------------------

    def address(self, label: str) -> str:
        return ZERO if label == "zero" else self.accounts[label].address

    def attempt(
        self,
        what: str,
        trial: Model,
        expected: str | None,
        write: Callable[[], object],
        check_refusal: Callable[[Exception], None] | None = None,
    ) -> bool:
        """Run `write`: it must succeed if `expected` is None (then `trial` becomes the model), else be refused with
        exactly `expected` (and pass `check_refusal`) and leave no transaction to the ledger or the forwarder."""
        self.world.stats["steps"] += 1
        before = self.world.chain.head
        note(f"{what}: the model expects {expected or 'success'}")
        try:
            write()
        except (ContractRevertError, ValidationError, SignatureError) as exc:
            got = refusal(exc)
            assert expected is not None, f"{what}: the model allows it, but it was refused: {exc}"
            assert got == expected, f"{what}: refused with {got}, the model expects {expected}: {exc}"
            if check_refusal is not None:
                check_refusal(exc)
            for tx, _ in transactions(self.ledger, before + 1, self.world.chain.head):
                assert tx["to"] not in (self.ledger.deployment.ledger, self.ledger.deployment.forwarder), (
                    f"{what} was refused ({got}) after a transaction to the contracts: {tx['hash'].hex()}"
                )
            self.world.stats[f"{what} refused ({got})"] += 1
            return False
        assert expected is None, f"{what}: the model forbids it ({expected}), but it succeeded"
        self.model = trial
        self.world.stats[f"{what} ok"] += 1
        return True

    def site(self, producer: str, where: str, choice: int) -> int:
        own = sorted(g for g, owner in self.model.site_owner.items() if owner == producer)
        if where == "own" and own:
            return own[choice % len(own)]
        others = [*sorted(g for g, owner in self.model.site_owner.items() if owner != producer), UNCLAIMED_SITE]
        return others[choice % len(others)]

    def spec(self, producer: str, drawn: tuple[str, str, int, int, list[tuple[int, str, bool]]]) -> Spec:
        lot, where, choice, quantity, drawn_uses = drawn
        inputs: list[tuple[str, int]] = []
        for which, how, held in drawn_uses:
            if how == "ghost":
                inputs.append((batch_id_of(producer, GTIN, f"GHOST-{which}"), 1))
                continue
            mine = sorted(i for i, b in self.model.batches.items() if b.holder == producer)
            pool = mine if held and mine else sorted(self.model.batches)
            if not pool:
                continue
            batch_id = pool[which % len(pool)]
            left = self.model.batches[batch_id].remaining
            inputs.append((batch_id, {"some": max(1, left // 2), "all": left, "more": left + 1, "none": 0}[how]))
        return Spec(lot, self.site(producer, where, choice), quantity, tuple(inputs))

    def pick_batch(self, choice: int, ghost: bool = False) -> str:
        if ghost or not self.model.batches:
            return batch_id_of(self.address("mill"), GTIN, f"GHOST-{choice}")
        ids = sorted(self.model.batches)
        return ids[choice % len(ids)]

    def pick_disclosure(self, choice: int) -> str:
        ids = sorted(self.model.disclosures)
        return ids[choice % len(ids)] if ids else disclosure_id_of(self.address("mill"), "ISSB", "2030")

    # -- admin: register, suspend and reinstate, roles ---------------------------------------------------------

    @rule(
        by=admin_or,
        subject=newcomer,
        roles=st.sets(st.sampled_from((Role.FACTORY, Role.AUDITOR))),
        site=st.sampled_from(("new", "taken", "none")),
        org=st.sampled_from((None, "shared group", "new group")),
        how=route,
    )
    def register(self, by: str, subject: str, roles: set[Role], site: str, org: str | None, how: str) -> None:
        address = self.address(subject)
        gln_number = {"new": self.next_site, "taken": 1, "none": None}[site]
        self.next_site += site == "new"
        sites = (Site(gln(gln_number), "CN-GD"),) if gln_number is not None else ()
        profile = ParticipantProfile(
            f"{subject.title()} Ltd", "CN", sites, organisation_id=doc_hash(org) if org is not None else None
        )
        trial = copy.deepcopy(self.model)
        if by == "admin":
            expected = trial.register(address, roles, int(gln(gln_number)) if gln_number else None, organisation(org))
            self.attempt(
                "register (admin)",
                trial,
                expected,
                lambda: self.ledger.register_participant(address, profile, sorted(roles)),
            )
            return
        raw = (
            address,
            (
                profile.legal_name,
                b"CN",
                organisation(org),
                bytes(32),
                0,
                [(int(s.gln), text_to_bytes(s.subdivision, 6)) for s in sites],
            ),
            [ROLE_HASHES[r] for r in sorted(roles)],
        )
        self.attempt(
            f"register ({how}, not the admin)",
            trial,
            "AccessControlUnauthorizedAccount",
            lambda: self.send(how, by, "registerParticipant", *raw),
        )

    @rule(by=admin_or, subject=st.sampled_from((*LABELS, "zero")), suspended=st.booleans(), how=route)
    def set_suspended(self, by: str, subject: str, suspended: bool, how: str) -> None:
        address = self.address(subject)
        trial = copy.deepcopy(self.model)
        what = "suspend" if suspended else "reinstate"
        if by == "admin":
            self.attempt(
                f"{what} (admin)",
                trial,
                trial.set_suspended(address, suspended),
                lambda: self.ledger.set_suspended(address, suspended, "audit finding"),
            )
        else:
            self.attempt(
                f"{what} ({how}, not the admin)",
                trial,
                "AccessControlUnauthorizedAccount",
                lambda: self.send(how, by, "setSuspended", address, suspended, "audit finding"),
            )

    @rule(
        by=st.one_of(st.just("admin"), st.just("itself"), anyone),
        subject=anyone,
        role=st.sampled_from((Role.FACTORY, Role.AUDITOR)),
        grant=st.booleans(),
        how=route,
    )
    def change_role(self, by: str, subject: str, role: Role, grant: bool, how: str) -> None:
        address = self.address(subject)
        trial = copy.deepcopy(self.model)
        if by == "admin":
            trial.set_role(address, role, grant)
            self.attempt(
                "grant (admin)" if grant else "revoke-role (admin)",
                trial,
                None,
                lambda: (self.ledger.grant_role if grant else self.ledger.revoke_role)(address, role),
            )
            return
        sender = subject if by == "itself" else by
        if grant:  # only the admin grants
            self.attempt(
                f"grant ({how}, not the admin)",
                trial,
                "AccessControlUnauthorizedAccount",
                lambda: self.send(how, sender, "grantRole", ROLE_HASHES[role], address),
            )
            return
        # renounceRole(role, confirmation): an account gives up its own role, never another's
        expected = None if self.address(sender) == address else "AccessControlBadConfirmation"
        if expected is None:
            trial.set_role(address, role, False)
        self.attempt(
            f"renounce ({how})",
            trial,
            expected,
            lambda: self.send(how, sender, "renounceRole", ROLE_HASHES[role], address),
        )

    def send(self, how: str, label: str, function: str, *args: Any) -> object:
        signer = self.accounts[label]
        if how == "relay":
            return relayed(self.ledger, signer, function, *args)
        return direct(self.ledger, signer, function, *args)

    # -- batches -----------------------------------------------------------------------------------------------

    @rule(who=maker, how=route, drawn=specs)
    def record_batch(self, who: str, how: str, drawn: Any) -> None:
        signer = self.accounts[who]
        spec = self.spec(signer.address, drawn)
        trial = copy.deepcopy(self.model)
        if how == "relay" and any(q == 0 for _, q in spec.inputs):
            expected: str | None = "ValidationError"  # inputs.quantity must be positive
        else:
            expected = trial.factory_error(signer.address) or trial.record(signer.address, spec)
        if how == "relay":
            self.attempt("record (relay)", trial, expected, lambda: self.ledger.record_batch(signer, spec.new_batch()))
        else:
            self.attempt(
                "record (direct)", trial, expected, lambda: direct(self.ledger, signer, "recordBatch", spec.record())
            )

    @rule(who=maker, how=route, drawn=st.lists(specs, min_size=1, max_size=3), chained=st.booleans())
    def record_bulk(self, who: str, how: str, drawn: list[Any], chained: bool) -> None:
        signer = self.accounts[who]
        bulk = [self.spec(signer.address, d) for d in drawn]
        if chained and len(bulk) > 1:  # the second record consumes the first, recorded earlier in the same call
            first = bulk[0]
            used = (batch_id_of(signer.address, GTIN, first.lot), max(1, first.quantity // 2))
            bulk[1] = Spec(bulk[1].lot, bulk[1].facility, bulk[1].quantity, (used, *bulk[1].inputs))
        trial = copy.deepcopy(self.model)
        expected, position = trial.record_bulk(signer.address, bulk)
        if how == "relay":
            # the Python checks come first: a zero input, or one lot twice in a bulk
            lots_seen: set[str] = set()
            for index, spec in enumerate(bulk):
                if any(q == 0 for _, q in spec.inputs) or spec.lot in lots_seen:
                    expected, position = "ValidationError", index
                    break
                lots_seen.add(spec.lot)

            def names_the_record(refused: Exception) -> None:  # "one bad batch refuses the whole call, .index names it"
                assert getattr(refused, "index", None) == position, f"bulk refusal names record {position}"

            self.attempt(
                "bulk (relay)",
                trial,
                expected,
                lambda: self.ledger.record_batches(signer, [s.new_batch() for s in bulk]),
                names_the_record,
            )
        else:
            self.attempt(
                "bulk (direct)",
                trial,
                expected,
                lambda: direct(self.ledger, signer, "recordBatches", [s.record() for s in bulk]),
            )

    @precondition(lambda self: self.model.batches)
    @rule(who=anyone, as_holder=st.booleans(), which=pick, ghost=st.booleans(), to=recipient, how=route)
    def transfer_custody(self, who: str, as_holder: bool, which: int, ghost: bool, to: str, how: str) -> None:
        batch_id = self.pick_batch(which, ghost and which % 8 == 0)
        if as_holder and batch_id in self.model.batches:
            who = self.label_of[self.model.batches[batch_id].holder]
        signer, recipient = self.accounts[who], self.address(to)
        trial = copy.deepcopy(self.model)
        if how == "relay":
            expected = "ValidationError" if to == "zero" else trial.transfer(signer.address, batch_id, recipient)
            self.attempt(
                "custody (relay)", trial, expected, lambda: self.ledger.transfer_custody(signer, batch_id, recipient)
            )
        else:
            self.attempt(
                "custody (direct)",
                trial,
                trial.transfer(signer.address, batch_id, recipient),
                lambda: direct(self.ledger, signer, "transferCustody", from_hex(batch_id), recipient),
            )

    @precondition(lambda self: self.model.batches)
    @rule(
        who=anyone,
        as_producer=st.booleans(),
        which=pick,
        kind=st.sampled_from(list(FlagKind)),
        reason=st.sampled_from(("quality hold", "")),
        how=route,
    )
    def flag(self, who: str, as_producer: bool, which: int, kind: FlagKind, reason: str, how: str) -> None:
        batch_id = self.pick_batch(which)
        if as_producer:
            who = self.label_of[self.model.batches[batch_id].producer]
        signer = self.accounts[who]
        trial = copy.deepcopy(self.model)
        if how == "relay":
            expected = "ValidationError" if not reason else trial.flag(signer.address, batch_id, reason)
            self.attempt(
                "flag (relay)", trial, expected, lambda: self.ledger.flag_batch(signer, batch_id, kind, reason)
            )
        else:
            self.attempt(
                "flag (direct)",
                trial,
                trial.flag(signer.address, batch_id, reason),
                lambda: direct(
                    self.ledger, signer, "flagBatch", from_hex(batch_id), list(FlagKind).index(kind), reason
                ),
            )

    # -- anchoring ---------------------------------------------------------------------------------------------

    @rule(who=maker, how=route, drawn=st.lists(specs, min_size=1, max_size=3, unique_by=lambda d: d[0]))
    def anchor(self, who: str, how: str, drawn: list[Any]) -> None:
        signer = self.accounts[who]
        records = [self.spec(signer.address, d) for d in drawn]
        self.anchors_built += 1  # a fresh root each time (anchoring one root twice is the squatter's rule)
        records = [
            Spec(s.lot, s.facility, s.quantity, tuple((i, max(q, 1)) for i, q in s.inputs), self.anchors_built)
            for s in records
        ]
        foreign_site = any(not s.inputs and self.model.site_owner.get(s.facility) != signer.address for s in records)
        bundle = build_bundle(
            signer.address,
            [s.new_batch() for s in records],
            uri=URI,
            chain_id=self.ledger.chain.chain_id,
            ledger=self.ledger.deployment.ledger,
        )
        self.anchor_bundles.append(bundle)
        trial = copy.deepcopy(self.model)
        expected = trial.anchor(signer.address, bundle.root.lower())
        if how == "relay" and expected is None and foreign_site:
            # `anchor_batches` refuses, before anchoring, a raw record no anchor could prove (another's site)
            trial, expected = copy.deepcopy(self.model), "ValidationError"
        if how == "relay":

            def write() -> None:
                receipt = anchor_batches(self.ledger, signer, [s.new_batch() for s in records], URI)
                assert receipt.root == bundle.root

            self.attempt("anchor (relay)", trial, expected, write)
        else:
            self.attempt(
                "anchor (direct)",
                trial,
                expected,
                lambda: direct(self.ledger, signer, "anchorBatches", from_hex(bundle.root), len(bundle.records), URI),
            )

    @precondition(lambda self: self.anchor_bundles)
    @rule(who=maker, which=pick, how=route)
    def squat_root(self, who: str, which: int, how: str) -> None:
        """Anchor a root another producer built (front-running it): allowed, but it proves none of their records."""
        bundle = self.anchor_bundles[which % len(self.anchor_bundles)]
        trial = copy.deepcopy(self.model)
        self.attempt(
            f"squat ({how})",
            trial,
            trial.anchor(self.address(who), bundle.root.lower()),
            lambda: self.send(how, who, "anchorBatches", from_hex(bundle.root), len(bundle.records), URI),
        )

    @precondition(lambda self: self.anchor_bundles)
    @rule(who=maker, as_producer=st.booleans(), which=pick, item=pick, how=route)
    def claim(self, who: str, as_producer: bool, which: int, item: int, how: str) -> None:
        bundle = self.anchor_bundles[which % len(self.anchor_bundles)]
        record = bundle.records[item % len(bundle.records)]
        if as_producer:
            who = self.label_of[bundle.producer]
        signer = self.accounts[who]
        trial = copy.deepcopy(self.model)
        expected = trial.claim(signer.address, bundle, Spec.of(record.batch))
        if how == "relay":
            self.attempt(
                "claim (relay)", trial, expected, lambda: claim_anchored(self.ledger, signer, bundle, record.batch_id)
            )
        else:
            self.attempt(
                "claim (direct)",
                trial,
                expected,
                lambda: direct(
                    self.ledger,
                    signer,
                    "claimAnchoredBatch",
                    from_hex(bundle.root),
                    batch_record(record.batch),
                    [from_hex(p) for p in record.proof],
                ),
            )

    @precondition(lambda self: self.anchor_bundles)
    @rule(which=pick, item=pick)
    def verify_anchored(self, which: int, item: int) -> None:
        """A read: the chain proves an anchored record iff its own producer anchored the root and the record is a
        raw material at one of the producer's sites that is not recorded (claimed or otherwise)."""
        bundle = self.anchor_bundles[which % len(self.anchor_bundles)]
        record = bundle.records[item % len(bundle.records)]
        anchored_by = self.model.anchors.get(bundle.root.lower())
        proof = list(record.proof)
        if anchored_by is None:
            with pytest.raises(ContractRevertError) as refused:
                verify_anchored_batch(self.ledger, bundle.root, bundle.producer, record.batch, proof)
            assert refused.value.error_name == "BatchAnchorNotFound"
            self.world.stats["verify anchored (root not anchored)"] += 1
            return
        proven = (
            anchored_by == bundle.producer
            and not record.batch.inputs
            and record.batch_id not in self.model.batches
            and self.model.site_owner.get(int(record.batch.facility)) == bundle.producer
        )
        assert verify_anchored_batch(self.ledger, bundle.root, bundle.producer, record.batch, proof) == proven
        reason = why_not_proven(
            self.ledger.chain, self.ledger.deployment.ledger, bundle.root, bundle.producer, record.batch, proof
        )
        assert (reason is None) == proven, reason
        self.world.stats[f"verify anchored ({'proven' if proven else 'not proven'})"] += 1

    # -- signed requests tampered with -------------------------------------------------------------------------

    @rule(
        who=anyone,
        victim=anyone,
        kind=st.sampled_from(("replay", "forged", "expired", "ahead")),
        via=st.sampled_from(("relay", "forwarder")),
    )
    def tampered_request(self, who: str, victim: str, kind: str, via: str) -> None:
        """A signed request replayed, signed by another than its sender, expired or with a nonce ahead: refused by
        the relay's checks, and by the forwarder when the attacker submits it there with its own transaction."""
        signer, ledger = self.accounts[who], self.ledger
        harmless = encode_call("renounceRole", NOBODY_ROLE, signer.address)  # a no-op anyone may sign
        answers: list[object] = []
        if kind == "replay":
            signed = ledger.sign(signer, harmless)
            self.attempt(
                "signed (relay)", copy.deepcopy(self.model), None, lambda: answers.append(ledger.relay(signed))
            )
        elif kind == "forged":  # `who` signs as `victim`: takes the victim's batch, or strips its factory role
            if victim == who:
                victim = LABELS[(LABELS.index(who) + 1) % len(LABELS)]
            target = self.accounts[victim].address
            held = sorted(i for i, b in self.model.batches.items() if b.holder == target)
            data = (
                encode_call("transferCustody", from_hex(held[0]), signer.address)
                if held
                else encode_call("renounceRole", ROLE_HASHES[Role.FACTORY], target)
            )
            signed = sign_request(
                signer,
                ledger.domain,
                build_request(
                    Address(target),
                    ledger.deployment.ledger,
                    data,
                    nonce=ledger.nonce(target),
                    gas=gas_for(data),
                    now=time.time(),
                ),
            )
        elif kind == "expired":
            signed = ledger.sign(signer, harmless, ttl=-86_400)
        else:
            signed = sign_request(
                signer,
                ledger.domain,
                build_request(
                    Address(signer.address),
                    ledger.deployment.ledger,
                    harmless,
                    nonce=ledger.nonce(signer.address) + 1,
                    gas=gas_for(harmless),
                    now=time.time(),
                ),
            )
        trial = copy.deepcopy(self.model)
        if via == "relay":
            relayer = ledger.relayer
            if kind == "replay":  # the relayer that sent it answers again from its outbox, sending nothing ...
                head = ledger.chain.head
                assert ledger.relay(signed) == answers[0] and ledger.chain.head == head
                # ... and one that never saw it (another instance) refuses it
                relayer = Relayer(ledger.forwarding, ledger.indexer)
            expected = {"replay": "SignatureReplayError", "expired": "SignatureExpiredError"}.get(
                kind, "SignatureInvalidError"
            )
            self.attempt(f"tampered ({kind}, relay)", trial, expected, lambda: relayer.submit(signed).tx)
            return
        request = signed.request
        payload = (
            request.from_address,
            request.to,
            request.value,
            request.gas,
            request.deadline,
            from_hex(request.data),
            from_hex(signed.signature),
        )
        data = ledger.forwarder.functions.execute(payload)._encode_transaction_data()
        expected = "ERC2771ForwarderExpiredRequest" if kind == "expired" else "ERC2771ForwarderInvalidSigner"
        self.attempt(
            f"tampered ({kind}, forwarder)",
            trial,
            expected,
            lambda: ledger.chain.send(
                {"to": ledger.deployment.forwarder, "data": data},  # type: ignore[typeddict-item]
                account=signer,
            ),
        )

    # -- disclosures -------------------------------------------------------------------------------------------

    @rule(
        who=anyone, period=st.sampled_from(("2025", "2025-H1")), framework=st.sampled_from(("GRI", "ESRS")), how=route
    )
    def publish(self, who: str, period: str, framework: str, how: str) -> None:
        signer = self.accounts[who]
        disclosure_id = disclosure_id_of(signer.address, framework, period)
        trial = copy.deepcopy(self.model)
        expected = trial.publish(signer.address, disclosure_id)
        if how == "relay":
            self.attempt(
                "publish (relay)",
                trial,
                expected,
                lambda: self.ledger.publish_disclosure(
                    signer, period, framework, METRICS, doc_hash(f"report {period}"), "https://r/1"
                ),
            )
        else:
            self.attempt(
                "publish (direct)",
                trial,
                expected,
                lambda: direct(
                    self.ledger,
                    signer,
                    "publishDisclosure",
                    text_to_bytes(period, 16),
                    text_to_bytes(framework, 8),
                    encode_metrics(METRICS),
                    from_hex(doc_hash(f"report {period}")),
                    "https://r/1",
                    False,
                ),
            )

    @precondition(lambda self: self.model.disclosures)
    @rule(who=anyone, as_publisher=st.booleans(), which=pick, reason=st.sampled_from(("restated", "")), how=route)
    def amend(self, who: str, as_publisher: bool, which: int, reason: str, how: str) -> None:
        disclosure_id = self.pick_disclosure(which)
        if as_publisher:
            who = self.label_of[self.model.disclosures[disclosure_id].publisher]
        signer = self.accounts[who]
        trial = copy.deepcopy(self.model)
        if how == "relay":
            expected = "ValidationError" if not reason else trial.amend(signer.address, disclosure_id)
            self.attempt(
                "amend (relay)",
                trial,
                expected,
                lambda: self.ledger.amend_disclosure(
                    signer, disclosure_id, METRICS[:1], doc_hash("v2"), "https://r/2", reason
                ),
            )
        else:  # the contract takes an empty amendment reason
            self.attempt(
                "amend (direct)",
                trial,
                trial.amend(signer.address, disclosure_id),
                lambda: direct(
                    self.ledger,
                    signer,
                    "amendDisclosure",
                    from_hex(disclosure_id),
                    encode_metrics(METRICS[:1]),
                    from_hex(doc_hash("v2")),
                    "https://r/2",
                    reason,
                    False,
                ),
            )

    def version(self, disclosure_id: str, which: str) -> int:
        disclosure = self.model.disclosures.get(disclosure_id)
        versions = disclosure.versions if disclosure else 1
        return {"latest": versions, "first": 1, "zero": 0, "beyond": versions + 1}[which]

    @precondition(lambda self: self.model.disclosures)
    @rule(who=auditor, which=pick, version=st.sampled_from(("latest",) * 4 + ("first", "zero", "beyond")), how=route)
    def attest(self, who: str, which: int, version: str, how: str) -> None:
        signer = self.accounts[who]
        disclosure_id = self.pick_disclosure(which)
        number = self.version(disclosure_id, version)
        trial = copy.deepcopy(self.model)
        if how == "relay":
            expected = "ValidationError" if number == 0 else trial.attest(signer.address, disclosure_id, number)
            self.attempt(
                "attest (relay)",
                trial,
                expected,
                lambda: self.ledger.attest(
                    signer, disclosure_id, number, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc_hash("assurance")
                ),
            )
        else:
            self.attempt(
                "attest (direct)",
                trial,
                trial.attest(signer.address, disclosure_id, number),
                lambda: direct(
                    self.ledger,
                    signer,
                    "attestDisclosure",
                    from_hex(disclosure_id),
                    number,
                    0,
                    0,
                    from_hex(doc_hash("assurance")),
                ),
            )

    @precondition(lambda self: self.model.disclosures)
    @rule(
        who=auditor,
        own=st.booleans(),
        which=pick,
        version=st.sampled_from(("latest", "first", "zero")),
        reason=st.sampled_from(("error found", "")),
        how=route,
    )
    def revoke(self, who: str, own: bool, which: int, version: str, reason: str, how: str) -> None:
        attested = sorted(k for k, active in self.model.attested.items() if active)
        if own and attested:  # an auditor revoking one of its active attestations
            disclosure_id, number, address = attested[which % len(attested)]
            who = self.label_of[address]
        else:
            disclosure_id = self.pick_disclosure(which)
            number = self.version(disclosure_id, version)
        signer = self.accounts[who]
        trial = copy.deepcopy(self.model)
        if how == "relay":
            expected = (
                "ValidationError" if number == 0 or not reason else trial.revoke(signer.address, disclosure_id, number)
            )
            self.attempt(
                "revoke (relay)",
                trial,
                expected,
                lambda: self.ledger.revoke_attestation(signer, disclosure_id, number, reason),
            )
        else:  # the contract takes an empty revocation reason
            self.attempt(
                "revoke (direct)",
                trial,
                trial.revoke(signer.address, disclosure_id, number),
                lambda: direct(self.ledger, signer, "revokeAttestation", from_hex(disclosure_id), number, reason),
            )

    # -- invariants --------------------------------------------------------------------------------------------
    # Each reads the contract's views and the index, unless the chain has not moved since it last passed (a write
    # refused before sending anything changes neither the chain, nor the index, nor the model).

    def unchanged_since_last_check(self, name: str) -> bool:
        head = bytes(self.world.chain.w3.eth.get_block("latest")["hash"])
        if self.seen.get(name) == head:
            return True
        self.seen[name] = head
        return False

    def read(self, view: Any) -> Any:
        # `from` given: else web3's eth-tester middleware lists every account, three times per call, to guess it
        return view.call({"from": self.world.chain.operator.address})

    @invariant()
    def mass_balance_holds_and_every_holder_is_registered(self) -> None:
        if self.unchanged_since_last_check("mass_balance_holds_and_every_holder_is_registered"):
            return
        views = self.ledger.contract.functions
        holders = set()
        with self.ledger.indexer.pinned():
            self.ledger.sync()
            for batch_id, batch in self.model.batches.items():
                producer, holder, remaining = self.read(views.batch(from_hex(batch_id)))
                assert remaining == batch.quantity - batch.consumed >= 0, f"mass balance of {batch_id}"
                assert (producer, holder) == (batch.producer, batch.holder), f"producer and holder of {batch_id}"
                indexed = self.ledger.batch(batch_id)
                assert (indexed.producer, indexed.holder, indexed.quantity, indexed.remaining) == (
                    batch.producer,
                    batch.holder,
                    from_milli(batch.quantity),
                    from_milli(remaining),
                ), batch_id
                assert (len(indexed.custody), len(indexed.flags)) == (batch.transfers, batch.flags), batch_id
                holders.add(holder)
            for holder in holders:
                assert self.read(views.participant(holder))[0] != 0, f"holder {holder} is no registered participant"
            stats = self.ledger.store.stats()
            for root, producer in self.model.anchors.items():
                anchored = self.ledger.store.anchor(root)
                assert anchored is not None and anchored["producer"] == producer, f"anchor {root} in the index"
        # nothing the model forbade was recorded, handed over or flagged
        assert stats["batches"] == len(self.model.batches)
        assert stats["custody"] == sum(b.transfers for b in self.model.batches.values())
        assert stats["flags"] == sum(b.flags for b in self.model.batches.values())

    @invariant()
    def participants_match_the_chain_and_the_index(self) -> None:
        if self.unchanged_since_last_check("participants_match_the_chain_and_the_index"):
            return
        views = self.ledger.contract.functions
        with self.ledger.indexer.pinned():
            self.ledger.sync()
            for label, who in self.accounts.items():
                member = self.model.member(who.address)
                index, suspended, org = self.read(views.participant(who.address))
                assert (index != 0, suspended, bytes(org)) == (
                    member.registered,
                    member.suspended,
                    member.organisation if member.registered else bytes(32),
                ), label
                try:
                    indexed = self.ledger.participant(who.address)
                except NotFoundError:
                    assert not member.registered, f"{label} is registered on chain but not in the index"
                    continue
                assert indexed.suspended == suspended, f"{label}: index and chain disagree on suspension"
                assert set(indexed.roles) == member.roles, f"{label}: index roles {set(indexed.roles)}"

    @invariant()
    def disclosures_match_the_chain_and_the_index(self) -> None:
        if self.unchanged_since_last_check("disclosures_match_the_chain_and_the_index"):
            return
        views = self.ledger.contract.functions
        with self.ledger.indexer.pinned():
            self.ledger.sync()
            for disclosure_id, disclosure in self.model.disclosures.items():
                assert tuple(self.read(views.disclosure(from_hex(disclosure_id)))) == (
                    disclosure.publisher,
                    disclosure.versions,
                ), disclosure_id
                indexed = self.ledger.disclosure(disclosure_id)
                assert (indexed.participant, len(indexed.versions), len(indexed.attestations)) == (
                    disclosure.publisher,
                    disclosure.versions,
                    disclosure.attestations,
                ), disclosure_id
            for (disclosure_id, version, auditor_address), active in self.model.attested.items():
                assert self.read(views.isAttested(from_hex(disclosure_id), version, auditor_address)) == active
                indexed = self.ledger.disclosure(disclosure_id)
                assert (
                    any(a.active for a in indexed.attestations if (a.version, a.auditor) == (version, auditor_address))
                    == active
                ), f"index and chain disagree on {auditor_address}'s attestation of {disclosure_id} v{version}"
            assert self.ledger.store.stats()["disclosure_versions"] == sum(
                d.versions for d in self.model.disclosures.values()
            )

    @invariant()
    def the_relayer_paid_for_no_reverted_transaction(self) -> None:
        head = self.world.chain.head
        operator = self.world.chain.operator.address
        for tx, receipt in transactions(self.ledger, self.checked + 1, head):
            if tx["from"] == operator:
                assert receipt["status"] == 1, f"the relayer paid for reverted transaction {tx['hash'].hex()}"
        self.checked = head


@pytest.mark.parametrize("kind", ["embedded", pytest.param("anvil", marks=pytest.mark.anvil)])
def test_random_operations_keep_the_ledger_invariants(kind: str, request: pytest.FixtureRequest) -> None:
    only = os.environ.get("INVARIANTS_CHAIN")
    if only and only != kind:
        pytest.skip(f"INVARIANTS_CHAIN={only}")
    under_test: ChainUnderTest = request.getfixturevalue(f"{kind}_chain")
    with under_test.chain.isolated():
        setup = under_test.ledger()
        world = World.build(setup)
        setup.close()
        examples = max(1, PROFILE.max_examples // EXAMPLE_SHARE[kind])
        started = time.monotonic()
        run_state_machine_as_test(
            lambda: LedgerMachine(world),  # type: ignore[arg-type]  # a factory is fine
            settings=settings(PROFILE, max_examples=examples),
        )
        took = time.monotonic() - started
    outcomes = ", ".join(f"{k} {v}" for k, v in sorted(world.stats.items()) if k not in ("examples", "steps"))
    print(f"\n{kind}: {world.stats['examples']} examples, {world.stats['steps']} steps in {took:.0f} s: {outcomes}")


def test_a_refused_anchor_writes_nothing(embedded_ledger: Ledger) -> None:
    ledger = embedded_ledger
    mill = register(ledger, "anchoring mill", 1)
    register(ledger, "neighbour", 2)
    records = [batch("A-1", 1), batch("A-2", 2)]  # the second names the neighbour's site
    root = build_bundle(mill.address, records).root
    try:
        anchor_batches(ledger, mill, records, URI)
    except ValidationError:
        ledger.sync()
        assert ledger.store.anchor(root.lower()) is None, "refused with ValidationError, yet the root is anchored"
