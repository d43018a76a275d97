"""Every custom error in the compiled ABIs is raised by the real chain, decoded to its class with its arguments.

`TRIGGERS` maps each error a caller can cause to a function that causes it, on the embedded chain and on anvil,
by sending calldata straight to the contracts (a participant's own transaction, the admin's, or a relayer's call of
the forwarder): no Python validation stands in the way, so what is refused is refused by the contract. The few
errors no caller can cause are in `UNREACHABLE`, each with the reason. A new error in a contract fails
`test_every_abi_error_is_triggered_or_explained` until someone triggers it (or says why nobody can).

The world every trigger starts from is built once per chain; a trigger only sends what the chain refuses, and runs
inside a snapshot that is rolled back, so a trigger that is wrongly accepted cannot leak into the next one.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

import pytest
from eth_abi import encode
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils import keccak
from web3.contract import Contract

from ledger.anchoring import MerkleTree, leaf_hash
from ledger.chain.calls import encode_call
from ledger.chain.codec import batch_id_of, disclosure_id_of, from_hex, text_to_bytes
from ledger.chain.compile import load_artifact
from ledger.chain.connection import Chain
from ledger.chain.revert import ERROR_KINDS, error_class
from ledger.chain.signing import build_request, sign_request
from ledger.domain.errors import ContractRevertError
from ledger.domain.types import Eip712Domain, ForwardRequest, SignedRequest
from tests.conftest import CHAINS, ChainUnderTest, account

ARTIFACTS = ("ProvenanceLedger", "ProvenanceForwarder")
FACTORY = keccak(text="FACTORY")
AUDITOR = keccak(text="AUDITOR")
ADMIN = b"\0" * 32  # AccessControl's DEFAULT_ADMIN_ROLE
GTIN = 9_506_000_134_352
PRODUCED = 1_750_000_000  # 2025-06-15, unix seconds
SITES = {"alpha": 4_000_001_000_005, "beta": 4_000_002_000_004, "gamma": 4_000_003_000_003}
ZERO = "0x0000000000000000000000000000000000000000"


def abi_errors() -> set[str]:
    return {e["name"] for a in ARTIFACTS for e in load_artifact(a).abi if e["type"] == "error"}


def h(raw: bytes) -> str:
    return "0x" + raw.hex()


def rec(
    lot: str,
    site: int,
    *,
    gtin: int = GTIN,
    lot_raw: bytes | None = None,
    hs_code: int = 520_100,
    quantity: int = 10_000,
    unit: bytes = b"KGM",
    produced_at: int = PRODUCED,
    emissions: int | None = None,
    inputs: list[tuple[bytes, int]] | None = None,
    documents: int = 1,
) -> tuple[Any, ...]:
    """An `IBatchLedger.BatchRecord` tuple with any values the ABI types allow (quantities in thousandths)."""
    return (
        gtin,
        lot_raw if lot_raw is not None else text_to_bytes(lot, 32),
        hs_code,
        quantity,
        unit,
        site,
        produced_at,
        emissions is not None,
        emissions or 0,
        inputs or [],
        [(keccak(text=f"certificate {lot} {i}"), 0) for i in range(documents)],
    )


def metric(code: str = "GHG_SCOPE1", value: int = 4_105) -> tuple[bytes, int, int, bytes]:
    return (text_to_bytes(code, 32), value, 1, text_to_bytes("tCO2e", 16))


def profile(
    name: str, sites: list[int], organisation: str | None = None, country: bytes = b"CN", party: int = 0
) -> tuple[Any, ...]:
    return (
        name,
        country,
        keccak(text=organisation or name),
        keccak(text=f"profile {name}"),
        party,
        [(gln, b"CN-GD\0") for gln in sites],
    )


@dataclass
class World:
    """Participants and records on one chain, from which every trigger starts."""

    chain: Chain
    ledger: ChecksumAddress
    forwarder: Contract
    domain: Eip712Domain
    alpha: LocalAccount  # factory at SITES["alpha"], holds `raw`, published `disclosure` (attested), anchored `root`
    beta: LocalAccount  # factory at SITES["beta"]
    gamma: LocalAccount  # factory at SITES["gamma"], suspended
    auditor: LocalAccount  # auditor of another organisation; attested `disclosure` version 1
    inhouse: LocalAccount  # auditor of alpha's own organisation
    buyer: LocalAccount  # registered, no role
    stranger: LocalAccount  # not registered
    raw: bytes  # alpha's batch RAW-1, 10 units (10,000 thousandths) left
    disclosure: bytes  # alpha's GRI 2025 disclosure, one version
    root: bytes  # a Merkle root alpha anchored over `anchored`
    anchored: list[tuple[Any, ...]]
    proofs: list[list[bytes]]

    def send(self, who: LocalAccount, data: str) -> None:
        """The participant's own transaction to the ledger."""
        self.chain.send({"to": self.ledger, "data": data}, account=who)  # type: ignore[typeddict-item]

    def admin(self, data: str) -> None:
        """The consortium admin's (the operator's) transaction to the ledger."""
        self.chain.send({"to": self.ledger, "data": data})  # type: ignore[typeddict-item]

    def relay(self, data: str, value: int = 0) -> None:
        """A relayer's (the operator's) transaction to the forwarder."""
        self.chain.send({"to": self.forwarder.address, "data": data, "value": value})  # type: ignore[typeddict-item]

    def request(self, who: LocalAccount, data: str, **changes: Any) -> ForwardRequest:
        nonce = int(self.forwarder.functions.nonces(who.address).call())
        request = build_request(who.address, self.ledger, data, nonce=nonce, gas=300_000, now=self.now())
        return dataclasses.replace(request, **changes)

    def now(self) -> int:
        return int(self.chain.w3.eth.get_block("latest")["timestamp"])

    def execute(self, signed: SignedRequest) -> str:
        return cast(str, self.forwarder.functions.execute(payload(signed))._encode_transaction_data())


def payload(signed: SignedRequest) -> tuple[Any, ...]:
    r = signed.request
    return (r.from_address, r.to, r.value, r.gas, r.deadline, from_hex(r.data), from_hex(signed.signature))


def build_world(under_test: ChainUnderTest) -> World:
    chain, deployment = under_test.chain, under_test.deployment
    forwarder = chain.w3.eth.contract(
        address=cast(ChecksumAddress, deployment.forwarder), abi=load_artifact("ProvenanceForwarder").abi
    )
    ledger = cast(ChecksumAddress, deployment.ledger)
    people = {
        k: account(f"every error {k}") for k in ("alpha", "beta", "gamma", "auditor", "inhouse", "buyer", "stranger")
    }
    for who in people.values():
        chain.send({"to": who.address, "value": 10**18}, gas=21_000)  # type: ignore[typeddict-item]

    def register(key: str, roles: list[bytes], organisation: str | None = None) -> None:
        sites = [SITES[key]] if key in SITES else []
        chain.send(
            {
                "to": ledger,
                "data": encode_call(  # type: ignore[typeddict-item]
                    "registerParticipant", people[key].address, profile(f"{key} Ltd", sites, organisation), roles
                ),
            }
        )

    register("alpha", [FACTORY], "alpha org")
    register("beta", [FACTORY])
    register("gamma", [FACTORY])
    register("auditor", [AUDITOR], "audit org")
    register("inhouse", [AUDITOR], "alpha org")
    register("buyer", [])
    chain.send(
        {
            "to": ledger,
            "data": encode_call(  # type: ignore[typeddict-item]
                "setSuspended", people["gamma"].address, True, "licence withdrawn"
            ),
        }
    )
    world = World(
        chain,
        ledger,
        forwarder,
        Eip712Domain("ProvenanceForwarder", "1", chain.chain_id, forwarder.address),
        root=b"",
        anchored=[],
        proofs=[],
        raw=b"",
        disclosure=b"",
        **people,
    )
    alpha = world.alpha
    world.send(alpha, encode_call("recordBatch", rec("RAW-1", SITES["alpha"])))
    world.raw = from_hex(batch_id_of(alpha.address, GTIN, "RAW-1"))
    world.send(
        alpha,
        encode_call(
            "publishDisclosure",
            text_to_bytes("2025", 16),
            text_to_bytes("GRI", 8),
            [metric()],
            keccak(text="report"),
            "https://reports.example/alpha.pdf",
            False,
        ),
    )
    world.disclosure = from_hex(disclosure_id_of(alpha.address, "GRI", "2025"))
    world.send(world.auditor, encode_call("attestDisclosure", world.disclosure, 1, 0, 0, keccak(text="assurance")))
    world.anchored = [rec("ANCHOR-1", SITES["alpha"]), rec("ANCHOR-2", SITES["alpha"])]
    tree = MerkleTree([leaf_hash(alpha.address, r) for r in world.anchored])
    world.root, world.proofs = tree.root, [tree.proof(0), tree.proof(1)]
    world.send(alpha, encode_call("anchorBatches", world.root, 2, "ipfs://anchored"))
    return world


@pytest.fixture(scope="module", params=CHAINS)
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    under_test: ChainUnderTest = request.getfixturevalue(f"{request.param}_chain")
    with under_test.chain.isolated():
        yield build_world(under_test)


@contextmanager
def refused(name: str, args: dict[str, Any]) -> Iterator[None]:
    """The block raises the contract error `name`, decoded to its own class, with exactly these arguments."""
    with pytest.raises(ContractRevertError) as caught:
        yield
    error = caught.value
    assert (type(error).__name__, error.error_name) == (name, name), f"expected {name}, got {error!r}"
    assert isinstance(error, error_class(name))
    assert error.args_by_name == args


def batch_of(who: LocalAccount, lot: str) -> str:
    return batch_id_of(who.address, GTIN, lot)


def raw_batch_id(who: LocalAccount, record: tuple[Any, ...]) -> str:
    """`batchIdOf` for a record whose GTIN or lot no Python type would hold."""
    return h(keccak(encode(["address", "uint64", "bytes32"], [who.address, record[0], record[1]])))


# -- the triggers: error name -> a function that makes the chain raise it -----------------------------------------

Trigger = Callable[[World], None]
TRIGGERS: dict[str, Trigger] = {}


def triggers(name: str) -> Callable[[Trigger], Trigger]:
    def register(fn: Trigger) -> Trigger:
        assert name not in TRIGGERS, f"{name} has two triggers"
        TRIGGERS[name] = fn
        return fn

    return register


# ParticipantRegistry and AccessControl


@triggers("AccessControlUnauthorizedAccount")
def _(w: World) -> None:
    with refused("AccessControlUnauthorizedAccount", {"account": w.buyer.address, "needed_role": h(FACTORY)}):
        w.send(w.buyer, encode_call("recordBatch", rec("NO-ROLE", SITES["alpha"])))
    with refused("AccessControlUnauthorizedAccount", {"account": w.alpha.address, "needed_role": h(AUDITOR)}):
        w.send(w.alpha, encode_call("attestDisclosure", w.disclosure, 1, 0, 0, keccak(text="self")))
    with refused("AccessControlUnauthorizedAccount", {"account": w.alpha.address, "needed_role": h(ADMIN)}):
        w.send(w.alpha, encode_call("registerParticipant", w.stranger.address, profile("x", []), [FACTORY]))
    with refused("AccessControlUnauthorizedAccount", {"account": w.alpha.address, "needed_role": h(ADMIN)}):
        w.send(w.alpha, encode_call("grantRole", AUDITOR, w.alpha.address))


@triggers("AccessControlBadConfirmation")
def _(w: World) -> None:
    with refused("AccessControlBadConfirmation", {}):  # renouncing must name oneself
        w.send(w.alpha, encode_call("renounceRole", FACTORY, w.beta.address))


@triggers("RegistryAlreadyRegistered")
def _(w: World) -> None:
    with refused("RegistryAlreadyRegistered", {"account": w.buyer.address}):
        w.admin(encode_call("registerParticipant", w.buyer.address, profile("again", []), []))


@triggers("RegistryInvalidProfile")
def _(w: World) -> None:
    new = w.stranger.address
    for field, data in [
        ("account", encode_call("registerParticipant", ZERO, profile("zero", []), [])),
        ("legalName", encode_call("registerParticipant", new, profile("", []), [])),
        ("legalName", encode_call("registerParticipant", new, profile("x" * 257, []), [])),
        ("country", encode_call("registerParticipant", new, profile("no country", [], country=b"\0\0"), [])),
        ("gln", encode_call("registerParticipant", new, profile("no site", [0]), [])),
        ("gln", encode_call("registerParticipant", new, profile("bad party", [], party=10**13), [])),
        ("gln", encode_call("addSite", w.beta.address, (10**13, b"CN-GD\0"))),
        ("reason", encode_call("setSuspended", w.beta.address, True, "x" * 1025)),
    ]:
        with refused("RegistryInvalidProfile", {"field": field}):
            w.admin(data)


@triggers("RegistryParticipantNotFound")
def _(w: World) -> None:
    stranger = w.stranger.address
    with refused("RegistryParticipantNotFound", {"account": stranger}):
        w.send(
            w.stranger,
            encode_call(
                "publishDisclosure",
                text_to_bytes("2025", 16),
                text_to_bytes("GRI", 8),
                [metric()],
                keccak(text="r"),
                "",
                False,
            ),
        )
    with refused("RegistryParticipantNotFound", {"account": stranger}):  # custody only to a participant
        w.send(w.alpha, encode_call("transferCustody", w.raw, stranger))
    with refused("RegistryParticipantNotFound", {"account": stranger}):
        w.admin(encode_call("addSite", stranger, (4_000_009_000_009, b"CN-GD\0")))
    with refused("RegistryParticipantNotFound", {"account": stranger}):
        w.admin(encode_call("setSuspended", stranger, True, "who?"))


@triggers("RegistryParticipantSuspended")
def _(w: World) -> None:
    gamma = w.gamma.address
    with refused("RegistryParticipantSuspended", {"account": gamma}):
        w.send(w.gamma, encode_call("recordBatch", rec("SUSPENDED-1", SITES["gamma"])))
    with refused("RegistryParticipantSuspended", {"account": gamma}):
        w.send(
            w.gamma,
            encode_call(
                "publishDisclosure",
                text_to_bytes("2025", 16),
                text_to_bytes("GRI", 8),
                [metric()],
                keccak(text="r"),
                "",
                False,
            ),
        )
    with refused("RegistryParticipantSuspended", {"account": gamma}):  # nor can it receive custody
        w.send(w.alpha, encode_call("transferCustody", w.raw, gamma))


@triggers("RegistrySiteTaken")
def _(w: World) -> None:
    taken = SITES["alpha"]
    with refused("RegistrySiteTaken", {"gln": taken, "owner": w.alpha.address}):
        w.admin(encode_call("addSite", w.beta.address, (taken, b"CN-GD\0")))
    with refused("RegistrySiteTaken", {"gln": taken, "owner": w.alpha.address}):
        w.admin(encode_call("registerParticipant", w.stranger.address, profile("squatter", [taken]), []))
    with refused("RegistrySiteTaken", {"gln": taken, "owner": w.alpha.address}):  # another's site as a party GLN
        w.admin(encode_call("registerParticipant", w.stranger.address, profile("party squatter", [], party=taken), []))
    party = 4_000_123_000_007
    w.admin(encode_call("registerParticipant", w.stranger.address, profile("party", [], party=party), []))
    newcomer = account("second party")
    with refused("RegistrySiteTaken", {"gln": party, "owner": w.stranger.address}):  # a party GLN twice
        w.admin(encode_call("registerParticipant", newcomer.address, profile("twice", [], party=party), []))
    with refused("RegistrySiteTaken", {"gln": party, "owner": w.stranger.address}):  # another's party GLN as a site
        w.admin(encode_call("addSite", w.beta.address, (party, b"CN-GD\0")))


@triggers("RegistryUnknownSite")
def _(w: World) -> None:
    with refused("RegistryUnknownSite", {"account": w.alpha.address, "gln": SITES["beta"]}):
        w.send(w.alpha, encode_call("recordBatch", rec("ELSEWHERE", SITES["beta"])))
    with refused("RegistryUnknownSite", {"account": w.alpha.address, "gln": 4_000_009_000_009}):
        w.send(w.alpha, encode_call("recordBatch", rec("NOWHERE", 4_000_009_000_009)))


# BatchLedger: records


@triggers("BatchAlreadyRecorded")
def _(w: World) -> None:
    with refused("BatchAlreadyRecorded", {"batch_id": h(w.raw)}):
        w.send(w.alpha, encode_call("recordBatch", rec("RAW-1", SITES["alpha"])))
    with refused("BatchAlreadyRecorded", {"batch_id": h(w.raw)}):  # in a bulk, and twice within one bulk
        w.send(w.alpha, encode_call("recordBatches", [rec("NEW-1", SITES["alpha"]), rec("RAW-1", SITES["alpha"])]))
    with refused("BatchAlreadyRecorded", {"batch_id": batch_of(w.alpha, "TWICE")}):
        w.send(w.alpha, encode_call("recordBatches", [rec("TWICE", SITES["alpha"]), rec("TWICE", SITES["alpha"])]))


@triggers("BatchInvalidRecord")
def _(w: World) -> None:
    site = SITES["alpha"]
    for field, record in [
        ("gtin", rec("BAD", site, gtin=0)),
        ("gtin", rec("BAD", site, gtin=10**14)),
        ("lot", rec("BAD", site, lot_raw=b"\0" * 32)),
        ("lot", rec("BAD", site, lot_raw=b"L" * 21 + b"\0" * 11)),
        ("hsCode", rec("BAD", site, hs_code=10**6)),
        ("quantity", rec("BAD", site, quantity=0)),
        ("unit", rec("BAD", site, unit=b"\0\0\0")),
    ]:
        with refused("BatchInvalidRecord", {"batch_id": raw_batch_id(w.alpha, record), "field": field}):
            w.send(w.alpha, encode_call("recordBatch", record))
    with refused("BatchInvalidRecord", {"batch_id": h(w.raw), "field": "reason"}):
        w.send(w.alpha, encode_call("flagBatch", w.raw, 1, ""))
    with refused("BatchInvalidRecord", {"batch_id": h(b"\0" * 32), "field": "root"}):
        w.send(w.alpha, encode_call("anchorBatches", b"\0" * 32, 1, ""))
    with refused("BatchInvalidRecord", {"batch_id": h(b"\1" * 32), "field": "root"}):
        w.send(w.alpha, encode_call("anchorBatches", b"\1" * 32, 0, ""))


@triggers("BatchValueOutOfRange")
def _(w: World) -> None:
    site, cap = SITES["alpha"], 10**15
    with refused(
        "BatchValueOutOfRange",
        {"batch_id": batch_of(w.alpha, "HUGE"), "field": "quantity", "value": cap + 1, "max": cap},
    ):
        w.send(w.alpha, encode_call("recordBatch", rec("HUGE", site, quantity=cap + 1)))
    with refused(
        "BatchValueOutOfRange",
        {"batch_id": batch_of(w.alpha, "SMOKY"), "field": "processEmissions", "value": 2**64 - 1, "max": cap},
    ):
        w.send(w.alpha, encode_call("recordBatch", rec("SMOKY", site, emissions=2**64 - 1)))


@triggers("BatchProducedInFuture")
def _(w: World) -> None:
    tomorrow = w.now() + 86_400
    lot = batch_of(w.alpha, "TOMORROW")
    with pytest.raises(error_class("BatchProducedInFuture")) as caught:
        w.send(w.alpha, encode_call("recordBatch", rec("TOMORROW", SITES["alpha"], produced_at=tomorrow)))
    args = caught.value.args_by_name
    assert (args["batch_id"], args["produced_at"]) == (lot, tomorrow)
    assert w.now() <= args["latest_allowed"] - 3_600 <= time.time() + 600  # the pending block's time + 1 h
    # checkRecord takes the time explicitly: the bound is exact there
    with refused("BatchProducedInFuture", {"batch_id": lot, "produced_at": tomorrow, "latest_allowed": tomorrow - 1}):
        w.chain.call(
            {
                "to": w.ledger,
                "data": encode_call(  # type: ignore[typeddict-item]
                    "checkRecord",
                    w.alpha.address,
                    rec("TOMORROW", SITES["alpha"], produced_at=tomorrow),
                    tomorrow - 3_601,
                ),
            }
        )


@triggers("BatchTooManyItems")
def _(w: World) -> None:
    site = SITES["alpha"]
    many_inputs = [(w.raw, 1)] * 65
    with refused("BatchTooManyItems", {"batch_id": batch_of(w.alpha, "MANY-IN"), "count": 65, "max": 64}):
        w.send(w.alpha, encode_call("recordBatch", rec("MANY-IN", site, inputs=many_inputs)))
    with refused("BatchTooManyItems", {"batch_id": batch_of(w.alpha, "MANY-DOCS"), "count": 65, "max": 64}):
        w.send(w.alpha, encode_call("recordBatch", rec("MANY-DOCS", site, documents=65)))


@triggers("BatchInputNotFound")
def _(w: World) -> None:
    nowhere = keccak(text="nowhere")
    with refused("BatchInputNotFound", {"batch_id": batch_of(w.alpha, "FROM-NOWHERE"), "input_id": h(nowhere)}):
        w.send(w.alpha, encode_call("recordBatch", rec("FROM-NOWHERE", SITES["alpha"], inputs=[(nowhere, 1)])))


@triggers("BatchInputNotHeld")
def _(w: World) -> None:
    with refused(
        "BatchInputNotHeld", {"batch_id": batch_of(w.beta, "NOT-MINE"), "input_id": h(w.raw), "holder": w.alpha.address}
    ):
        w.send(w.beta, encode_call("recordBatch", rec("NOT-MINE", SITES["beta"], inputs=[(w.raw, 1)])))


@triggers("BatchInsufficientQuantity")
def _(w: World) -> None:
    site, out = SITES["alpha"], batch_of(w.alpha, "GREEDY")
    with refused(
        "BatchInsufficientQuantity", {"batch_id": out, "input_id": h(w.raw), "requested": 10_001, "available": 10_000}
    ):
        w.send(w.alpha, encode_call("recordBatch", rec("GREEDY", site, inputs=[(w.raw, 10_001)])))
    with refused(
        "BatchInsufficientQuantity", {"batch_id": out, "input_id": h(w.raw), "requested": 0, "available": 10_000}
    ):  # consuming nothing is no use
        w.send(w.alpha, encode_call("recordBatch", rec("GREEDY", site, inputs=[(w.raw, 0)])))
    with refused(
        "BatchInsufficientQuantity", {"batch_id": out, "input_id": h(w.raw), "requested": 4_000, "available": 2_000}
    ):  # the same input twice in one record
        w.send(w.alpha, encode_call("recordBatch", rec("GREEDY", site, inputs=[(w.raw, 8_000), (w.raw, 4_000)])))


# BatchLedger: custody and flags


@triggers("BatchNotFound")
def _(w: World) -> None:
    nowhere = keccak(text="nowhere")
    with refused("BatchNotFound", {"batch_id": h(nowhere)}):
        w.send(w.alpha, encode_call("transferCustody", nowhere, w.beta.address))
    with refused("BatchNotFound", {"batch_id": h(nowhere)}):
        w.send(w.alpha, encode_call("flagBatch", nowhere, 0, "recall"))
    with refused("BatchNotFound", {"batch_id": h(nowhere)}):
        w.chain.call({"to": w.ledger, "data": encode_call("batch", nowhere)})  # type: ignore[typeddict-item]


@triggers("BatchNotHolder")
def _(w: World) -> None:
    with refused("BatchNotHolder", {"batch_id": h(w.raw), "account": w.beta.address, "holder": w.alpha.address}):
        w.send(w.beta, encode_call("transferCustody", w.raw, w.buyer.address))


@triggers("BatchSelfTransfer")
def _(w: World) -> None:
    with refused("BatchSelfTransfer", {"batch_id": h(w.raw)}):
        w.send(w.alpha, encode_call("transferCustody", w.raw, w.alpha.address))


@triggers("BatchNotProducer")
def _(w: World) -> None:
    with refused("BatchNotProducer", {"batch_id": h(w.raw), "account": w.beta.address}):
        w.send(w.beta, encode_call("flagBatch", w.raw, 0, "recall someone else's batch"))


@triggers("BatchTextTooLong")
def _(w: World) -> None:
    with refused("BatchTextTooLong", {"field": "reason", "length": 1_025, "max": 1_024}):
        w.send(w.alpha, encode_call("flagBatch", w.raw, 1, "x" * 1_025))
    with refused("BatchTextTooLong", {"field": "uri", "length": 2_049, "max": 2_048}):
        w.send(w.alpha, encode_call("anchorBatches", keccak(text="root"), 1, "x" * 2_049))


# BatchLedger: Merkle anchors


@triggers("BatchAnchorExists")
def _(w: World) -> None:
    with refused("BatchAnchorExists", {"root": h(w.root)}):
        w.send(w.alpha, encode_call("anchorBatches", w.root, 2, "ipfs://again"))
    with refused("BatchAnchorExists", {"root": h(w.root)}):  # nor by another factory
        w.send(w.beta, encode_call("anchorBatches", w.root, 2, "ipfs://mine"))


@triggers("EventsRootExists")
def _(w: World) -> None:
    root = keccak(text="events of capture 1")
    w.send(w.alpha, encode_call("commitEvents", root, 3, "urn:capture:1"))
    with refused("EventsRootExists", {"root": h(root)}):
        w.send(w.beta, encode_call("commitEvents", root, 3, "urn:capture:again"))


@triggers("EventsRootNotFound")
def _(w: World) -> None:
    unknown = keccak(text="never committed")
    with refused("EventsRootNotFound", {"root": h(unknown)}):
        w.chain.call(
            {
                "to": w.ledger,
                "data": encode_call(  # type: ignore[typeddict-item]
                    "verifyEvent", unknown, keccak(text="an event"), []
                ),
            }
        )
    with refused("EventsRootNotFound", {"root": h(unknown)}):
        w.chain.call({"to": w.ledger, "data": encode_call("eventsRoot", unknown)})  # type: ignore[typeddict-item]


@triggers("BatchAnchorNotFound")
def _(w: World) -> None:
    unknown = keccak(text="never anchored")
    with refused("BatchAnchorNotFound", {"root": h(unknown)}):
        w.send(w.alpha, encode_call("claimAnchoredBatch", unknown, w.anchored[0], w.proofs[0]))
    with refused("BatchAnchorNotFound", {"root": h(unknown)}):
        w.chain.call(
            {
                "to": w.ledger,
                "data": encode_call(  # type: ignore[typeddict-item]
                    "verifyAnchoredBatch", unknown, w.alpha.address, w.anchored[0], w.proofs[0]
                ),
            }
        )
    with refused("BatchAnchorNotFound", {"root": h(unknown)}):
        w.chain.call({"to": w.ledger, "data": encode_call("anchor", unknown)})  # type: ignore[typeddict-item]


@triggers("BatchAnchorProofInvalid")
def _(w: World) -> None:
    record, proof = w.anchored[0], w.proofs[0]
    verified = w.chain.call(
        {
            "to": w.ledger,
            "data": encode_call(  # type: ignore[typeddict-item]
                "verifyAnchoredBatch", w.root, w.alpha.address, record, proof
            ),
        }
    )
    assert int.from_bytes(verified, "big") == 1  # the proof is good: what follows is refused for the reason named
    with refused("BatchAnchorProofInvalid", {"root": h(w.root), "batch_id": batch_of(w.alpha, "ANCHOR-1")}):
        w.send(w.alpha, encode_call("claimAnchoredBatch", w.root, record, w.proofs[1]))  # another leaf's proof
    altered = rec("ANCHOR-1", SITES["alpha"], quantity=20_000)
    with refused("BatchAnchorProofInvalid", {"root": h(w.root), "batch_id": batch_of(w.alpha, "ANCHOR-1")}):
        w.send(w.alpha, encode_call("claimAnchoredBatch", w.root, altered, proof))  # a record that was not anchored
    with refused("BatchAnchorProofInvalid", {"root": h(w.root), "batch_id": batch_of(w.beta, "ANCHOR-1")}):
        w.send(w.beta, encode_call("claimAnchoredBatch", w.root, record, proof))  # another factory's root


# DisclosureRegistry


def _publish(w: World, who: LocalAccount, metrics: list[Any], uri: str = "", period: str = "2025") -> None:
    w.send(
        who,
        encode_call(
            "publishDisclosure",
            text_to_bytes(period, 16),
            text_to_bytes("GRI", 8),
            metrics,
            keccak(text="report"),
            uri,
            False,
        ),
    )


@triggers("DisclosureAlreadyPublished")
def _(w: World) -> None:
    with refused("DisclosureAlreadyPublished", {"disclosure_id": h(w.disclosure)}):
        _publish(w, w.alpha, [metric()])


@triggers("DisclosureInvalidMetrics")
def _(w: World) -> None:
    with refused("DisclosureInvalidMetrics", {"count": 0, "max": 128}):
        _publish(w, w.beta, [])
    with refused("DisclosureInvalidMetrics", {"count": 129, "max": 128}):
        _publish(w, w.beta, [metric(f"M{i}") for i in range(129)])
    with refused("DisclosureInvalidMetrics", {"count": 0, "max": 128}):
        w.send(w.alpha, encode_call("amendDisclosure", w.disclosure, [], keccak(text="r2"), "", "emptied", False))


@triggers("DisclosureTextTooLong")
def _(w: World) -> None:
    with refused("DisclosureTextTooLong", {"field": "uri", "length": 2_049, "max": 2_048}):
        _publish(w, w.beta, [metric()], uri="x" * 2_049)
    with refused("DisclosureTextTooLong", {"field": "reason", "length": 1_025, "max": 1_024}):
        w.send(
            w.alpha, encode_call("amendDisclosure", w.disclosure, [metric()], keccak(text="r2"), "", "x" * 1_025, False)
        )
    with refused("DisclosureTextTooLong", {"field": "reason", "length": 1_025, "max": 1_024}):
        w.send(w.auditor, encode_call("revokeAttestation", w.disclosure, 1, "x" * 1_025))


@triggers("DisclosureNotFound")
def _(w: World) -> None:
    unknown = keccak(text="no disclosure")
    with refused("DisclosureNotFound", {"disclosure_id": h(unknown)}):
        w.send(w.alpha, encode_call("amendDisclosure", unknown, [metric()], keccak(text="r"), "", "why", False))
    with refused("DisclosureNotFound", {"disclosure_id": h(unknown)}):
        w.send(w.auditor, encode_call("attestDisclosure", unknown, 1, 0, 0, keccak(text="a")))
    with refused("DisclosureNotFound", {"disclosure_id": h(unknown)}):
        w.chain.call({"to": w.ledger, "data": encode_call("disclosure", unknown)})  # type: ignore[typeddict-item]


@triggers("DisclosureNotOwner")
def _(w: World) -> None:
    with refused("DisclosureNotOwner", {"disclosure_id": h(w.disclosure), "account": w.beta.address}):
        w.send(
            w.beta, encode_call("amendDisclosure", w.disclosure, [metric()], keccak(text="r"), "", "mine now", False)
        )


@triggers("DisclosureVersionNotFound")
def _(w: World) -> None:
    for version in (0, 2):
        with refused("DisclosureVersionNotFound", {"disclosure_id": h(w.disclosure), "version": version}):
            w.send(w.auditor, encode_call("attestDisclosure", w.disclosure, version, 0, 0, keccak(text="a")))
    with refused("DisclosureVersionNotFound", {"disclosure_id": h(w.disclosure), "version": 2}):
        w.chain.call(
            {
                "to": w.ledger,
                "data": encode_call(  # type: ignore[typeddict-item]
                    "disclosureContentHash", w.disclosure, 2
                ),
            }
        )


@triggers("DisclosureOwnOrganisation")
def _(w: World) -> None:
    with refused("DisclosureOwnOrganisation", {"disclosure_id": h(w.disclosure), "auditor": w.inhouse.address}):
        w.send(w.inhouse, encode_call("attestDisclosure", w.disclosure, 1, 1, 0, keccak(text="in-house")))
    _publish(w, w.auditor, [metric()])  # an auditor's own disclosure (no organisation in common needed)
    own = from_hex(disclosure_id_of(w.auditor.address, "GRI", "2025"))
    with refused("DisclosureOwnOrganisation", {"disclosure_id": h(own), "auditor": w.auditor.address}):
        w.send(w.auditor, encode_call("attestDisclosure", own, 1, 1, 0, keccak(text="self")))


@triggers("DisclosureAlreadyAttested")
def _(w: World) -> None:
    args = {"disclosure_id": h(w.disclosure), "version": 1, "auditor": w.auditor.address}
    with refused("DisclosureAlreadyAttested", args):
        w.send(w.auditor, encode_call("attestDisclosure", w.disclosure, 1, 1, 1, keccak(text="again")))
    # once revoked, the auditor may attest the version again; while active, not twice
    w.send(w.auditor, encode_call("revokeAttestation", w.disclosure, 1, "engagement withdrawn"))
    w.send(w.auditor, encode_call("attestDisclosure", w.disclosure, 1, 1, 1, keccak(text="re-engaged")))
    with refused("DisclosureAlreadyAttested", args):
        w.send(w.auditor, encode_call("attestDisclosure", w.disclosure, 1, 1, 1, keccak(text="again")))


@triggers("DisclosureAttestationNotFound")
def _(w: World) -> None:
    with refused(
        "DisclosureAttestationNotFound", {"disclosure_id": h(w.disclosure), "version": 1, "auditor": w.inhouse.address}
    ):  # it never attested
        w.send(w.inhouse, encode_call("revokeAttestation", w.disclosure, 1, "never mine"))
    w.send(w.auditor, encode_call("revokeAttestation", w.disclosure, 1, "engagement withdrawn"))
    with refused(
        "DisclosureAttestationNotFound", {"disclosure_id": h(w.disclosure), "version": 1, "auditor": w.auditor.address}
    ):  # already revoked
        w.send(w.auditor, encode_call("revokeAttestation", w.disclosure, 1, "twice"))


# ProvenanceForwarder (OpenZeppelin ERC2771Forwarder), called by a relayer


def _custody(w: World) -> str:
    return encode_call("transferCustody", w.raw, w.buyer.address)


@triggers("ERC2771ForwarderInvalidSigner")
def _(w: World) -> None:
    forged = sign_request(w.beta, w.domain, w.request(w.alpha, _custody(w)))  # alpha's request, beta's signature
    with refused("ERC2771ForwarderInvalidSigner", {"signer": w.beta.address, "from": w.alpha.address}):
        w.relay(w.execute(forged))
    good = sign_request(w.alpha, w.domain, w.request(w.alpha, _custody(w)))
    w.relay(w.execute(good))
    with pytest.raises(error_class("ERC2771ForwarderInvalidSigner")) as replayed:  # the nonce moved on: a replay
        w.relay(w.execute(good))
    assert replayed.value.args_by_name["from"] == w.alpha.address
    assert replayed.value.args_by_name["signer"] != w.alpha.address


@triggers("ERC2771ForwarderExpiredRequest")
def _(w: World) -> None:
    request = w.request(w.alpha, _custody(w), deadline=w.now() - 60)
    with refused("ERC2771ForwarderExpiredRequest", {"deadline": request.deadline}):
        w.relay(w.execute(sign_request(w.alpha, w.domain, request)))


@triggers("ERC2771UntrustfulTarget")
def _(w: World) -> None:
    for target in (w.buyer.address, w.forwarder.address):  # an account without code; a contract not trusting it
        request = w.request(w.alpha, _custody(w), to=target)
        with refused("ERC2771UntrustfulTarget", {"target": target, "forwarder": w.forwarder.address}):
            w.relay(w.execute(sign_request(w.alpha, w.domain, request)))


@triggers("ERC2771ForwarderMismatchedValue")
def _(w: World) -> None:
    signed = sign_request(w.alpha, w.domain, w.request(w.alpha, _custody(w)))
    with refused("ERC2771ForwarderMismatchedValue", {"requested_value": 0, "msg_value": 1}):
        w.relay(w.execute(signed), value=1)
    batch = w.forwarder.functions.executeBatch([payload(signed)], w.alpha.address)._encode_transaction_data()
    with refused("ERC2771ForwarderMismatchedValue", {"requested_value": 0, "msg_value": 5}):
        w.relay(batch, value=5)


@triggers("ERC2771ForwarderNoRefundReceiver")
def _(w: World) -> None:
    # A request carrying value fails inside (the ledger takes no ether), so its value is to be refunded; a batch
    # with no refund receiver requires every request to succeed.
    signed = sign_request(w.alpha, w.domain, w.request(w.alpha, _custody(w), value=1))
    batch = w.forwarder.functions.executeBatch([payload(signed)], ZERO)._encode_transaction_data()
    with refused("ERC2771ForwarderNoRefundReceiver", {}):
        w.relay(batch, value=1)


@triggers("FailedCall")
def _(w: World) -> None:
    # A well-signed request whose inner call reverts: the forwarder reports only that it failed (which is why the
    # relay dry-runs the inner call first, to name the ledger's own error).
    unknown = encode_call("transferCustody", keccak(text="nowhere"), w.buyer.address)
    with refused("FailedCall", {}):
        w.relay(w.execute(sign_request(w.alpha, w.domain, w.request(w.alpha, unknown))))
    # A refund the receiver refuses: the ledger takes no ether.
    signed = sign_request(w.alpha, w.domain, w.request(w.alpha, _custody(w), value=1))
    batch = w.forwarder.functions.executeBatch([payload(signed)], w.ledger)._encode_transaction_data()
    with refused("FailedCall", {}):
        w.relay(batch, value=1)


#: Errors in the ABIs that no caller can cause, each with the reason.
UNREACHABLE: dict[str, str] = {
    "InsufficientBalance": "ERC2771Forwarder.executeBatch refunds only the value of failed requests, out of a "
    "msg.value checked to equal the requests' total first: the balance always covers it",
    "InvalidAccountNonce": "OpenZeppelin Nonces._useCheckedNonce is never called: the forwarder uses _useNonce, so a "
    "wrong nonce fails the signature check (ERC2771ForwarderInvalidSigner, see its trigger)",
    "InvalidShortString": "EIP712 reads back its own name and version, stored by the constructor as short strings of "
    "at most 31 bytes: their length byte is never over 31",
    "StringTooLong": "only the EIP712 constructor raises it, for a name or version over 31 bytes; the forwarder's "
    "are the constants 'ProvenanceForwarder' and '1'",
}


# -- the tests -----------------------------------------------------------------------------------------------------


def test_every_abi_error_is_triggered_or_explained() -> None:
    errors = abi_errors()
    assert not TRIGGERS.keys() & UNREACHABLE.keys(), "an error is both triggered and called unreachable"
    assert errors - TRIGGERS.keys() - UNREACHABLE.keys() == set(), (
        "each of these contract errors needs a trigger in TRIGGERS or a reason in UNREACHABLE"
    )
    assert (TRIGGERS.keys() | UNREACHABLE.keys()) - errors == set(), "no such error in the ABIs"
    assert all(reason.strip() for reason in UNREACHABLE.values())


def test_every_abi_error_has_an_explicit_kind() -> None:
    """`ERROR_KINDS` names exactly the ABI's errors (no default for a new one) and only the four kinds."""
    errors = abi_errors()
    assert errors - ERROR_KINDS.keys() == set(), "these contract errors have no kind in ledger.revert.ERROR_KINDS"
    assert ERROR_KINDS.keys() - errors == set(), "ERROR_KINDS names errors the ABIs do not have"
    assert set(ERROR_KINDS.values()) <= {"not_found", "forbidden", "invalid", "conflict"}
    assert {name: error_class(name).kind for name in errors} == ERROR_KINDS


@pytest.mark.parametrize("name", sorted(TRIGGERS))
def test_the_chain_raises_the_error(world: World, name: str, request: pytest.FixtureRequest) -> None:
    with world.chain.isolated():
        TRIGGERS[name](world)


def test_the_forwarder_keeps_its_short_domain_and_no_ether(world: World) -> None:
    """What `UNREACHABLE` rests on for the forwarder's short strings and balance."""
    domain = world.forwarder.functions.eip712Domain().call()
    assert (domain[1], domain[2]) == ("ProvenanceForwarder", "1")
    assert int(world.chain.w3.eth.get_balance(world.forwarder.address)) == 0
