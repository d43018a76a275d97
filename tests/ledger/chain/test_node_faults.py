"""Node faults answer fast and honestly: a hung node gives up after the node timeout; a node whose chain no longer
holds the deployment (restarted empty) is detected, the index is kept, and nothing is written; a manifest is never
silently replaced by a second contract set."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from ledger.chain.node import AnvilNode, start_anvil
from ledger.client import Ledger
from ledger.domain.errors import ChainMismatchError, LedgerUnavailableError, NotFoundError
from ledger.domain.types import ParticipantProfile, Role
from tests.conftest import account
from tests.ledger.builders import batch, register

pytestmark = pytest.mark.anvil


def test_a_hung_node_costs_one_timeout_then_an_error_that_names_no_url(own_anvil: AnvilNode, tmp_path: Path) -> None:
    ledger = Ledger.connect(own_anvil.url, tmp_path / "home", node_timeout=1.0)
    ledger.sync()
    os.kill(own_anvil.process.pid, signal.SIGSTOP)  # the node accepts connections and never answers
    started = time.monotonic()
    with pytest.raises(LedgerUnavailableError) as caught:
        ledger.sync()
    waited = time.monotonic() - started
    assert "did not answer within 1 s" in str(caught.value) and own_anvil.url not in str(caught.value)
    assert waited < 10  # one timeout, no retries (web3's default retries made this minutes)
    os.kill(own_anvil.process.pid, signal.SIGCONT)
    assert ledger.sync().indexed_block == ledger.chain.head  # and it recovers with the node
    ledger.close()


def test_a_node_restarted_on_an_empty_chain_is_detected_and_the_index_is_kept(
    own_anvil: AnvilNode, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    ledger = Ledger.connect(own_anvil.url, home)
    factory = register(ledger, "before the reset", 1)
    (kept,), _ = ledger.record_batches(factory, [batch("KEPT-1", 1)])
    indexed = ledger.sync().indexed_block
    port = int(own_anvil.url.rsplit(":", 1)[1])
    own_anvil.stop()
    replacement = start_anvil(port)  # same port, same chain id, a new empty chain
    try:
        with pytest.raises(ChainMismatchError) as read:
            ledger.batch(kept)
        assert "genesis" in str(read.value) or "no contract code" in str(read.value)
        assert ledger.store.checkpoint == indexed and ledger.store.batch(kept) is not None  # not emptied
        with pytest.raises(ChainMismatchError):
            ledger.register_participant(
                account("after the reset").address, ParticipantProfile("After The Reset Ltd", "CN"), (Role.FACTORY,)
            )
        with pytest.raises(ChainMismatchError):
            ledger.record_batches(factory, [batch("LOST-1", 1)])
        ledger.close()
        with pytest.raises(ChainMismatchError) as reopened:  # a restart refuses to deploy a second contract set
            Ledger.connect(replacement.url, home)
        assert "--redeploy" in str(reopened.value)
        fresh = Ledger.connect(replacement.url, home, redeploy=True)  # on purpose: a new contract set and index
        assert list((home / "index").glob("*.unreadable-*"))  # the old chain's index is kept aside, not reused
        with pytest.raises(NotFoundError):  # nothing of the old chain is on the new one
            fresh.batch(kept)
        fresh.close()
    finally:
        replacement.stop()
