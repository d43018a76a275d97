"""The relayer's outbox on a real anvil node: a stuck transaction is replaced with a higher fee under the same nonce
and the write is answered once, with the transaction that was mined; a write whose transaction was never broadcast
(a crash between the outbox and the node) is sent at the next reconciliation."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ledger.chain.connection import NONCE_ATTEMPTS, Chain, NonceUnavailableError, SignedTx
from ledger.chain.node import AnvilNode
from ledger.client import Ledger
from ledger.domain.types import RelayedWrite, TxResult
from ledger.relay.outbox import MINED, PENDING, PREPARED, Outbox
from ledger.relay.relayer import RelayPolicy
from ledger.writes import batches
from tests.ledger.builders import batch, register

pytestmark = pytest.mark.anvil


def rpc(ledger: Ledger, method: str, *params: object) -> object:
    return ledger.chain.w3.provider.make_request(method, list(params))["result"]  # type: ignore[arg-type]


def test_a_stuck_transaction_is_replaced_with_a_higher_fee_and_answered_once(
    own_anvil: AnvilNode, tmp_path: Path
) -> None:
    ledger = Ledger.connect(own_anvil.url, tmp_path / "home")
    factory = register(ledger, "stuck factory", 1)
    relayer = ledger.use_relayer(Outbox(tmp_path / "outbox.sqlite"), RelayPolicy(stuck_after_seconds=1.0))
    signed = ledger.sign(factory, batches.record_batch(batch("STUCK-1", 1)))
    rpc(ledger, "evm_setAutomine", False)  # nothing is mined: the transaction stays pending
    answers: list[RelayedWrite] = []
    writer = threading.Thread(target=lambda: answers.append(relayer.submit(signed, key="stuck-1")))
    writer.start()
    deadline = time.monotonic() + 20
    while not relayer.outbox.open_entries() and time.monotonic() < deadline:
        time.sleep(0.05)
    [entry] = relayer.outbox.open_entries()
    time.sleep(1.5)  # stuck: the waiting request (and the service's watch) replaces it
    relayer.reconcile()
    [replaced] = relayer.outbox.open_entries()
    assert replaced.earlier_hashes[0] == entry.tx_hash and replaced.tx_hash not in (None, entry.tx_hash)
    assert replaced.relayer_nonce == entry.relayer_nonce and replaced.max_fee > entry.max_fee
    assert replaced.max_fee <= ledger.chain.market_fees()["maxFeePerGas"] * relayer.policy.max_fee_multiplier
    rpc(ledger, "evm_setAutomine", True)
    rpc(ledger, "evm_mine")
    writer.join(timeout=30)
    [answer] = answers
    done = relayer.outbox.by_key(factory.address, "stuck-1")
    assert done is not None and done.status == MINED
    assert answer.tx == TxResult(done.tx_hash, done.block_number, done.gas_used)  # type: ignore[arg-type]
    assert ledger.batch(answer.created[0]).lot == "STUCK-1"  # recorded once, by whichever transaction was mined
    ledger.close()


def test_a_write_recorded_but_never_broadcast_is_sent_at_reconciliation(own_anvil: AnvilNode, tmp_path: Path) -> None:
    """The crash window between the outbox and the node: the entry holds a raw transaction nobody has seen."""
    ledger = Ledger.connect(own_anvil.url, tmp_path / "home")
    factory = register(ledger, "crash factory", 1)
    outbox = Outbox(tmp_path / "outbox.sqlite")
    relayer = ledger.use_relayer(outbox, RelayPolicy())
    signed = ledger.sign(factory, batches.record_batch(batch("UNSENT-1", 1)))
    broadcast = ledger.chain.broadcast
    ledger.chain.broadcast = lambda raw: (_ for _ in ()).throw(SystemExit("killed"))  # type: ignore[method-assign]
    with pytest.raises(SystemExit):
        relayer.submit(signed, key="unsent-1")
    ledger.chain.broadcast = broadcast  # type: ignore[method-assign]
    [entry] = outbox.open_entries()
    assert entry.status == PREPARED and not ledger.chain.is_known(entry.tx_hash)  # type: ignore[arg-type]
    restarted = ledger.use_relayer(Outbox(tmp_path / "outbox.sqlite"), RelayPolicy())  # reconciles on start
    found = restarted.outbox.by_key(factory.address, "unsent-1")
    assert found is not None and found.status in (PENDING, MINED)
    again = restarted.submit(signed, key="unsent-1")
    assert again.replayed and ledger.batch(again.created[0]).lot == "UNSENT-1"
    ledger.close()


class NonceThief:
    """Another process using the operator's key (an admin script beside the service): each time the relayer signs a
    transaction, it sends one of its own with that nonce first, `times` times."""

    def __init__(self, ledger: Ledger, url: str, times: int) -> None:
        self.other = Chain.connect(url)  # anvil's first account: the same key the ledger's operator uses
        self.left = times
        self.sign = ledger.chain.sign_operator

        def sign_then_steal(*args: Any, **kwargs: Any) -> SignedTx:
            signed = self.sign(*args, **kwargs)
            if self.left > 0:
                self.left -= 1
                theirs = self.other.sign_operator({"to": self.other.operator.address}, gas=21_000, nonce=signed.nonce)
                self.other.broadcast(theirs.raw)
            return signed

        ledger.chain.sign_operator = sign_then_steal  # type: ignore[method-assign]


def test_a_relayer_whose_nonce_another_process_takes_signs_again(own_anvil: AnvilNode, tmp_path: Path) -> None:
    ledger = Ledger.connect(own_anvil.url, tmp_path / "home")
    factory = register(ledger, "contended factory", 1)
    relayer = ledger.use_relayer(Outbox(tmp_path / "outbox.sqlite"), RelayPolicy())
    NonceThief(ledger, own_anvil.url, times=3)
    written = relayer.submit(ledger.sign(factory, batches.record_batch(batch("CONTENDED-1", 1))), key="c-1")
    assert ledger.batch(written.created[0]).lot == "CONTENDED-1"
    ledger.close()


def test_a_write_that_never_got_a_relayer_nonce_frees_the_signers_nonce(own_anvil: AnvilNode, tmp_path: Path) -> None:
    """Every attempt lost its nonce: nothing was broadcast, the answer is 503 (try again), and the signer's next
    request with the same nonce (another body) is relayed, not refused as a conflict."""
    ledger = Ledger.connect(own_anvil.url, tmp_path / "home")
    factory = register(ledger, "starved factory", 1)
    relayer = ledger.use_relayer(Outbox(tmp_path / "outbox.sqlite"), RelayPolicy())
    thief = NonceThief(ledger, own_anvil.url, times=NONCE_ATTEMPTS)
    first = ledger.sign(factory, batches.record_batch(batch("STARVED-1", 1)))
    with pytest.raises(NonceUnavailableError):
        relayer.submit(first, key="s-1")
    assert thief.left == 0 and relayer.outbox.open_entries() == []
    assert ledger.nonce(factory.address) == first.request.nonce  # the signer's nonce is unused
    second = ledger.sign(factory, batches.record_batch(batch("STARVED-2", 1)))
    assert second.request.nonce == first.request.nonce
    written = relayer.submit(second, key="s-2")
    assert ledger.batch(written.created[0]).lot == "STARVED-2"
    ledger.close()
