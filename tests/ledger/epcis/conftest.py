"""EPCIS fixtures: a ledger with two factories and a buyer (sites and party GLNs registered), and helpers that build
documents and capture them the way a client and the service do."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy
from ledger.client import Ledger
from ledger.domain.types import Gln, Gtin, NewBatch, ParticipantProfile, Role, Site
from ledger.domain.validation import gs1_check_digit
from ledger.epcis import capture
from ledger.epcis.keys import location_uri, party_uri
from ledger.epcis.model import CaptureJob, CapturePlan
from ledger.epcis.service import EpcisService
from tests.conftest import ChainUnderTest, account

EXAMPLES = Path("/work/shared/epcis/examples")
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ledger": "urn:provenance-ledger:epcis:"}]


def gln(body: str) -> Gln:
    return Gln(body + str(gs1_check_digit(body)))


def gtin(body: str) -> Gtin:
    return Gtin(body + str(gs1_check_digit(body)))


COTTON = gtin("0401234512345")  # 04012345123456: urn:epc:class:lgtin:4012345.012345.*
YARN = gtin("0401234554321")
CLOTH = gtin("0401234567890")


def lgtin(code: str, lot: str) -> str:
    """The LGTIN URN of a GTIN-14 whose company prefix is 7 digits (the fixtures' 4012345)."""
    return f"urn:epc:class:lgtin:{code[1:8]}.{code[0]}{code[8:13]}.{lot}"


def when(days_ago: float = 2.0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).isoformat(timespec="milliseconds")


def q(code: str, lot: str, quantity: float | int | str, uom: str | None = "KGM") -> dict[str, Any]:
    element: dict[str, Any] = {
        "epcClass": lgtin(code, lot),
        "quantity": float(quantity) if isinstance(quantity, str) else quantity,
    }
    if uom is not None:
        element["uom"] = uom
    return element


def document(*events: dict[str, Any], context: Any = None) -> str:
    return json.dumps(
        {
            "@context": CONTEXT if context is None else context,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": when(0),
            "epcisBody": {"eventList": list(events)},
        }
    )


@dataclass
class Party:
    account: LocalAccount
    site: Gln | None
    party: Gln

    @property
    def address(self) -> str:
        return self.account.address


@dataclass
class World:
    ledger: Ledger
    service: EpcisService
    factory: Party
    other: Party
    buyer: Party

    def commission(
        self, *items: dict[str, Any], at: Party | None = None, hs: str = "520100", days_ago: float = 3.0, **extra: Any
    ) -> dict[str, Any]:
        site = (at or self.factory).site
        return {
            "type": "ObjectEvent",
            "eventTime": when(days_ago),
            "eventTimeZoneOffset": "+00:00",
            "action": "ADD",
            "bizStep": "commissioning",
            "bizLocation": {"id": location_uri(site or "")},
            "quantityList": list(items),
            "ilmd": {"ledger:hsCode": hs},
            **extra,
        }

    def transform(
        self,
        inputs: list[dict[str, Any]],
        outputs: list[dict[str, Any]],
        *,
        hs: str = "520512",
        days_ago: float = 2.0,
        at: Party | None = None,
        **extra: Any,
    ) -> dict[str, Any]:
        site = (at or self.factory).site
        return {
            "type": "TransformationEvent",
            "eventTime": when(days_ago),
            "eventTimeZoneOffset": "+00:00",
            "bizStep": "commissioning",
            "bizLocation": {"id": location_uri(site or "")},
            "inputQuantityList": inputs,
            "outputQuantityList": outputs,
            "ilmd": {"ledger:hsCode": hs},
            **extra,
        }

    def ship(
        self,
        items: list[dict[str, Any]],
        to: Party,
        *,
        source: Party | None = None,
        step: str = "shipping",
        days_ago: float = 1.0,
        kind: str = "ObjectEvent",
    ) -> dict[str, Any]:
        event = {
            "type": kind,
            "eventTime": when(days_ago),
            "eventTimeZoneOffset": "+00:00",
            "action": "OBSERVE" if kind == "ObjectEvent" else "ADD",
            "bizStep": step,
            "quantityList": items,
            "sourceList": [{"type": "owning_party", "source": party_uri((source or self.factory).party)}],
            "destinationList": [{"type": "owning_party", "destination": party_uri(to.party)}],
        }
        if kind == "TransactionEvent":
            event["bizTransactionList"] = [{"type": "po", "bizTransaction": "urn:example:po:1"}]
        return event

    def plan(self, text: str, who: Party | None = None) -> CapturePlan:
        capturer = (who or self.factory).address
        return capture.prepare(text, capturer, self.service.facts(text, capturer))[1]

    def submission(self, text: str, who: Party | None = None) -> capture.CaptureSubmission:
        signer = (who or self.factory).account
        facts = self.service.facts(text, signer.address)
        planned = capture.prepare(text, signer.address, facts)[1]
        return capture.sign(planned, text, signer, facts, self.ledger.domain, self.ledger.deployment.ledger)

    def capture(self, text: str, who: Party | None = None) -> CaptureJob:
        """What `ledger epcis capture` does, in process: facts, mapping, signatures, the service's job."""
        return self.service.capture_now(self.submission(text, who))

    def record(self, code: str, lot: str, quantity: str, unit: str = "KGM", who: Party | None = None) -> str:
        """A batch recorded natively."""
        owner = who or self.factory
        assert owner.site is not None
        batch_id, _ = self.ledger.record_batch(
            owner.account,
            NewBatch(
                Gtin(code), lot, "520100", Decimal(quantity), unit, owner.site, datetime.now(UTC) - timedelta(days=5)
            ),
        )
        return str(batch_id)


def register(
    ledger: Ledger, label: str, country: str, subdivision: str, site: str | None, party: str, role: Role
) -> Party:
    signer = account(f"epcis {label}")
    sites = (Site(gln(site), subdivision),) if site else ()
    ledger.register_participant(
        signer.address, ParticipantProfile(f"{label} Ltd", country, sites, party_gln=gln(party)), [role]
    )
    return Party(signer, gln(site) if site else None, gln(party))


def register_world(ledger: Ledger) -> tuple[Party, Party, Party]:
    factory = register(ledger, "factory", "DE", "DE-BY", "401234500001", "401234500002", Role.FACTORY)
    other = register(ledger, "other", "DE", "DE-BE", "401234500003", "401234500004", Role.FACTORY)
    buyer = register(ledger, "buyer", "SE", "SE-AB", None, "731234500001", Role.BUYER)
    return factory, other, buyer


@pytest.fixture(scope="session")
def world_chain() -> tuple[ChainUnderTest, tuple[Party, Party, Party]]:
    """An embedded chain with two factories and a buyer registered once; each test runs in a snapshot of it."""
    chain = Chain.embedded_chain()
    under_test = ChainUnderTest(chain, deploy(chain))
    return under_test, register_world(under_test.ledger())


@pytest.fixture
def world(world_chain: tuple[ChainUnderTest, tuple[Party, Party, Party]]) -> Iterator[World]:
    """The participants' chain, an empty event store; whatever a test writes is rolled back."""
    under_test, (factory, other, buyer) = world_chain
    with under_test.chain.isolated():
        ledger = under_test.ledger()
        made = World(ledger, EpcisService(ledger, worker=False), factory, other, buyer)
        yield made
        made.service.store.close()
        ledger.close()


def statuses(job: CaptureJob) -> list[str]:
    return [r.status.value for r in job.results]
