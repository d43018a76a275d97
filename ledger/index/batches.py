"""Reads of the batches aggregate: batches with their inputs, documents, custody and flags, lookups and pages, the
batches an address produced or holds, and what the index could not read about a batch."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from ledger.chain.codec import calendar_time
from ledger.domain.types import (
    Address,
    Batch,
    BatchId,
    CustodyTransfer,
    Document,
    DocumentKind,
    Flag,
    FlagKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
)
from ledger.index.base import SqlIndex
from ledger.index.caches import ADDRESS_CACHE_SIZE, BATCH_CACHE_SIZE, milli

DOCUMENT_KINDS = list(DocumentKind)
FLAG_KINDS = list(FlagKind)
#: Where the index keeps each field of `Batch` (a test checks every field is here): a column of `batches`, a table
#: of rows about the batch, or what the field is derived from at read time.
BATCH_FIELDS: dict[str, str] = {
    "id": "batches.id",
    "producer": "batches.producer",
    "gtin": "batches.gtin",
    "lot": "batches.lot",
    "hs_code": "batches.hs_code",
    "quantity": "batches.quantity",
    "unit": "batches.unit",
    "facility": "batches.facility",
    "produced_at": "batches.produced_at",
    "produced_at_unix": "batches.produced_at",
    "inputs": "inputs",
    "documents": "documents",
    "process_emissions_kg": "batches.emissions",
    "holder": "custody (the last transfer's to_address, else producer)",
    "remaining": "batches.quantity less the inputs rows that name the batch",
    "recorded": "batches (tx, block, log)",
    "custody": "custody",
    "flags": "flags",
    "index_problems": "unreadable_events",
}


class Batches(SqlIndex):
    """The batches aggregate's reads."""

    def batch(self, batch_id: str) -> Batch | None:
        return self.batches([batch_id]).get(batch_id)

    def batches(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        """Many batches at once (trace reads), keyed by id. Built objects are cached until an event changes them."""
        with self._lock:
            cache = self.caches.batches
            missing = [i for i in dict.fromkeys(batch_ids) if i not in cache]
            if missing:
                if len(cache) + len(missing) > BATCH_CACHE_SIZE:
                    cache.clear()
                cache.update(self._load_batches(missing))
            return {i: found for i in batch_ids if (found := cache.get(i)) is not None}

    def _load_batches(self, ids: list[str]) -> dict[str, Batch]:
        found: dict[str, Batch] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._rows(f"SELECT * FROM batches WHERE id IN ({marks})", chunk)
            inputs = self._grouped(f"SELECT * FROM inputs WHERE batch_id IN ({marks}) ORDER BY position", chunk)
            docs = self._grouped(f"SELECT * FROM documents WHERE batch_id IN ({marks}) ORDER BY position", chunk)
            custody = self._grouped(
                f"SELECT * FROM custody WHERE batch_id IN ({marks}) ORDER BY block_number, log_index", chunk
            )
            flags = self._grouped(
                f"SELECT * FROM flags WHERE batch_id IN ({marks}) ORDER BY block_number, log_index", chunk
            )
            consumed: dict[str, int] = {}
            for r in self._rows(f"SELECT input_id, quantity FROM inputs WHERE input_id IN ({marks})", chunk):
                consumed[r["input_id"]] = consumed.get(r["input_id"], 0) + int(r["quantity"])  # any uint64, exact
            problems = self._grouped(
                f"SELECT batch_id FROM unreadable_events WHERE batch_id IN ({marks}) LIMIT 1", chunk
            )
            for row in rows:
                bid = row["id"]
                found[bid] = self._build(
                    row,
                    inputs.get(bid, []),
                    docs.get(bid, []),
                    custody.get(bid, []),
                    flags.get(bid, []),
                    consumed.get(bid, 0),
                    tuple(self.unreadable_for(bid)) if problems else (),
                )
        return found

    def _grouped(self, sql: str, params: Sequence[Any]) -> dict[str, list[sqlite3.Row]]:
        grouped: dict[str, list[sqlite3.Row]] = {}
        for row in self._rows(sql, params):
            grouped.setdefault(row["batch_id"], []).append(row)
        return grouped

    def _build(
        self,
        row: sqlite3.Row,
        inputs: list[sqlite3.Row],
        docs: list[sqlite3.Row],
        custody: list[sqlite3.Row],
        flags: list[sqlite3.Row],
        used: int,
        problems: tuple[str, ...] = (),
    ) -> Batch:
        transfers = tuple(
            CustodyTransfer(
                Address(c["from_address"]), Address(c["to_address"]), milli(int(c["remaining"])), self._tx_ref(c)
            )
            for c in custody
        )
        return Batch(
            id=BatchId(row["id"]),
            producer=Address(row["producer"]),
            gtin=Gtin(row["gtin"]),
            lot=row["lot"],
            hs_code=row["hs_code"],
            quantity=milli(row["quantity"]),
            unit=row["unit"],
            facility=Gln(row["facility"]),
            produced_at=calendar_time(int(row["produced_at"])),
            produced_at_unix=int(row["produced_at"]),
            inputs=tuple(InputUse(BatchId(i["input_id"]), milli(int(i["quantity"]))) for i in inputs),
            documents=tuple(Document(Hash32(d["hash"]), DOCUMENT_KINDS[d["kind"]]) for d in docs),
            process_emissions_kg=milli(int(row["emissions"])) if row["emissions"] is not None else None,
            holder=transfers[-1].to_address if transfers else Address(row["producer"]),
            remaining=milli(max(int(row["quantity"]) - used, 0)),
            recorded=self._tx_ref(row),
            custody=transfers,
            flags=tuple(Flag(FLAG_KINDS[f["kind"]], f["reason"], self._tx_ref(f)) for f in flags),
            index_problems=problems,
        )

    def unreadable_count(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM unreadable_events")
        return int(row["n"]) if row else 0

    def unreadable_for(self, batch_id: str) -> list[str]:
        """What this index could not read about `batch_id`, one line per event."""
        rows = self._rows(
            "SELECT * FROM unreadable_events WHERE batch_id = ? ORDER BY block_number, log_index", (batch_id,)
        )
        return [
            f"{r['event']} at block {r['block_number']} (log {r['log_index']}, tx {r['tx_hash']}) could not be "
            f"read by this index: {r['error']}"
            for r in rows
        ]

    def find_batch_ids(
        self,
        *,
        gtin: str | None = None,
        lot: str | None = None,
        producer: str | None = None,
        country: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 50,
    ) -> list[tuple[str, int, int]]:
        """Batch ids matching the filters, newest first, keyset-paginated by (block_number, log_index)."""
        clauses: list[str] = []
        params: list[Any] = []
        for column, value in (("b.gtin", gtin), ("b.lot", lot), ("b.producer", producer), ("p.country", country)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            clauses.append("(b.block_number, b.log_index) < (?, ?)")
            params.extend(after)
        where = ("WHERE " + " AND ".join(clauses)) if clauses else ""
        rows = self._rows(
            f"SELECT b.id, b.block_number, b.log_index FROM batches b JOIN participants p ON p.address = b.producer "
            f"{where} ORDER BY b.block_number DESC, b.log_index DESC LIMIT ?",
            [*params, limit],
        )
        return [(r["id"], int(r["block_number"]), int(r["log_index"])) for r in rows]

    def own_batch_ids(self, address: str) -> frozenset[str]:
        """Batches `address` produced, holds or has held (cached until an event touches a batch)."""
        with self._lock:
            own = self.caches.own
            found = own.get(address)
            if found is None:
                rows = self._rows(
                    "SELECT id FROM batches WHERE producer = ? UNION SELECT batch_id FROM custody "
                    "WHERE to_address = ? OR from_address = ?",
                    (address, address, address),
                )
                if len(own) > ADDRESS_CACHE_SIZE:
                    own.clear()
                found = own[address] = frozenset(str(r[0]) for r in rows)
            return found

    def held_batch_ids(
        self, address: str, *, after: tuple[int, int] | None = None, limit: int = 50
    ) -> list[tuple[str, int, int]]:
        """Batches `address` holds now (it produced them and never handed them over, or custody last went to it),
        newest first, keyset-paginated by (block_number, log_index)."""
        clause = ""
        params: list[Any] = [address, address, address]
        if after is not None:
            clause = "AND (b.block_number, b.log_index) < (?, ?)"
            params.extend(after)
        rows = self._rows(
            "SELECT b.id, b.block_number, b.log_index FROM batches b WHERE b.id IN (SELECT id FROM batches WHERE "
            "producer = ? UNION SELECT batch_id FROM custody WHERE to_address = ?) AND COALESCE((SELECT c.to_address "
            "FROM custody c WHERE c.batch_id = b.id ORDER BY c.block_number DESC, c.log_index DESC LIMIT 1), "
            f"b.producer) = ? {clause} ORDER BY b.block_number DESC, b.log_index DESC LIMIT ?",
            [*params, limit],
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    def produced_ids(self, address: str) -> set[str]:
        return {str(r[0]) for r in self._rows("SELECT id FROM batches WHERE producer = ?", (address,))}

    def batch_count(self, producer: str) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM batches WHERE producer = ?", (producer,))
        return int(row["n"]) if row else 0
