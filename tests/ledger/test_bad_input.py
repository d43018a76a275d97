"""Bad input is refused with a clear typed error and leaves the ledger's state unchanged."""

from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

import pytest

from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError, LedgerError, ValidationError
from ledger.domain.types import AssuranceLevel, MetricValue, Opinion, Role
from tests.ledger.builders import batch, doc_hash, register


def unchanged(
    ledger: Ledger, action: Callable[[], object], error: type[LedgerError], name: str | None = None
) -> LedgerError:
    """Run `action`, expect `error`, and check the ledger recorded nothing (every event kind counted as before)."""
    ledger.sync()
    stats = ledger.store.stats()
    with pytest.raises(error) as caught:
        action()
    if name is not None:
        assert type(caught.value).__name__ == name
    ledger.sync()
    assert ledger.store.stats() == stats
    return caught.value


@pytest.fixture
def chain_of_two(ledger: Ledger):
    gin = register(ledger, "gin", site=1)
    mill = register(ledger, "mill", site=2)
    lint, _ = ledger.record_batch(gin, batch("LINT-1", 1, quantity="100"))
    ledger.transfer_custody(gin, lint, mill.address)
    return ledger, gin, mill, lint


def test_recording_the_same_lot_twice_is_refused(chain_of_two) -> None:
    ledger, gin, _mill, lint = chain_of_two
    error = unchanged(
        ledger, lambda: ledger.record_batch(gin, batch("LINT-1", 1)), ContractRevertError, "BatchAlreadyRecorded"
    )
    assert error.args_by_name == {"batch_id": lint}


def test_an_unknown_input_is_refused(chain_of_two) -> None:
    ledger, _gin, mill, _lint = chain_of_two
    ghost = "0x" + "ab" * 32
    error = unchanged(
        ledger,
        lambda: ledger.record_batch(mill, batch("Y-1", 2, inputs=((ghost, "1"),))),
        ContractRevertError,
        "BatchInputNotFound",
    )
    assert error.args_by_name["input_id"] == ghost


def test_consuming_more_than_is_left_is_refused_with_requested_and_available(chain_of_two) -> None:
    ledger, _gin, mill, lint = chain_of_two
    ledger.record_batch(mill, batch("Y-1", 2, inputs=((lint, "60"),)))
    error = unchanged(
        ledger,
        lambda: ledger.record_batch(mill, batch("Y-2", 2, inputs=((lint, "40.001"),))),
        ContractRevertError,
        "BatchInsufficientQuantity",
    )
    assert error.args_by_name["input_id"] == lint
    assert (error.args_by_name["requested"], error.args_by_name["available"]) == (40_001, 40_000)


def test_consuming_a_batch_you_do_not_hold_is_refused(chain_of_two) -> None:
    ledger, gin, _mill, lint = chain_of_two
    error = unchanged(
        ledger,
        lambda: ledger.record_batch(gin, batch("Y-9", 1, inputs=((lint, "1"),))),
        ContractRevertError,
        "BatchInputNotHeld",
    )
    assert error.args_by_name["input_id"] == lint


def test_transferring_a_batch_you_do_not_hold_is_refused(chain_of_two) -> None:
    ledger, gin, _mill, lint = chain_of_two
    unchanged(ledger, lambda: ledger.transfer_custody(gin, lint, gin.address), ContractRevertError, "BatchNotHolder")


def test_a_participant_without_the_factory_role_cannot_record(ledger: Ledger) -> None:
    buyer = register(ledger, "buyer", site=3, roles=())
    error = unchanged(
        ledger,
        lambda: ledger.record_batch(buyer, batch("B-1", 3)),
        ContractRevertError,
        "AccessControlUnauthorizedAccount",
    )
    assert error.kind == "forbidden"


def test_an_unregistered_account_cannot_write(ledger: Ledger) -> None:
    from tests.conftest import account

    stranger = account("stranger")
    unchanged(
        ledger,
        lambda: ledger.publish_disclosure(
            stranger, "2025", "GRI", [MetricValue("GHG_SCOPE1", Decimal(1), "tCO2e")], doc_hash("r"), "https://r"
        ),
        ContractRevertError,
        "RegistryParticipantNotFound",
    )


def test_a_suspended_participant_can_write_nothing(chain_of_two) -> None:
    ledger, gin, mill, lint = chain_of_two
    ledger.set_suspended(gin.address, True, "forced-labour allegation under investigation")
    assert ledger.participant(gin.address).suspended
    unchanged(
        ledger,
        lambda: ledger.record_batch(gin, batch("LINT-2", 1)),
        ContractRevertError,
        "RegistryParticipantSuspended",
    )
    unchanged(
        ledger,
        lambda: ledger.transfer_custody(mill, lint, gin.address),
        ContractRevertError,
        "RegistryParticipantSuspended",
    )


def test_recording_at_a_site_that_is_not_yours_is_refused(chain_of_two) -> None:
    ledger, gin, _mill, _lint = chain_of_two
    unchanged(ledger, lambda: ledger.record_batch(gin, batch("LINT-3", 2)), ContractRevertError, "RegistryUnknownSite")


def test_an_auditor_cannot_attest_its_own_organisation(ledger: Ledger) -> None:
    mill = register(ledger, "mill", site=1, organisation="Harbour Group")
    in_house = register(ledger, "in-house auditor", site=None, roles=(Role.AUDITOR,), organisation="Harbour Group")
    disclosure_id, _ = ledger.publish_disclosure(
        mill,
        "2025",
        "GRI",
        [MetricValue("GHG_SCOPE1", Decimal(10), "tCO2e")],
        doc_hash("report"),
        "https://example/report.pdf",
    )
    unchanged(
        ledger,
        lambda: ledger.attest(
            in_house, disclosure_id, 1, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc_hash("assurance")
        ),
        ContractRevertError,
        "DisclosureOwnOrganisation",
    )
    unchanged(
        ledger,
        lambda: ledger.attest(
            mill, disclosure_id, 1, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc_hash("assurance")
        ),
        ContractRevertError,
        "AccessControlUnauthorizedAccount",
    )


@pytest.mark.parametrize("gtin", ["0950600013435", "09506000134353", "95060001343A2", "123"])
def test_a_malformed_gtin_is_refused_before_anything_is_sent(embedded_ledger: Ledger, gtin: str) -> None:
    gin = register(embedded_ledger, "gin", site=1)
    error = unchanged(
        embedded_ledger, lambda: embedded_ledger.record_batch(gin, replace(batch("L", 1), gtin=gtin)), ValidationError
    )
    assert error.field == "gtin"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("unit", "KILO"),
        ("unit", "kg"),
        ("hs_code", "52010"),
        ("lot", "lot with spaces"),
        ("quantity", Decimal("-1")),
        ("quantity", Decimal("NaN")),
        ("quantity", Decimal("0.0001")),
    ],
)
def test_malformed_fields_are_refused_naming_the_field(embedded_ledger: Ledger, field: str, value: object) -> None:
    gin = register(embedded_ledger, "gin", site=1)
    error = unchanged(
        embedded_ledger,
        lambda: embedded_ledger.record_batch(gin, replace(batch("L", 1), **{field: value})),
        ValidationError,
    )
    assert error.field == field
