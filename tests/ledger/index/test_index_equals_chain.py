"""What the index answers equals what the chain answers, on the demo supply chain recorded on anvil; and two
instances, each with its own index, serving one node answer the same."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.codec import from_milli
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld, seed_demo
from ledger.index import IndexStore
from tests.conftest import ChainUnderTest

pytestmark = pytest.mark.anvil


@pytest.fixture(scope="module")
def anvil_demo(anvil_chain: ChainUnderTest) -> Iterator[tuple[ChainUnderTest, DemoWorld]]:
    """The demo recorded once on the session's anvil node, rolled back after this module."""
    snapshot = anvil_chain.chain.snapshot()
    seeding = anvil_chain.ledger()
    world = seed_demo(seeding)
    seeding.close()
    yield anvil_chain, world
    anvil_chain.chain.revert_to(snapshot)


def test_every_demo_batch_in_the_index_matches_the_chain(anvil_demo: tuple[ChainUnderTest, DemoWorld]) -> None:
    under_test, world = anvil_demo
    ledger = under_test.ledger()
    ledger.sync()
    assert ledger.store.stats()["batches"] == len(world.batches)
    for key, batch_id in world.batches.items():
        indexed = ledger.batch(batch_id)
        producer, holder, remaining = ledger.contract.functions.batch(batch_id).call()
        assert (indexed.producer, indexed.holder, indexed.remaining) == (producer, holder, from_milli(remaining)), key


def test_every_demo_disclosure_version_matches_the_chain(anvil_demo: tuple[ChainUnderTest, DemoWorld]) -> None:
    under_test, world = anvil_demo
    ledger = under_test.ledger()
    for key, disclosure_id in world.disclosures.items():
        indexed = ledger.disclosure(disclosure_id)
        participant, versions = ledger.contract.functions.disclosure(disclosure_id).call()
        assert (indexed.participant, len(indexed.versions)) == (participant, versions), key
        for version in indexed.versions:
            on_chain = ledger.contract.functions.disclosureContentHash(disclosure_id, version.version).call()
            assert version.content_hash == "0x" + bytes(on_chain).hex(), (key, version.version)
        for attestation in indexed.attestations:
            attested = ledger.contract.functions.isAttested(
                disclosure_id, attestation.version, attestation.auditor
            ).call()
            assert attested == (attestation.revoked is None), key


def test_every_demo_participant_matches_the_chain(anvil_demo: tuple[ChainUnderTest, DemoWorld]) -> None:
    under_test, world = anvil_demo
    ledger = under_test.ledger()
    for key, demo in world.participants.items():
        indexed = ledger.participant(demo.account.address)
        assert indexed.profile.legal_name == demo.profile.legal_name, key
        assert set(indexed.roles) >= set(demo.roles), key


def test_two_instances_with_their_own_index_answer_the_same(
    anvil_demo: tuple[ChainUnderTest, DemoWorld], tmp_path: Path
) -> None:
    under_test, world = anvil_demo
    first = Ledger(under_test.chain, under_test.deployment, IndexStore(tmp_path / "one" / "index.sqlite"))
    second = Ledger(
        under_test.chain, under_test.deployment, IndexStore(tmp_path / "two" / "index.sqlite"), log_window=3
    )
    for batch_id in (world.passing_batch, world.flagged_batch):
        assert first.trace(batch_id) == second.trace(batch_id)
        assert first.batch(batch_id) == second.batch(batch_id)
    assert first.disclosures() == second.disclosures()
    assert first.participants() == second.participants()
    assert first.status().indexed_block == second.status().indexed_block
