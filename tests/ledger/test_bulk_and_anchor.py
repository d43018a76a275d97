"""Bulk recording (all or nothing, the offending batch named) and Merkle-anchored records (proven on and off chain)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from typer.testing import CliRunner

from ledger.anchoring import (
    AnchorBundle,
    MerkleTree,
    anchor_batches,
    batch_recording,
    build_bundle,
    claim_anchored,
    hash_pair,
    import_bundle,
    leaf_hash,
    process_proof,
    verify_anchored_batch,
    verify_offchain,
)
from ledger.chain.codec import batch_record
from ledger.chain.revert import error_class
from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError, NotFoundError, ValidationError
from ledger.domain.types import BatchId, Gln, Gtin, InputUse, NewBatch, ParticipantProfile, Role, Site
from ledger.index import IndexStore
from tests.conftest import account
from tests.ledger.builders import gln

GLN = Gln("4000001000005")
GTIN = Gtin("04012345000009")
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def make_factory(ledger: Ledger, label: str = "bulk factory", gln: Gln = GLN) -> LocalAccount:
    factory = account(label)
    ledger.register_participant(
        factory.address, ParticipantProfile("Bulk Mill GmbH", "DE", (Site(gln, "DE-BE"),)), [Role.FACTORY]
    )
    return factory


def new_batch(lot: str, quantity: str = "10", inputs: tuple[InputUse, ...] = (), facility: Gln = GLN) -> NewBatch:
    return NewBatch(
        GTIN, lot, "520100", Decimal(quantity), "KGM", facility, NOW, inputs=inputs, process_emissions_kg=Decimal("1.5")
    )


def is_recorded(ledger: Ledger, batch_id: str) -> bool:
    try:
        ledger.contract.functions.batch(batch_id).call()
    except Exception:  # the view reverts BatchNotFound
        return False
    return True


# -- bulk ---------------------------------------------------------------------------------------------------------


def test_bulk_records_every_batch_in_one_transaction(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    ids, first = ledger.record_batches(factory, [new_batch(f"RAW-{i}") for i in range(3)])
    blend = new_batch("BLEND-1", "5", tuple(InputUse(i, Decimal("2")) for i in ids))
    (blend_id,), _ = ledger.record_batches(factory, [blend])
    assert ids == [ledger.batch_id_of(factory.address, GTIN, f"RAW-{i}") for i in range(3)]
    assert {ledger.batch(i).recorded.tx_hash for i in ids} == {first.tx_hash}
    assert ledger.batch(ids[0]).remaining == Decimal(8)
    assert [u.batch_id for u in ledger.batch(blend_id).inputs] == ids


def test_one_bad_batch_refuses_the_whole_bulk_and_is_named(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    (raw,), _ = ledger.record_batches(factory, [new_batch("RAW-1", "10")])
    batches = [
        new_batch("OK-0"),
        new_batch("OK-1", "1", (InputUse(raw, Decimal("4")),)),
        new_batch("GREEDY-2", "1", (InputUse(raw, Decimal("7")),)),
        new_batch("OK-3"),
    ]
    with pytest.raises(error_class("BatchInsufficientQuantity")) as refused:
        ledger.record_batches(factory, batches)
    assert refused.value.index == 2
    assert refused.value.batch_id == ledger.batch_id_of(factory.address, GTIN, "GREEDY-2")
    assert "batch #2" in str(refused.value)
    assert isinstance(refused.value, ContractRevertError) and refused.value.kind == "conflict"
    assert not any(is_recorded(ledger, ledger.batch_id_of(factory.address, GTIN, b.lot)) for b in batches)
    assert ledger.batch(raw).remaining == Decimal(10)


def test_bulk_errors_are_the_same_as_one_at_a_time(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    ledger.record_batches(factory, [new_batch("RAW-1")])
    with pytest.raises(error_class("BatchAlreadyRecorded")) as again:
        ledger.record_batches(factory, [new_batch("NEW-0"), new_batch("RAW-1")])
    assert again.value.index == 1
    with pytest.raises(error_class("BatchAlreadyRecorded")):
        ledger.record_batch(factory, new_batch("RAW-1"))
    missing = InputUse(BatchId("0x" + keccak(text="nowhere").hex()), Decimal(1))
    with pytest.raises(error_class("BatchInputNotFound")) as unknown_input:
        ledger.record_batches(factory, [new_batch("NEW-0"), new_batch("NEW-1"), new_batch("NEW-2", "1", (missing,))])
    assert unknown_input.value.index == 2


def test_a_bulk_batch_at_a_site_of_someone_else_is_named_by_its_facility(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    make_factory(ledger, "other factory", Gln("4000002000004"))
    with pytest.raises(error_class("RegistryUnknownSite")) as refused:
        ledger.record_batches(factory, [new_batch("A"), new_batch("B", facility=Gln("4000002000004"))])
    assert refused.value.index == 1


def test_a_lot_repeated_within_one_bulk_is_refused_before_sending(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    with pytest.raises(ValidationError) as refused:
        ledger.record_batches(factory, [new_batch("A"), new_batch("B"), new_batch("A")])
    assert refused.value.index == 2


def test_a_participant_can_send_its_own_transaction(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    if not ledger.chain.embedded:
        ledger.chain.send({"to": factory.address, "value": 10**18}, gas=21_000)
    result = ledger.send_direct(factory, ledger.contract.functions.recordBatch(batch_record(new_batch("OWN-1"))))
    assert ledger.batch(ledger.batch_id_of(factory.address, GTIN, "OWN-1")).recorded.tx_hash == result.tx_hash
    with pytest.raises(error_class("BatchAlreadyRecorded")):
        ledger.send_direct(factory, ledger.contract.functions.recordBatch(batch_record(new_batch("OWN-1"))))


# -- Merkle tree --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 7, 8, 9, 33])
def test_every_leaf_of_a_tree_of_any_size_is_proven(size: int) -> None:
    leaves = [keccak(text=str(i)) for i in range(size)]
    tree = MerkleTree(leaves)
    for index, leaf in enumerate(leaves):
        assert process_proof(leaf, tree.proof(index)) == tree.root
    assert process_proof(keccak(text="stranger"), tree.proof(0)) != tree.root


def test_pairs_hash_sorted_as_openzeppelin_does() -> None:
    a, b = keccak(text="a"), keccak(text="b")
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


def test_leaf_is_double_hashed_abi_encoding_of_producer_and_record() -> None:
    from eth_abi import encode

    record = batch_record(new_batch("LEAF-1"))
    producer = account("leaf").address
    inner = keccak(
        encode(
            [
                "address",
                "(uint64,bytes32,uint32,uint64,bytes3,uint64,uint64,bool,uint64,(bytes32,uint64)[],(bytes32,uint8)[])",
            ],
            [producer, record],
        )
    )
    assert leaf_hash(producer, record) == keccak(inner)


# -- anchoring ----------------------------------------------------------------------------------------------------


def test_anchored_records_are_proven_on_chain_and_off(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    batches = [new_batch(f"ANCHOR-{i}", str(i + 1)) for i in range(7)]
    receipt = anchor_batches(ledger, factory, batches, "ipfs://bafy-anchor-demo")
    assert receipt.count == 7
    assert set(receipt.proofs) == {ledger.batch_id_of(factory.address, GTIN, b.lot) for b in batches}
    for batch in batches:
        proof = receipt.proofs[ledger.batch_id_of(factory.address, GTIN, batch.lot)]
        assert verify_offchain(receipt.root, factory.address, batch, proof)
        assert verify_anchored_batch(ledger, receipt.root, factory.address, batch, proof)
    producer, count, _ = ledger.contract.functions.anchor(receipt.root).call()
    assert (producer, count) == (factory.address, 7)


def test_a_tampered_record_or_proof_fails(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    batches = [new_batch(f"ANCHOR-{i}") for i in range(5)]
    receipt = anchor_batches(ledger, factory, batches, "ipfs://x")
    proof = receipt.proofs[ledger.batch_id_of(factory.address, GTIN, "ANCHOR-1")]
    tampered = dataclasses.replace(batches[1], quantity=Decimal("10.001"))
    assert not verify_offchain(receipt.root, factory.address, tampered, proof)
    assert not verify_anchored_batch(ledger, receipt.root, factory.address, tampered, proof)
    other = receipt.proofs[ledger.batch_id_of(factory.address, GTIN, "ANCHOR-2")]
    assert not verify_anchored_batch(ledger, receipt.root, factory.address, batches[1], other)
    assert not verify_anchored_batch(ledger, receipt.root, account("someone").address, batches[1], proof)
    with pytest.raises(error_class("BatchAnchorNotFound")):
        verify_anchored_batch(ledger, "0x" + "ab" * 32, factory.address, batches[1], proof)


def test_the_same_root_cannot_be_anchored_twice(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    anchor_batches(ledger, factory, [new_batch("ONCE-1"), new_batch("ONCE-2")], "ipfs://once")
    with pytest.raises(error_class("BatchAnchorExists")):
        anchor_batches(ledger, factory, [new_batch("ONCE-1"), new_batch("ONCE-2")], "ipfs://twice")


def test_the_index_tells_recorded_from_anchored(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    (recorded,), _ = ledger.record_batches(factory, [new_batch("SINGLE-1")])
    receipt = anchor_batches(ledger, factory, [new_batch("BULK-1"), new_batch("BULK-2")], "ipfs://bulk")
    anchored = ledger.batch_id_of(factory.address, GTIN, "BULK-2")
    assert batch_recording(ledger, recorded).kind == "recorded"
    found = batch_recording(ledger, anchored)
    assert (found.kind, found.root, found.proof) == ("anchored", receipt.root, receipt.proofs[anchored])
    assert found.tx.tx_hash == receipt.tx.tx_hash
    with pytest.raises(NotFoundError):
        batch_recording(ledger, ledger.batch_id_of(factory.address, GTIN, "NEVER"))


def test_another_instance_learns_anchored_records_from_the_bundle(ledger: Ledger) -> None:

    factory = make_factory(ledger)
    receipt = anchor_batches(ledger, factory, [new_batch("B-1"), new_batch("B-2"), new_batch("B-3")], "ipfs://b")
    assert receipt.bundle is not None
    other = Ledger(ledger.chain, ledger.deployment, IndexStore(":memory:"))
    bundle = AnchorBundle.from_json(receipt.bundle.to_json())
    assert bundle == receipt.bundle
    assert import_bundle(other, bundle).proven == 3
    assert batch_recording(other, bundle.records[1].batch_id).kind == "anchored"
    forged = dataclasses.replace(
        bundle,
        records=(
            dataclasses.replace(
                bundle.records[0], batch=dataclasses.replace(bundle.records[0].batch, quantity=Decimal(99))
            ),
        ),
    )
    with pytest.raises(ValidationError):
        import_bundle(other, forged)


def test_a_bundle_refuses_repeated_lots() -> None:
    with pytest.raises(ValidationError) as refused:
        build_bundle(account("x").address, [new_batch("A"), new_batch("A")])
    assert refused.value.index == 1


def test_verify_batch_command_proves_a_record(ledger: Ledger, tmp_path: Path) -> None:
    from ledger.cli import app

    factory = make_factory(ledger)
    receipt = anchor_batches(ledger, factory, [new_batch(f"CLI-{i}") for i in range(4)], "ipfs://cli")
    assert receipt.bundle is not None
    path = tmp_path / "bundle.json"
    receipt.bundle.save(path)
    rpc = [] if ledger.chain.embedded else ["--rpc-url", ledger.chain.w3.provider.endpoint_uri]  # type: ignore[attr-defined]
    runner = CliRunner()
    result = runner.invoke(app, ["verify-batch", str(path), "--batch-lot", "CLI-2", *rpc])
    assert result.exit_code == 0, result.output
    assert "off chain: the proof leads to the root" in result.output
    if rpc:
        assert "on chain" in result.output and "NOT" not in result.output
    body = path.read_text().replace('"quantity": "10"', '"quantity": "11"', 1)
    path.write_text(body)
    tampered = runner.invoke(app, ["verify-batch", str(path), "--batch-lot", "CLI-0", *rpc])
    assert tampered.exit_code == 1, tampered.output
    assert "NOT proven" in tampered.output


# -- anchored records never escape the rules ----------------------------------------------------------------------


def test_an_anchored_record_with_inputs_proves_nothing_until_claimed_and_then_obeys_mass_balance(
    ledger: Ledger,
) -> None:
    factory = make_factory(ledger)
    (cotton,), _ = ledger.record_batches(factory, [new_batch("COTTON-6T", quantity="6000")])
    greedy = new_batch("YARN-GREEDY", inputs=(InputUse(cotton, Decimal(999_999)),))
    honest = new_batch("YARN-HONEST", inputs=(InputUse(cotton, Decimal(4_000)),))
    receipt = anchor_batches(ledger, factory, [greedy, honest, new_batch("RAW-OK")], "ipfs://mixed")
    assert receipt.bundle is not None
    for record in (greedy, honest):
        proof = receipt.proofs[ledger.batch_id_of(factory.address, GTIN, record.lot)]
        assert verify_offchain(receipt.root, factory.address, record, proof)  # the proof itself is fine
        assert not verify_anchored_batch(ledger, receipt.root, factory.address, record, proof)  # but proves nothing
    imported = import_bundle(Ledger(ledger.chain, ledger.deployment, IndexStore(":memory:")), receipt.bundle)
    assert imported.proven == 1 and len(imported.needs_claim) == 2
    with pytest.raises(NotFoundError):
        batch_recording(ledger, ledger.batch_id_of(factory.address, GTIN, "YARN-GREEDY"))
    with pytest.raises(error_class("BatchInsufficientQuantity")):
        claim_anchored(ledger, factory, receipt.bundle, ledger.batch_id_of(factory.address, GTIN, "YARN-GREEDY"))
    claimed, _ = claim_anchored(
        ledger, factory, receipt.bundle, ledger.batch_id_of(factory.address, GTIN, "YARN-HONEST")
    )
    assert ledger.batch(cotton).remaining == Decimal(2000)  # mass balance, enforced once
    recording = batch_recording(ledger, claimed)
    assert (recording.kind, recording.root) == ("recorded", receipt.root)
    with pytest.raises(error_class("BatchAlreadyRecorded")):  # once
        claim_anchored(ledger, factory, receipt.bundle, claimed)


def test_an_anchored_record_contradicting_a_recorded_batch_is_not_proven(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    ledger.record_batches(factory, [new_batch("TWICE-1", quantity="10")])
    contradiction = new_batch("TWICE-1", quantity="500")  # same GTIN and lot, another quantity
    receipt = anchor_batches(ledger, factory, [contradiction, new_batch("RAW-2")], "ipfs://contradiction")
    proof = receipt.proofs[ledger.batch_id_of(factory.address, GTIN, "TWICE-1")]
    assert not verify_anchored_batch(ledger, receipt.root, factory.address, contradiction, proof)
    assert batch_recording(ledger, ledger.batch_id_of(factory.address, GTIN, "TWICE-1")).kind == "recorded"
    assert ledger.batch(ledger.batch_id_of(factory.address, GTIN, "TWICE-1")).quantity == Decimal(10)


def test_only_the_anchors_producer_claims_with_a_proof_that_leads_to_the_root(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    other = make_factory(ledger, "other factory", gln(9))
    receipt = anchor_batches(ledger, factory, [new_batch("MINE-1"), new_batch("MINE-2")], "ipfs://mine")
    assert receipt.bundle is not None
    mine = ledger.batch_id_of(factory.address, GTIN, "MINE-1")
    with pytest.raises(error_class("BatchAnchorProofInvalid")):
        claim_anchored(ledger, other, receipt.bundle, mine)
    forged = dataclasses.replace(
        receipt.bundle,
        records=tuple(dataclasses.replace(r, proof=receipt.bundle.records[1].proof) for r in receipt.bundle.records),
    )
    with pytest.raises(error_class("BatchAnchorProofInvalid")):
        claim_anchored(ledger, factory, forged, mine)
