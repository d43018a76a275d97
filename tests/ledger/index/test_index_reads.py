"""The index's read caches stay exact: lineage walk equals the SQL reference, cached batches and participants
change when events change them, a reorg drops them, and old events keep their block times."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from eth_account.signers.local import LocalAccount

from ledger.client import Ledger
from ledger.domain.types import FlagKind, Gln, Gtin, InputUse, NewBatch, ParticipantProfile, Role, Site
from tests.conftest import ChainUnderTest, account

GLN = Gln("4000001000005")
GTIN = Gtin("04012345000009")
NOW = datetime(2025, 6, 1, tzinfo=UTC)


def make_factory(ledger: Ledger, label: str = "reads factory") -> LocalAccount:
    factory = account(label)
    ledger.register_participant(
        factory.address, ParticipantProfile("Reads Mill", "DE", (Site(GLN, "DE-BE"),)), [Role.FACTORY]
    )
    return factory


def new_batch(lot: str, inputs: tuple[InputUse, ...] = (), quantity: str = "100") -> NewBatch:
    return NewBatch(GTIN, lot, "520100", Decimal(quantity), "KGM", GLN, NOW, inputs=inputs)


def test_the_lineage_walk_equals_the_recursive_sql(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    raw, _ = ledger.record_batches(factory, [new_batch(f"RAW-{i}") for i in range(4)])
    mid, _ = ledger.record_batches(
        factory,
        [
            new_batch("MID-0", (InputUse(raw[0], Decimal(1)), InputUse(raw[1], Decimal(2)))),
            new_batch("MID-1", (InputUse(raw[1], Decimal(3)), InputUse(raw[2], Decimal(4)))),
            new_batch("MID-2", (InputUse(raw[3], Decimal(5)),)),
        ],
    )
    (top,), _ = ledger.record_batches(
        factory,
        [new_batch("TOP", (InputUse(mid[0], Decimal(1)), InputUse(mid[1], Decimal(1)), InputUse(raw[3], Decimal(1))))],
    )
    ledger.sync()
    for depth in (1, 2, 3, 64):
        assert ledger.store.upstream(top, depth) == ledger.store.upstream_sql(top, depth)
    trace = ledger.trace(top)
    assert {n.batch.id: n.depth for n in trace.nodes} == {
        top: 0,
        mid[0]: 1,
        mid[1]: 1,
        raw[3]: 1,
        raw[0]: 2,
        raw[1]: 2,
        raw[2]: 2,
    }
    assert len(trace.edges) == 7
    assert ledger.trace(top, max_depth=1).truncated
    (later,), _ = ledger.record_batches(factory, [new_batch("LATER", (InputUse(top, Decimal(1)),))])
    assert ledger.store.upstream(later, 64) == ledger.store.upstream_sql(later, 64)
    assert len(ledger.trace(later).nodes) == 8


def test_cached_batches_follow_consumption_custody_and_flags(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    buyer = account("reads buyer")
    ledger.register_participant(buyer.address, ParticipantProfile("Buyer AB", "SE"), [])
    (raw,), _ = ledger.record_batches(factory, [new_batch("RAW")])
    assert ledger.batch(raw).remaining == Decimal(100)
    before = ledger.trace(raw).nodes[0]
    ledger.record_batches(factory, [new_batch("USE", (InputUse(raw, Decimal(40)),))])
    assert ledger.batch(raw).remaining == Decimal(60)
    ledger.transfer_custody(factory, raw, buyer.address)
    assert ledger.batch(raw).holder == buyer.address
    ledger.flag_batch(factory, raw, FlagKind.RECALL, "contaminated")
    after = ledger.trace(raw).nodes[0]
    assert after.batch.flags and after.batch.holder == buyer.address and after.batch.remaining == Decimal(60)
    assert before.batch.remaining == Decimal(100)  # objects handed out earlier are never mutated


def test_cached_participants_follow_role_and_status_changes(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    assert Role.FACTORY in ledger.participant(factory.address).roles
    ledger.revoke_role(factory.address, Role.FACTORY)
    assert Role.FACTORY not in ledger.participant(factory.address).roles
    ledger.set_suspended(factory.address, True, "audit")
    assert ledger.participant(factory.address).suspended


def test_a_reorg_drops_cached_reads(anvil_chain: ChainUnderTest) -> None:
    chain = anvil_chain.chain
    with chain.isolated():
        ledger = anvil_chain.ledger()
        factory = make_factory(ledger)
        (raw,), _ = ledger.record_batches(factory, [new_batch("RAW")])
        assert ledger.batch(raw).remaining == Decimal(100)
        fork = chain.snapshot()
        (used,), _ = ledger.record_batches(factory, [new_batch("USE", (InputUse(raw, Decimal(30)),))])
        assert ledger.batch(raw).remaining == Decimal(70)
        assert len(ledger.trace(used).nodes) == 2
        chain.revert_to(fork)
        ledger.record_batches(factory, [new_batch("OTHER", (InputUse(raw, Decimal(5)),))])
        assert ledger.batch(raw).remaining == Decimal(95)
        assert ledger.store.batch(used) is None
        assert ledger.store.upstream(used, 64) == []


def test_old_events_keep_their_block_time(anvil_chain: ChainUnderTest) -> None:
    chain = anvil_chain.chain
    with chain.isolated():
        ledger = anvil_chain.ledger()
        factory = make_factory(ledger)
        buyer = account("reads buyer")
        ledger.register_participant(buyer.address, ParticipantProfile("Buyer AB", "SE"), [])
        (raw,), _ = ledger.record_batches(factory, [new_batch("RAW")])
        ledger.transfer_custody(factory, raw, buyer.address)
        ledger.sync()
        chain.w3.provider.make_request("anvil_mine", [hex(700)])  # type: ignore[arg-type]
        ledger.sync()
        batch = ledger.batch(raw)
        assert batch.recorded.block_time.year > 2000
        assert batch.custody[0].tx.block_time.year > 2000
        assert ledger.participant(buyer.address).registered.block_time.year > 2000


def test_reads_inside_a_pinned_block_share_one_sync(ledger: Ledger) -> None:
    factory = make_factory(ledger)
    (first,), _ = ledger.record_batches(factory, [new_batch("FIRST")])
    calls = []
    original = ledger.indexer._latest

    def counting() -> tuple[int, str]:
        calls.append(1)
        return original()

    ledger.indexer._latest = counting  # type: ignore[method-assign]
    with ledger.indexer.pinned():
        assert ledger.batch(first).lot == "FIRST"
        ledger.participant(factory.address)
        ledger.trace(first)
    assert len(calls) == 1
    (second,), _ = ledger.record_batches(factory, [new_batch("SECOND")])
    assert ledger.batch(second).lot == "SECOND"  # outside the block every read syncs again
    assert len(calls) == 3  # the write checked the chain first (it refuses on a chain without the deployment)


def test_the_index_knows_the_time_of_its_checkpoint_block(ledger: Ledger) -> None:
    make_factory(ledger)
    status = ledger.sync()
    block = ledger.chain.w3.eth.get_block(status.indexed_block)
    assert ledger.store.block_timestamp(status.indexed_block) == block["timestamp"]
