"""Every field of `Batch` reaches every copy of a batch: the index, the API's batch JSON and the EPCIS export.

The expectations are built from `dataclasses.fields(Batch)` and the codec's `BATCH_FIELDS`, never from the lists
under test: a field added to `Batch` (or to the contract's `BatchRecord`) without its counterpart in the index, the
API or the EPCIS export fails here, and the message says where it is missing (see docs/architecture.md, "Adding a
field to a batch record").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields, is_dataclass, make_dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from api.schemas.anchors import AnchoredBatchIn
from api.schemas.batches import TRACE_NODE_FIELDS, BatchOut, TraceNodeOut
from ledger.anchoring import AnchorBundle, build_bundle
from ledger.chain.codec import BATCH_FIELDS, EventDecoder, hex32, record_members, recorded_values
from ledger.chain.compile import load_artifact
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.domain.types import Batch, BatchId, Document, DocumentKind, Gln, Gtin, Hash32, InputUse, NewBatch
from ledger.epcis.export import BATCH_IN_EPCIS
from ledger.epcis.keys import digital_link, location_uri
from ledger.epcis.query import MAX_PER_PAGE
from ledger.epcis.reading import COUNT_UNIT
from ledger.epcis.vocabulary import PREFIX

BATCH = [f.name for f in fields(Batch)]
RECORDED = {f.attribute for f in BATCH_FIELDS}

#: What the index adds to a record's fields, each with how to check it against the `BatchRecorded` event (its args
#: and meta). A new `Batch` field that no record member holds needs a line here, and the index must fill it.
FROM_THE_INDEX: dict[str, Callable[[Batch, dict[str, Any], str], bool]] = {
    "id": lambda b, args, tx: b.id == hex32(args["batchId"]),
    "producer": lambda b, args, tx: b.producer == args["producer"],
    "produced_at_unix": lambda b, args, tx: b.produced_at_unix == args["record"]["producedAt"],
    "holder": lambda b, args, tx: b.holder == (b.custody[-1].to_address if b.custody else b.producer),
    "remaining": lambda b, args, tx: 0 <= b.remaining <= b.quantity,
    "recorded": lambda b, args, tx: b.recorded.tx_hash == tx,
    "custody": lambda b, args, tx: all(c.remaining <= b.quantity for c in b.custody),
    "flags": lambda b, args, tx: all(f.tx.block_number >= b.recorded.block_number for f in b.flags),
    "index_problems": lambda b, args, tx: b.index_problems == (),
}


def recorded_event(ledger: Ledger, batch: Batch) -> dict[str, Any]:
    """The `BatchRecorded` event of `batch`, read from its transaction's receipt (not from the index)."""
    decoder = EventDecoder(load_artifact("ProvenanceLedger").abi)
    receipt = ledger.chain.w3.eth.get_transaction_receipt(batch.recorded.tx_hash)  # type: ignore[arg-type]
    for log in receipt["logs"]:
        decoded = decoder.decode(list(log["topics"]), bytes(log["data"]))
        if decoded and decoded[0] == "BatchRecorded" and hex32(decoded[1]["batchId"]) == batch.id:
            return decoded[1]
    raise AssertionError(f"no BatchRecorded for {batch.id} in {batch.recorded.tx_hash}")


def plain(value: Any) -> Any:
    """A domain value as the API's JSON writes it: decimals as strings, times in ISO 8601, records as objects."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value
    return value


def same(json_value: Any, domain: Any) -> bool:
    """The API's JSON holds the domain value (objects may carry more keys, e.g. a flag's `active`)."""
    if isinstance(domain, dict):
        return isinstance(json_value, dict) and all(
            same(json_value[k], v) for k, v in domain.items() if k in json_value
        )  # a nested TxRef's log_index is not served
    if isinstance(domain, list):
        return (
            isinstance(json_value, list)
            and len(json_value) == len(domain)
            and all(same(j, d) for j, d in zip(json_value, domain, strict=True))
        )
    if isinstance(domain, datetime):
        return datetime.fromisoformat(str(json_value).replace("Z", "+00:00")) == domain
    return bool(json_value == domain)


def test_the_field_map_is_the_contracts_batch_record_and_every_new_batch_field() -> None:
    abi = load_artifact("ProvenanceLedger").abi
    event = next(e for e in abi if e.get("type") == "event" and e["name"] == "BatchRecorded")
    record = next(i for i in event["inputs"] if i["name"] == "record")
    assert record_members() == tuple(c["name"] for c in record["components"])
    assert sorted(f.attribute for f in BATCH_FIELDS) == sorted(f.name for f in fields(NewBatch))
    assert set(BATCH) >= RECORDED, f"record fields that Batch lacks: {RECORDED - set(BATCH)}"


def test_every_batch_field_survives_the_index(demo_ledger: Ledger, world: DemoWorld) -> None:
    unchecked = [name for name in BATCH if name not in RECORDED and name not in FROM_THE_INDEX]
    assert not unchecked, f"Batch fields neither in the codec's BATCH_FIELDS nor read by the index: {unchecked}"
    for batch_id in world.batches.values():
        batch = demo_ledger.batch(batch_id)
        event = recorded_event(demo_ledger, batch)
        values = recorded_values(event["record"])
        for name in BATCH:
            if name in RECORDED:
                assert getattr(batch, name) == values[name], f"the index lost {name} of {batch.lot}"
            else:
                assert FROM_THE_INDEX[name](batch, event, batch.recorded.tx_hash), f"the index's {name} of {batch.lot}"


def test_every_batch_field_is_in_the_apis_batch_json(client: TestClient, demo_ledger: Ledger, world: DemoWorld) -> None:
    for batch_id in world.batches.values():
        batch = demo_ledger.batch(batch_id)
        body = client.get(f"/batches/{batch_id}").json()
        for name in BATCH:
            assert name in body, f"GET /batches/{{id}} has no {name} (add it to api.schemas.batches.BatchOut)"
            assert same(body[name], plain(getattr(batch, name))), f"the API's {name} of {batch.lot}: {body[name]}"


def _uri_lot_and_gtin(batch: Batch) -> str:
    return digital_link(batch.gtin, batch.lot)


def _made(events: list[dict[str, Any]], batch: Batch) -> dict[str, Any]:
    ext = f"{PREFIX}:batch"
    return next(e for e in events if e.get(ext) == batch.id and e.get("bizStep") == "commissioning")


def _output(made: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = (made.get("quantityList") or made["outputQuantityList"])[0]
    return found


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _ext(name: str) -> str:
    return f"{PREFIX}:{name}"


def _of_batch(events: list[dict[str, Any]], batch: Batch, step: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get(_ext("batch")) == batch.id and e.get("bizStep") == step]


#: How each field of `Batch` shows in a batch's EPCIS export (the place `ledger.epcis.export.BATCH_IN_EPCIS` names).
IN_EPCIS: dict[str, Callable[[Batch, list[dict[str, Any]], dict[str, Batch]], bool]] = {
    "id": lambda b, ev, _: _made(ev, b)[_ext("batch")] == b.id,
    "producer": lambda b, ev, _: _made(ev, b)[_ext("producer")] == b.producer,
    "gtin": lambda b, ev, _: _output(_made(ev, b))["epcClass"] == _uri_lot_and_gtin(b),
    "lot": lambda b, ev, _: _output(_made(ev, b))["epcClass"] == _uri_lot_and_gtin(b),
    "hs_code": lambda b, ev, _: _made(ev, b)["ilmd"][_ext("hsCode")] == b.hs_code,
    "quantity": lambda b, ev, _: _output(_made(ev, b))["quantity"] == _number(b.quantity),
    "unit": lambda b, ev, _: _output(_made(ev, b)).get("uom", COUNT_UNIT) == b.unit,
    "facility": lambda b, ev, _: _made(ev, b)["bizLocation"]["id"] == location_uri(b.facility),
    "produced_at": lambda b, ev, _: (
        b.produced_at is not None
        and datetime.fromisoformat(_made(ev, b)["eventTime"].replace("Z", "+00:00")) == b.produced_at
    ),
    "produced_at_unix": lambda b, ev, _: (
        datetime.fromisoformat(_made(ev, b)["eventTime"].replace("Z", "+00:00")).timestamp() == b.produced_at_unix
    ),
    "inputs": lambda b, ev, src: (
        [(q["epcClass"], q["quantity"]) for q in _made(ev, b).get("inputQuantityList", [])]
        == [(digital_link(src[u.batch_id].gtin, src[u.batch_id].lot), _number(u.quantity)) for u in b.inputs]
    ),
    "documents": lambda b, ev, _: (
        _made(ev, b).get(_ext("documents"), []) == [{"kind": d.kind.value, "hash": d.hash} for d in b.documents]
    ),
    "process_emissions_kg": lambda b, ev, _: (
        _made(ev, b)["ilmd"].get(_ext("processEmissionsKg"))
        == (None if b.process_emissions_kg is None else _number(b.process_emissions_kg))
    ),
    "recorded": lambda b, ev, _: _made(ev, b)[_ext("transaction")] == b.recorded.tx_hash,
    "custody": lambda b, ev, _: (
        [(e[_ext("from")], e[_ext("to")], e[_ext("transaction")]) for e in _of_batch(ev, b, "shipping")]
        == [(c.from_address, c.to_address, c.tx.tx_hash) for c in b.custody]
    ),
    "holder": lambda b, ev, _: ([e[_ext("to")] for e in _of_batch(ev, b, "shipping")] or [b.producer])[-1] == b.holder,
    "flags": lambda b, ev, _: (
        [(e[_ext("flag")], e[_ext("reason")]) for e in _of_batch(ev, b, "inspecting")]
        == [(f.kind.value, f.reason) for f in b.flags]
    ),
}


def test_every_batch_field_is_in_the_epcis_export(client: TestClient, demo_ledger: Ledger, world: DemoWorld) -> None:
    assert set(BATCH_IN_EPCIS) == set(BATCH), (
        f"ledger.epcis.export.BATCH_IN_EPCIS misses {set(BATCH) - set(BATCH_IN_EPCIS)}"
    )
    exported = {name for name in BATCH_IN_EPCIS if not _not_exported(name)}
    assert exported == set(IN_EPCIS), f"fields the export claims but this test cannot find: {exported ^ set(IN_EPCIS)}"
    for batch_id in world.batches.values():
        batch = demo_ledger.batch(batch_id)
        page = client.get(f"/batches/{batch_id}/epcis", params={"perPage": MAX_PER_PAGE}).json()
        events = page["epcisBody"]["eventList"]
        sources = {u.batch_id: demo_ledger.batch(u.batch_id) for u in batch.inputs}
        for name in sorted(exported):
            assert IN_EPCIS[name](batch, events, sources), (
                f"the EPCIS export of {batch.lot} does not carry {name} where BATCH_IN_EPCIS says: "
                f"{BATCH_IN_EPCIS[name]}"
            )


def gaps(names: list[str]) -> dict[str, list[str]]:
    """Which of `names` (fields of a batch) have no counterpart in the index, the API's batch JSON or the export."""
    return {
        "index": [n for n in names if n not in RECORDED and n not in FROM_THE_INDEX],
        "api": [n for n in names if n not in BatchOut.model_fields],
        "epcis": [n for n in names if n not in BATCH_IN_EPCIS or (n not in IN_EPCIS and not _not_exported(n))],
    }


def _not_exported(name: str) -> bool:
    return BATCH_IN_EPCIS.get(name, "").startswith("not exported")


def test_every_batch_field_has_its_counterparts() -> None:
    assert gaps(BATCH) == {"index": [], "api": [], "epcis": []}


def test_a_field_added_to_batch_alone_is_caught() -> None:
    """A `Batch` with one more field, which nothing else knows: each counterpart is reported missing."""
    grown = make_dataclass("Batch", [("carbon_intensity", Decimal | None, None)], bases=(Batch,), frozen=True)
    names = [f.name for f in fields(grown)]
    assert gaps(names) == {"index": ["carbon_intensity"], "api": ["carbon_intensity"], "epcis": ["carbon_intensity"]}


def test_an_anchor_bundle_keeps_every_field_of_a_record() -> None:
    """The bundle's record JSON and the API's schema of it have one key per field of `NewBatch`, and read back the
    same record."""
    record = NewBatch(
        gtin=Gtin("09506000134352"),
        lot="LOT-1",
        hs_code="520100",
        quantity=Decimal("12.5"),
        unit="KGM",
        facility=Gln("6141410000014"),
        produced_at=datetime(2025, 6, 1, 8, tzinfo=UTC),
        inputs=(InputUse(BatchId("0x" + "ab" * 32), Decimal("3.25")),),
        documents=(Document(Hash32("0x" + "cd" * 32), DocumentKind.INVOICE),),
        process_emissions_kg=Decimal("0.5"),
    )
    bundle = build_bundle("0x38552454f9404F66FeD6b59f93AD45d329c691D0", [record])
    body = json.loads(bundle.to_json())["records"][0]["record"]
    assert set(body) == {f.name for f in fields(NewBatch)} == set(AnchoredBatchIn.model_fields)
    assert AnchorBundle.from_json(bundle.to_json()).records[0].batch == record


def test_a_trace_node_shows_batch_fields_by_their_names_in_its_order() -> None:
    shown = [name for name in TraceNodeOut.model_fields if name in TRACE_NODE_FIELDS]
    assert set(TRACE_NODE_FIELDS) <= set(BATCH) and shown == list(TRACE_NODE_FIELDS)
