"""A read may reuse a recent index sync (`read_staleness`): other processes' writes show up at most that late, this
process's own writes at once."""

from collections.abc import Iterator

import pytest

from ledger.client import Ledger
from ledger.domain.errors import NotFoundError
from ledger.index import IndexStore
from tests.conftest import ChainUnderTest
from tests.ledger.builders import GTIN, batch, register


@pytest.fixture
def two_processes(embedded_chain: ChainUnderTest) -> Iterator[tuple[Ledger, Ledger]]:
    with embedded_chain.chain.isolated():
        relaxed = Ledger(embedded_chain.chain, embedded_chain.deployment, IndexStore(), read_staleness=3_600)
        other = embedded_chain.ledger()
        yield relaxed, other
        relaxed.close()
        other.close()


def test_own_writes_are_read_at_once_whatever_the_staleness(two_processes: tuple[Ledger, Ledger]) -> None:
    relaxed, _ = two_processes
    gin = register(relaxed, "gin", site=1)
    relaxed.participants()  # a fresh sync, reusable for an hour
    batch_id, _ = relaxed.record_batch(gin, batch("OWN-1", 1))
    assert relaxed.batch(batch_id).lot == "OWN-1"


def test_another_process_write_waits_for_the_next_sync(two_processes: tuple[Ledger, Ledger]) -> None:
    relaxed, other = two_processes
    gin = register(other, "gin", site=1)
    relaxed.sync()
    relaxed.participants()
    other.record_batch(gin, batch("OTHER-1", 1))
    with pytest.raises(NotFoundError):
        relaxed.find_batch(GTIN, "OTHER-1")  # still within the staleness of the last sync
    relaxed.indexer.invalidate()
    assert relaxed.find_batch(GTIN, "OTHER-1").producer == gin.address
