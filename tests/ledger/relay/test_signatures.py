"""Signed submissions: the relayer can neither forge nor replay; expired and wrong-key signatures are refused."""

from dataclasses import replace

import pytest

from ledger.chain.signing import sign_request
from ledger.client import Ledger
from ledger.domain.errors import SignatureExpiredError, SignatureInvalidError, SignatureReplayError
from ledger.relay.outbox import Outbox
from ledger.relay.relayer import RelayPolicy
from tests.conftest import account
from tests.ledger.builders import batch, register
from tests.ledger.test_bad_input import unchanged


def record_call(ledger: Ledger, lot: str, site: int):
    from ledger.chain.codec import batch_record

    return ledger.contract.functions.recordBatch(batch_record(batch(lot, site)))


def test_a_participant_writes_without_holding_any_ether(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    before = ledger.chain.w3.eth.get_balance(ledger.chain.operator.address)
    ledger.relay(ledger.sign(gin, record_call(ledger, "L-1", 1)))
    assert ledger.find_batch("09506000134352", "L-1").producer == gin.address
    assert ledger.chain.w3.eth.get_balance(ledger.chain.operator.address) < before  # the relayer paid


def test_a_replayed_signature_is_never_sent_again(ledger: Ledger) -> None:
    """Relayed again, a signed request gets its first answer and nothing is sent; a relayer that never saw it (another
    instance, a lost outbox) refuses it as a replay."""
    gin = register(ledger, "gin", site=1)
    signed = ledger.sign(gin, record_call(ledger, "L-1", 1))
    first = ledger.relay(signed)
    stats = ledger.store.stats()
    assert ledger.relay(signed) == first and ledger.store.stats() == stats
    ledger.use_relayer(Outbox(":memory:"), RelayPolicy())
    unchanged(ledger, lambda: ledger.relay(signed), SignatureReplayError)


def test_an_expired_signature_is_refused(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    signed = ledger.sign(gin, record_call(ledger, "L-1", 1), ttl=-60)
    unchanged(ledger, lambda: ledger.relay(signed), SignatureExpiredError)


def test_a_signature_by_the_wrong_key_is_refused(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    signed = ledger.sign(gin, record_call(ledger, "L-1", 1))
    forged = sign_request(account("impostor"), ledger.domain, signed.request)
    unchanged(ledger, lambda: ledger.relay(forged), SignatureInvalidError)


def test_a_relayer_cannot_alter_what_was_signed(ledger: Ledger) -> None:
    gin = register(ledger, "gin", site=1)
    signed = ledger.sign(gin, record_call(ledger, "L-1", 1))
    tampered = replace(
        signed, request=replace(signed.request, data=record_call(ledger, "L-2", 1)._encode_transaction_data())
    )
    unchanged(ledger, lambda: ledger.relay(tampered), SignatureInvalidError)


def test_the_forwarder_itself_refuses_a_bad_signature(ledger: Ledger) -> None:
    """Even bypassing the Python checks, the contract refuses a forged request (decoded forwarder error)."""
    gin = register(ledger, "gin", site=1)
    signed = ledger.sign(gin, record_call(ledger, "L-1", 1))
    forged = sign_request(account("impostor"), ledger.domain, signed.request)
    request = forged.request
    payload = (
        request.from_address,
        request.to,
        0,
        request.gas,
        request.deadline,
        bytes.fromhex(request.data[2:]),
        bytes.fromhex(forged.signature[2:]),
    )
    data = ledger.forwarder.functions.execute(payload)._encode_transaction_data()
    with pytest.raises(SignatureInvalidError) as caught:
        ledger.chain.send({"to": ledger.deployment.forwarder, "data": data})
    assert type(caught.value).__name__ == "ERC2771ForwarderInvalidSigner"
