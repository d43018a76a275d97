"""The EPCIS figure of `scripts/bench.py`: capturing a 1,000-event EPCIS document on anvil, beside recording the same
batches natively.

The document is a factory's: half its events commission a raw lot each, a quarter are transformations consuming two
of those lots into one product, a quarter ship a product to a buyer. Both paths run on one anvil node, each with its
own factory (same GTINs and lots, other sites), and both relay the participant's signed writes through the relayer:

- native: `Ledger.record_batches` in bulks of 100 (raw lots, then products) and one `Ledger.transfer_custody` per
  shipment;
- EPCIS, the whole path: the client validates the document against the schema, asks the service for the facts,
  hashes and maps the events and signs the writes; the service checks the submission, validates, hashes and maps
  again, compares the calldata, relays the writes (the same calls as natively: bulks of records, one transfer per
  shipment), commits the events' Merkle root and stores the events.

Events per second count the document's events over the whole EPCIS path; the target is that it takes at most twice
as long as recording the same batches natively.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_utils import keccak

from ledger.chain.connection import Chain
from ledger.chain.deploy import deploy
from ledger.chain.node import start_anvil
from ledger.client import Ledger
from ledger.domain.types import Gln, Gtin, InputUse, NewBatch, ParticipantProfile, Role, Site
from ledger.domain.validation import gs1_check_digit
from ledger.epcis import capture
from ledger.epcis.document import load
from ledger.epcis.job import run_job
from ledger.epcis.keys import digital_link, location_uri, party_uri
from ledger.epcis.service import EpcisService
from ledger.index import IndexStore

RAW = Gtin("09506000134352")
MADE = Gtin("09506000134376")
BULK = 100
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld", {"ledger": "urn:provenance-ledger:epcis:"}]


def _gln(body: str) -> Gln:
    return Gln(body + str(gs1_check_digit(body)))


@dataclass(frozen=True)
class EpcisFigures:
    events: int
    native_seconds: float
    epcis_seconds: float
    client_seconds: float  # validate, facts, hash, map, sign
    service_seconds: float  # check, validate, hash, map, compare, relay, commit, store
    relay_seconds: float  # of which relaying the writes and the commitment
    writes: int
    recorded: int

    @property
    def ratio(self) -> float:
        return self.epcis_seconds / self.native_seconds


def shape(events: int) -> tuple[int, int, int]:
    """Commissionings, transformations, shipments."""
    made = events // 4
    return events - 2 * made, made, made


def document(events: int, site: Gln, buyer: Gln, start: datetime) -> str:
    raw, made, shipped = shape(events)
    lots = [f"R{i:05d}" for i in range(raw)]

    def element(gtin: str, lot: str, quantity: int) -> dict[str, object]:
        return {"epcClass": digital_link(gtin, lot), "quantity": quantity, "uom": "KGM"}

    def at(n: int) -> dict[str, str]:
        return {
            "eventTime": (start + timedelta(seconds=n)).isoformat(timespec="milliseconds"),
            "eventTimeZoneOffset": "+00:00",
        }

    found: list[dict[str, object]] = []
    for i, lot in enumerate(lots):
        found.append(
            {
                "type": "ObjectEvent",
                **at(i),
                "action": "ADD",
                "bizStep": "commissioning",
                "bizLocation": {"id": location_uri(site)},
                "quantityList": [element(RAW, lot, 1_000)],
                "ilmd": {"ledger:hsCode": "520100", "ledger:processEmissionsKg": 12.5},
            }
        )
    for j in range(made):
        found.append(
            {
                "type": "TransformationEvent",
                **at(raw + j),
                "bizStep": "commissioning",
                "bizLocation": {"id": location_uri(site)},
                "inputQuantityList": [element(RAW, lots[2 * j % raw], 400), element(RAW, lots[(2 * j + 1) % raw], 400)],
                "outputQuantityList": [element(MADE, f"M{j:05d}", 700)],
                "ilmd": {"ledger:hsCode": "520512"},
            }
        )
    for k in range(shipped):
        found.append(
            {
                "type": "ObjectEvent",
                **at(raw + made + k),
                "action": "OBSERVE",
                "bizStep": "shipping",
                "quantityList": [element(MADE, f"M{k:05d}", 700)],
                "destinationList": [{"type": "owning_party", "destination": party_uri(buyer)}],
            }
        )
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": start.isoformat(),
            "epcisBody": {"eventList": found},
        }
    )


def native(ledger: Ledger, factory: LocalAccount, site: Gln, buyer: str, events: int, start: datetime) -> None:
    """The same batches, recorded through the `Ledger` client (signed, relayed), bulks of 100."""
    raw, made, shipped = shape(events)
    lots = [f"R{i:05d}" for i in range(raw)]
    ids = {}
    batches = [
        NewBatch(RAW, lot, "520100", Decimal(1_000), "KGM", site, start, process_emissions_kg=Decimal("12.5"))
        for lot in lots
    ]
    for chunk in range(0, raw, BULK):
        recorded, _ = ledger.record_batches(factory, batches[chunk : chunk + BULK])
        ids.update(zip(lots[chunk : chunk + BULK], recorded, strict=True))
    products = [
        NewBatch(
            MADE,
            f"M{j:05d}",
            "520512",
            Decimal(700),
            "KGM",
            site,
            start,
            inputs=(
                InputUse(ids[lots[2 * j % raw]], Decimal(400)),
                InputUse(ids[lots[(2 * j + 1) % raw]], Decimal(400)),
            ),
        )
        for j in range(made)
    ]
    made_ids = []
    for chunk in range(0, made, BULK):
        made_ids += ledger.record_batches(factory, products[chunk : chunk + BULK])[0]
    for k in range(shipped):
        ledger.transfer_custody(factory, made_ids[k], buyer)


def measure(events: int, work: Path, say: Callable[[str], None]) -> EpcisFigures:
    node = start_anvil(log_file=work / "anvil-epcis.log")
    try:
        chain = Chain.connect(node.url)
        ledger = Ledger(chain, deploy(chain), IndexStore(":memory:"))
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
        accounts = {}
        for n, label in enumerate(("native", "epcis", "buyer")):
            signer = Account.from_key(keccak(text=f"bench epcis {label}"))
            sites = (Site(_gln(f"9506000{n}0001"), "CN-GD"),) if label != "buyer" else ()
            ledger.register_participant(
                signer.address,
                ParticipantProfile(f"Bench EPCIS {label}", "CN", sites, party_gln=_gln(f"9506000{n}0002")),
                [Role.BUYER if label == "buyer" else Role.FACTORY],
            )
            chain.send({"to": signer.address, "value": 10**21}, gas=21_000)  # type: ignore[typeddict-item]
            accounts[label] = (signer, sites[0].gln if sites else None, _gln(f"9506000{n}0002"))
        buyer = accounts["buyer"][0].address

        say(f"anvil: recording natively the batches of a {events:,}-event EPCIS document")
        signer, site, _party = accounts["native"]
        assert site is not None
        started = time.perf_counter()
        native(ledger, signer, site, buyer, events, start)
        native_seconds = time.perf_counter() - started

        say(f"anvil: capturing the {events:,}-event EPCIS document (client and service)")
        signer, site, _party = accounts["epcis"]
        assert site is not None
        text = document(events, site, accounts["buyer"][2], start)
        service = EpcisService(ledger, worker=False)
        started = time.perf_counter()
        loaded = load(text)  # the client: schema before anything is sent
        facts = service.facts(text, signer.address)  # (over HTTP in real use)
        _doc, planned = capture.prepare(loaded, signer.address, facts)
        submission = capture.sign(planned, text, signer, facts, ledger.domain, ledger.deployment.ledger)
        client_done = time.perf_counter()
        job, _ = capture.submit(ledger, service.store, submission, documents=service.documents)
        relay = _Timed(ledger)
        done = run_job(ledger, service.store, job.id, documents=service.documents)
        finished = time.perf_counter()
        relay.stop()
        recorded = sum(1 for r in done.results if r.status.value == "recorded")
        if recorded != events or done.root is None:
            raise RuntimeError(f"the capture recorded {recorded} of {events} events: {done.counts()} {done.error}")
        service.close()
        return EpcisFigures(
            events,
            native_seconds,
            finished - started,
            client_done - started,
            finished - client_done,
            relay.seconds,
            len(planned.writes),
            recorded,
        )
    finally:
        node.stop()


class _Timed:
    """Time spent inside `Ledger.relay_write` (the relayer's checks, dry run, send and receipt) while it runs."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger
        self.seconds = 0.0
        self._original = ledger.relay_write

        def timed(*args: object, **kwargs: object) -> object:
            began = time.perf_counter()
            try:
                return self._original(*args, **kwargs)  # type: ignore[arg-type]
            finally:
                self.seconds += time.perf_counter() - began

        ledger.relay_write = timed  # type: ignore[method-assign]

    def stop(self) -> None:
        self.ledger.relay_write = self._original  # type: ignore[method-assign]
