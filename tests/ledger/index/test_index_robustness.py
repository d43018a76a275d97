"""The index stores whatever the contract's types allow, and an event it cannot interpret never stops it."""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from api.schemas.batches import BatchOut
from ledger.chain.codec import from_milli
from ledger.client import Ledger
from ledger.domain.types import FlagKind
from ledger.index import IndexStore
from ledger.index import events as index_events
from ledger.index.events import UNREADABLE
from tests.ledger.builders import batch, register

U64 = 2**64 - 1
PRODUCER = "0x" + "11" * 20
HOLDER = "0x" + "22" * 20


def meta(block: int, log: int = 0) -> dict[str, Any]:
    return {
        "tx_hash": "0x" + "ab" * 32,
        "block_number": block,
        "log_index": log,
        "block_hash": "0x" + "cd" * 32,
        "timestamp": 1_750_000_000,
    }


def recorded(batch_id: bytes, *, quantity: int, inputs: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "batchId": batch_id,
        "producer": PRODUCER,
        "gtin": U64,
        "record": {
            "gtin": U64,
            "lot": b"\xff" * 32,
            "hsCode": 2**32 - 1,
            "quantity": quantity,
            "unit": b"\0\0\0",
            "facility": U64,
            "producedAt": U64,
            "emissionsReported": True,
            "processEmissions": U64,
            "inputs": list(inputs),
            "documents": [{"hash": b"\1" * 32, "kind": 6}],
        },
    }


def test_every_uint64_the_contract_allows_is_stored_and_read_back_exactly() -> None:
    store = IndexStore(":memory:")
    first, second = b"\x01" * 32, b"\x02" * 32
    store.apply(
        [
            ("BatchRecorded", recorded(first, quantity=U64), meta(5)),
            ("BatchRecorded", recorded(second, quantity=U64, inputs=[{"batchId": first, "quantity": U64}]), meta(5, 1)),
            ("CustodyTransferred", {"batchId": second, "from": PRODUCER, "to": HOLDER, "remaining": U64}, meta(6)),
        ],
        6,
        "0x" + "ef" * 32,
        1_750_000_100,
    )
    top, bottom = store.batch("0x" + "02" * 32), store.batch("0x" + "01" * 32)
    assert top is not None and bottom is not None
    assert top.quantity == from_milli(U64) == Decimal("18446744073709551.615")
    assert top.process_emissions_kg == from_milli(U64)
    assert top.produced_at is None and top.produced_at_unix == U64  # after year 9999: shown as recorded
    assert top.inputs[0].quantity == from_milli(U64) and top.custody[0].remaining == from_milli(U64)
    assert top.holder == HOLDER and top.facility == str(U64) and top.hs_code == str(2**32 - 1)
    assert bottom.remaining == 0  # the sum of what was consumed is exact too
    shown = BatchOut.of(top).model_dump(mode="json")
    assert shown["produced_at"] is None and shown["produced_at_unix"] == U64
    assert shown["lot"] == "\\xff" * 32


def test_a_log_that_does_not_decode_is_kept_counted_and_shown_on_its_batch() -> None:
    store = IndexStore(":memory:")
    batch_id = b"\x07" * 32
    store.apply(
        [
            ("BatchRecorded", recorded(batch_id, quantity=1000), meta(5)),
            (
                UNREADABLE,
                {
                    "event": "BatchFlagged",
                    "error": "DecodingError: truncated",
                    "batchId": batch_id,
                    "raw": {"topics": ["0x00"], "data": "0x"},
                },
                meta(6),
            ),
        ],
        6,
        "0x" + "ef" * 32,
        1_750_000_100,
    )
    assert store.unreadable_count() == 1
    found = store.batch("0x" + "07" * 32)
    assert found is not None and len(found.index_problems) == 1
    assert "BatchFlagged at block 6" in found.index_problems[0] and store.checkpoint == 6


def test_an_event_the_handlers_cannot_store_never_stops_the_sync(
    embedded_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: a handler that fails on one event (as a bug in it would). That event is kept as unreadable,
    every other event of the same window and of later windows is indexed, and the batch says what it lacks."""
    ledger = embedded_ledger
    factory = register(ledger, "robust", 1)
    (a, b), _ = ledger.record_batches(factory, [batch("ROB-A", 1), batch("ROB-B", 1)])
    original = index_events.HANDLERS["BatchFlagged"]

    def fragile(db: sqlite3.Connection, args: dict[str, Any], m: dict[str, Any], changes: Any) -> None:
        if args["reason"] == "boom":
            raise OverflowError("Python int too large to convert to SQLite INTEGER")
        original(db, args, m, changes)

    monkeypatch.setitem(index_events.HANDLERS, "BatchFlagged", fragile)
    ledger.flag_batch(factory, a, FlagKind.QUALITY_HOLD, "boom")
    ledger.flag_batch(factory, b, FlagKind.QUALITY_HOLD, "fine")
    status = ledger.sync()
    assert status.indexed_block == ledger.chain.head
    assert ledger.store.unreadable_count() == 1
    hurt, fine = ledger.batch(a), ledger.batch(b)
    assert hurt.flags == () and "OverflowError" in hurt.index_problems[0]
    assert [f.reason for f in fine.flags] == ["fine"] and fine.index_problems == ()
    (c,), _ = ledger.record_batches(factory, [batch("ROB-C", 1)])  # later windows go on as usual
    assert ledger.batch(c).lot == "ROB-C"


def test_an_index_of_an_older_schema_or_another_chain_is_moved_aside(tmp_path: Path) -> None:
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript(
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);INSERT INTO meta VALUES ('checkpoint', '42');"
    )
    db.close()
    assert IndexStore(old).moved_aside is not None
    chain_a = tmp_path / "a.sqlite"
    IndexStore(chain_a, genesis="0xaa").close()
    assert IndexStore(chain_a, genesis="0xaa").moved_aside is None
    assert IndexStore(chain_a, genesis="0xbb").moved_aside is not None
