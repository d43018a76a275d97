"""ESG disclosures are versioned, never overwritten; attestations cover one version and can be revoked."""

from decimal import Decimal

import pytest

from ledger.client import Ledger
from ledger.domain.errors import ContractRevertError
from ledger.domain.types import AssuranceLevel, MetricValue, Opinion, Role
from tests.ledger.builders import doc_hash, register

METRICS = [MetricValue("GHG_SCOPE1", Decimal("1234.5"), "tCO2e"), MetricValue("EMPLOYEES", Decimal(820), "headcount")]


def test_an_amendment_is_a_new_version_and_the_attested_one_stays(ledger: Ledger) -> None:
    mill = register(ledger, "mill", site=1)
    auditor = register(ledger, "auditor", site=None, roles=(Role.AUDITOR,), country="HK")
    disclosure_id, _ = ledger.publish_disclosure(mill, "2025-Q3", "GRI", METRICS, doc_hash("r1"), "https://r/1")
    ledger.attest(auditor, disclosure_id, 1, AssuranceLevel.REASONABLE, Opinion.UNMODIFIED, doc_hash("a1"))
    assert not ledger.disclosure(disclosure_id).amended_since_attestation

    restated = [MetricValue("GHG_SCOPE1", Decimal("1300"), "tCO2e"), METRICS[1]]
    ledger.amend_disclosure(mill, disclosure_id, restated, doc_hash("r2"), "https://r/2", "Scope 1 restated")

    disclosure = ledger.disclosure(disclosure_id)
    assert [v.version for v in disclosure.versions] == [1, 2]
    assert disclosure.versions[0].metrics[0].value == Decimal("1234.5")
    assert disclosure.latest.supersedes == 1
    assert disclosure.latest.reason == "Scope 1 restated"
    assert (disclosure.period, disclosure.framework) == ("2025-Q3", "GRI")
    assert disclosure.attested_version == 1
    assert disclosure.amended_since_attestation
    on_chain = ledger.contract.functions.disclosureContentHash(bytes.fromhex(disclosure_id[2:]), 1).call()
    assert "0x" + bytes(on_chain).hex() == disclosure.versions[0].content_hash


def test_a_revoked_attestation_is_no_longer_active(ledger: Ledger) -> None:
    mill = register(ledger, "mill", site=1)
    auditor = register(ledger, "auditor", site=None, roles=(Role.AUDITOR,), country="HK")
    disclosure_id, _ = ledger.publish_disclosure(mill, "2025", "ESRS", METRICS, doc_hash("r"), "https://r")
    assert ledger.disclosure(disclosure_id).attestations == ()  # each read after a write sees it (built reads cached)
    ledger.attest(auditor, disclosure_id, 1, AssuranceLevel.LIMITED, Opinion.QUALIFIED, doc_hash("a"))
    assert ledger.disclosure(disclosure_id).attestations[0].active
    ledger.revoke_attestation(auditor, disclosure_id, 1, "sampling error found")

    attestation = ledger.disclosure(disclosure_id).attestations[0]
    assert not attestation.active
    assert attestation.revoke_reason == "sampling error found"
    assert not ledger.contract.functions.isAttested(bytes.fromhex(disclosure_id[2:]), 1, auditor.address).call()


def test_publishing_the_same_period_twice_must_be_an_amendment(ledger: Ledger) -> None:
    mill = register(ledger, "mill", site=1)
    ledger.publish_disclosure(mill, "2025", "GRI", METRICS, doc_hash("r"), "https://r")
    with pytest.raises(ContractRevertError) as caught:
        ledger.publish_disclosure(mill, "2025", "GRI", METRICS, doc_hash("r"), "https://r")
    assert caught.value.error_name == "DisclosureAlreadyPublished"


def test_only_the_publisher_amends(ledger: Ledger) -> None:
    mill = register(ledger, "mill", site=1)
    rival = register(ledger, "rival", site=2)
    disclosure_id, _ = ledger.publish_disclosure(mill, "2025", "GRI", METRICS, doc_hash("r"), "https://r")
    with pytest.raises(ContractRevertError) as caught:
        ledger.amend_disclosure(rival, disclosure_id, METRICS, doc_hash("x"), "https://x", "hostile edit")
    assert caught.value.error_name == "DisclosureNotOwner"


def test_each_attestation_shows_the_revocation_that_revoked_it(embedded_ledger: Ledger) -> None:
    ledger = embedded_ledger
    mill = register(ledger, "mill", site=1)
    auditor = register(ledger, "auditor", site=None, roles=(Role.AUDITOR,), country="HK")
    disclosure_id, _ = ledger.publish_disclosure(mill, "2025", "GRI", METRICS, doc_hash("r"), "https://r")
    ledger.attest(auditor, disclosure_id, 1, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc_hash("a1"))
    first = ledger.revoke_attestation(auditor, disclosure_id, 1, "first finding")
    ledger.attest(auditor, disclosure_id, 1, AssuranceLevel.LIMITED, Opinion.UNMODIFIED, doc_hash("a2"))
    second = ledger.revoke_attestation(auditor, disclosure_id, 1, "second finding")

    earlier, later = ledger.disclosure(disclosure_id).attestations
    assert later.revoked is not None and (later.revoked.tx_hash, later.revoke_reason) == (
        second.tx_hash,
        "second finding",
    )
    assert earlier.revoked is not None and (earlier.revoked.tx_hash, earlier.revoke_reason) == (
        first.tx_hash,
        "first finding",
    )
