"""What the relayer keeps per signer, on a real anvil node: a turn (lock) only for a signature that is the signer's,
forgotten once no request waits for it; a place in the signer's request rate only for a request it relays (a
request the dry run refuses costs no gas and takes no place)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError, RelayBudgetError, SignatureInvalidError
from ledger.domain.types import FlagKind
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import RelayPolicy
from ledger.writes import batches
from tests.conftest import ChainUnderTest, account
from tests.ledger.builders import batch, register

pytestmark = pytest.mark.anvil


@pytest.fixture
def anvil_ledger(anvil_chain: ChainUnderTest) -> Iterator[Ledger]:
    with anvil_chain.chain.isolated():
        instance = anvil_chain.ledger()
        yield instance
        instance.close()


def test_junk_senders_leave_no_lock_behind(anvil_ledger: Ledger) -> None:
    ledger = anvil_ledger
    relayer = ledger.use_relayer(Outbox(":memory:"), RelayPolicy())
    factory = register(ledger, "lock factory", 1)
    signed = ledger.sign(factory, batches.record_batch(batch("LOCKS-1", 1)))
    junk = [
        replace(signed, request=replace(signed.request, from_address=account(f"junk {n}").address)) for n in range(300)
    ]  # each names another `from`; the signature is the factory's

    def send(request: object) -> str:
        try:
            relayer.submit(request)  # type: ignore[arg-type]
        except SignatureInvalidError as exc:
            return str(exc)
        return "relayed"

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(send, junk))
    assert all(a.startswith("signature is by") for a in answers), answers[:3]
    assert len(relayer._signer_locks) == 0
    assert relayer.submit(signed).tx.block_number > 0  # the signer's own request still goes through
    assert len(relayer._signer_locks) == 0  # and its turn is forgotten once it is answered


def test_a_request_refused_in_the_dry_run_takes_no_place_in_the_rate(anvil_ledger: Ledger) -> None:
    ledger = anvil_ledger
    relayer = ledger.use_relayer(Outbox(":memory:"), RelayPolicy(requests_per_minute=2))
    factory = register(ledger, "rate factory", 2)
    unknown = "0x" + "ab" * 32
    for _ in range(3):  # the contract refuses each (no such batch): nothing is sent, no gas spent
        with pytest.raises(ContractRevertError):
            relayer.submit(ledger.sign(factory, batches.flag_batch(unknown, FlagKind.QUALITY_HOLD, "none")))
    for lot in ("RATE-1", "RATE-2"):  # the signer's two requests of this minute are still its own
        assert relayer.submit(ledger.sign(factory, batches.record_batch(batch(lot, 2)))).tx.block_number > 0
    with pytest.raises(RelayBudgetError) as refused:
        relayer.submit(ledger.sign(factory, batches.record_batch(batch("RATE-3", 2))))
    assert refused.value.code == "rate_limited"
