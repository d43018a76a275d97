"""A write the relayer answered survives the node losing its latest blocks: anvil saves its state file once a second,
so a `kill -9` loses the last second of blocks. The state file saved before the write, put back after a `kill -9`, is
that situation made deterministic: the node comes back without the write, and the relayer sends it again (at start,
or in its periodic reconcile while running), the outbox entry mined again in a new block."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.chain.node import AnvilNode, free_port, start_anvil
from ledger.client import Ledger
from ledger.relay.outbox import MINED, Outbox
from ledger.relay.relayer import RelayPolicy
from ledger.writes import batches
from tests.anvil_state import saved_state
from tests.ledger.builders import batch, register

pytestmark = pytest.mark.anvil


class Workspace:
    """A node on a state file, on one port, that can be killed and started again."""

    def __init__(self, tmp_path: Path) -> None:
        self.state_file, self.port = tmp_path / "node" / "state.json", free_port()
        self.log = tmp_path / "anvil.log"
        self.node: AnvilNode = start_anvil(self.port, self.state_file, log_file=self.log)

    def kill_and_restore(self, saved: bytes) -> None:
        """`kill -9` the node, put back the state it had saved before (what a kill within the second loses), start
        it again."""
        self.node.stop(kill=True)
        self.state_file.write_bytes(saved)
        self.node = start_anvil(self.port, self.state_file, log_file=self.log)


@pytest.fixture
def workspace(tmp_path: Path) -> Iterator[Workspace]:
    place = Workspace(tmp_path)
    yield place
    place.node.stop()


@pytest.mark.parametrize("restart", [True, False], ids=["service-restarted", "service-running"])
def test_a_write_lost_with_the_nodes_last_blocks_is_sent_again_and_mined(
    workspace: Workspace, tmp_path: Path, restart: bool
) -> None:
    home, outbox_file = tmp_path / "home", tmp_path / "outbox.sqlite"
    ledger = Ledger.connect(workspace.node.url, home)
    factory = register(ledger, "lost-block factory", 1)
    relayer = ledger.use_relayer(Outbox(outbox_file), RelayPolicy())
    before = saved_state(workspace.state_file, ledger.chain.head)
    signed = ledger.sign(factory, batches.record_batch(batch("LOST-1", 1)))
    first = relayer.submit(signed, key="lost-1")

    workspace.kill_and_restore(before)
    assert ledger.chain.receipt(first.tx.tx_hash) is None  # the node lost the write
    entry = relayer.outbox.by_key(factory.address, "lost-1")
    assert entry is not None and entry.status == MINED  # and the outbox does not know it yet
    if restart:
        relayer.outbox.close()
        ledger.close()
        ledger = Ledger.connect(workspace.node.url, home)
        for _ in range(3):  # blocks of others' writes now stand where the lost one stood
            ledger.chain.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        relayer = ledger.use_relayer(Outbox(outbox_file), RelayPolicy())  # reconciles on start
    else:
        relayer.reconcile()  # the service's watch, every API_RELAYER_WATCH_SECONDS

    again = relayer.outbox.by_key(factory.address, "lost-1")
    assert again is not None and again.status == MINED
    receipt = ledger.chain.receipt(again.tx_hash)  # type: ignore[arg-type]
    assert receipt is not None  # on chain again (in a block that may even be the lost one rebuilt, when in its second)
    assert again.block_number == receipt["blockNumber"] and again.tx_hash == first.tx.tx_hash  # the same raw tx
    assert ledger.batch(first.created[0]).lot == "LOST-1"  # the index reads it again
    retry = relayer.submit(signed, key="lost-1")  # an idempotent retry answers from the new receipt
    assert retry.replayed and retry.tx.block_number == again.block_number
    assert relayer.reconcile() == 0
    ledger.close()


def test_a_lost_write_whose_relayer_nonce_no_longer_fits_is_signed_again(workspace: Workspace, tmp_path: Path) -> None:
    """A transaction of the relayer's key that is not in the outbox (an admin script's) was lost with the write: the
    write's raw transaction would wait for that nonce in the node's queue forever, so it is signed again."""
    ledger = Ledger.connect(workspace.node.url, tmp_path / "home")
    factory = register(ledger, "gap factory", 1)
    relayer = ledger.use_relayer(Outbox(tmp_path / "outbox.sqlite"), RelayPolicy())
    before = saved_state(workspace.state_file, ledger.chain.head)
    ledger.chain.send({"to": ledger.chain.operator.address}, gas=21_000)  # the admin script's transaction
    first = relayer.submit(ledger.sign(factory, batches.record_batch(batch("GAP-1", 1))), key="gap-1")

    workspace.kill_and_restore(before)
    relayer.reconcile()

    again = relayer.outbox.by_key(factory.address, "gap-1")
    assert again is not None and again.status == MINED
    assert again.tx_hash != first.tx.tx_hash and first.tx.tx_hash in again.earlier_hashes
    assert ledger.batch(first.created[0]).lot == "GAP-1"
    ledger.close()
