"""Recording batches, lineage, custody, flags and lookups, on the embedded chain and on anvil."""

from decimal import Decimal

from ledger.client import Ledger
from ledger.domain.types import DocumentKind, FlagKind, Role
from tests.ledger.builders import GTIN, batch, register


def test_recorded_batch_reads_back_with_producer_documents_and_transaction(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    batch_id, result = ledger.record_batch(gin, batch("LOT-A", 1, emissions="12.5"))

    found = ledger.batch(batch_id)
    assert found.producer == gin.address
    assert found.holder == gin.address
    assert (found.gtin, found.lot, found.unit) == (GTIN, "LOT-A", "KGM")
    assert found.quantity == found.remaining == Decimal(1000)
    assert found.documents[0].kind is DocumentKind.CERTIFICATE
    assert found.process_emissions_kg == Decimal("12.5")
    assert found.recorded.tx_hash == result.tx_hash
    assert found.recorded.block_number == result.block_number


def test_batch_id_is_derived_from_producer_gtin_and_lot(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    batch_id, _ = ledger.record_batch(gin, batch("LOT-A", 1))
    assert batch_id == ledger.batch_id_of(gin.address, GTIN, "LOT-A")
    on_chain = ledger.contract.functions.batchIdOf(gin.address, int(GTIN), b"LOT-A".ljust(32, b"\0")).call()
    assert "0x" + bytes(on_chain).hex() == batch_id


def test_buyer_finds_a_batch_by_gtin_and_lot_from_its_label(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    batch_id, _ = ledger.record_batch(gin, batch("LOT-A", 1))
    assert ledger.find_batch("9506000134352", "LOT-A").id == batch_id  # GTIN-13 on the label


def test_same_lot_at_two_producers_are_two_batches(ledger: Ledger) -> None:
    one = register(ledger, "one", site=1)
    two = register(ledger, "two", site=2)
    first, _ = ledger.record_batch(one, batch("LOT-A", 1))
    second, _ = ledger.record_batch(two, batch("LOT-A", 2))
    assert first != second
    assert ledger.find_batch(GTIN, "LOT-A", producer=two.address).id == second


def test_consuming_inputs_draws_down_what_they_have_left(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    mill = register(ledger, "mill", site=2)
    lint, _ = ledger.record_batch(gin, batch("LINT-1", 1, quantity="1000"))
    ledger.transfer_custody(gin, lint, mill.address)
    yarn, _ = ledger.record_batch(mill, batch("YARN-1", 2, quantity="900", inputs=((lint, "600.5"),)))

    assert ledger.batch(lint).remaining == Decimal("399.5")
    assert ledger.batch(yarn).inputs[0].batch_id == lint
    on_chain = ledger.contract.functions.batch(bytes.fromhex(lint[2:])).call()
    assert on_chain[2] == 399_500  # thousandths


def test_custody_chain_stays_readable_after_several_transfers(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    trader = register(ledger, "trader", site=None, roles=())
    mill = register(ledger, "mill", site=2)
    lint, _ = ledger.record_batch(gin, batch("LINT-1", 1))
    ledger.transfer_custody(gin, lint, trader.address)
    ledger.transfer_custody(trader, lint, mill.address)

    found = ledger.batch(lint)
    assert [(t.from_address, t.to_address) for t in found.custody] == [
        (gin.address, trader.address),
        (trader.address, mill.address),
    ]
    assert found.holder == mill.address


def test_producer_flags_a_batch_and_a_release_lifts_the_hold(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    lint, _ = ledger.record_batch(gin, batch("LINT-1", 1))
    ledger.flag_batch(gin, lint, FlagKind.QUALITY_HOLD, "moisture above 8.5%")
    assert [f.kind for f in ledger.batch(lint).active_flags] == [FlagKind.QUALITY_HOLD]
    ledger.flag_batch(gin, lint, FlagKind.RELEASE, "re-tested within spec")
    found = ledger.batch(lint)
    assert found.active_flags == ()
    assert [f.reason for f in found.flags] == ["moisture above 8.5%", "re-tested within spec"]


def test_trace_walks_lineage_to_raw_materials_across_four_tiers(ledger: Ledger) -> None:
    tiers = [register(ledger, name, site=n) for n, name in enumerate(["gin", "mill", "weaver", "garment"], 1)]
    previous = None
    for n, who in enumerate(tiers, 1):
        inputs = ((previous, "100"),) if previous else ()
        batch_id, _ = ledger.record_batch(who, batch(f"T{n}", n, quantity="500", inputs=inputs, emissions="10"))
        if n < len(tiers):
            ledger.transfer_custody(who, batch_id, tiers[n].address)
        previous = batch_id

    trace = ledger.trace(previous)
    assert trace.depth == 3
    assert [n.producer.profile.legal_name for n in sorted(trace.nodes, key=lambda n: n.depth)] == [
        "Garment Ltd",
        "Weaver Ltd",
        "Mill Ltd",
        "Gin Ltd",
    ]
    assert all(n.facility_subdivision == "CN-GD" for n in trace.nodes)
    assert len(trace.edges) == 3
    assert trace.as_of_block >= trace.nodes[0].batch.recorded.block_number
    assert not trace.truncated
    assert ledger.trace(previous, max_depth=2).truncated


def test_participant_profile_roles_and_sites_read_back(ledger: Ledger) -> None:
    auditor = register(ledger, "auditor", site=None, roles=(Role.AUDITOR,), country="HK")
    found = ledger.participant(auditor.address)
    assert found.roles == frozenset({Role.AUDITOR})
    assert found.profile.country == "HK"
    assert not found.suspended
