"""The index's sync state and its one write path: the checkpoint, the recent blocks (reorg detection), applying a
window of events atomically, rolling back to a fork point, and the events the index could not read."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterable
from typing import Any

from ledger.index.base import SqlIndex
from ledger.index.events import AGGREGATES, HANDLERS, UNREADABLE, Changes, batch_id_in

#: Tables whose rows come from events (each row carries its block): a rollback deletes what follows the fork.
TABLES = (
    "participants",
    "sites",
    "roles",
    "statuses",
    "batches",
    "inputs",
    "documents",
    "custody",
    "flags",
    "anchors",
    "anchor_claims",
    "event_roots",
    "disclosure_versions",
    "attestations",
    "revocations",
    "unreadable_events",
)
UNREADABLE_COLUMNS = ("block_number", "log_index", "tx_hash", "event", "batch_id", "error", "topics", "data")
RECENT_BLOCKS = 128
log = logging.getLogger("ledger.index")


class SyncState(SqlIndex):
    """Checkpoint, blocks and the window applier."""

    @property
    def checkpoint(self) -> int:
        row = self._one("SELECT value FROM meta WHERE key = 'checkpoint'")
        return int(row["value"]) if row else 0

    def block_timestamp(self, number: int) -> int | None:
        """Unix time of block `number` if the index holds it (blocks with events, and recent window ends such as
        the checkpoint): spares a node round trip."""
        stamp = self.caches.timestamps.get(number)
        if stamp is None:
            row = self._one("SELECT timestamp FROM blocks WHERE number = ?", (number,))
            if row is None:
                return None
            stamp = int(row["timestamp"])
        return stamp

    def block_at_or_before(self, timestamp: int) -> int | None:
        """The latest indexed block with a time at or before `timestamp` (every block holding an event is kept, so
        the facts as of that time are the facts as of this block); None if the index holds none that early."""
        row = self._one("SELECT MAX(number) AS n FROM blocks WHERE timestamp <= ?", (timestamp,))
        return int(row["n"]) if row is not None and row["n"] is not None else None

    def recent_blocks(self) -> list[tuple[int, str]]:
        rows = self._rows("SELECT number, hash FROM blocks ORDER BY number DESC LIMIT ?", (RECENT_BLOCKS,))
        return [(int(r["number"]), str(r["hash"])) for r in rows]

    def roll_back(self, block_number: int, block_hash: str) -> None:
        """Drop everything indexed after `block_number` (a reorg's fork point)."""
        with self._tx() as db:
            for table in TABLES:
                db.execute(f"DELETE FROM {table} WHERE block_number > ?", (block_number,))
            db.execute("DELETE FROM blocks WHERE number > ?", (block_number,))
            db.execute("DELETE FROM window_ends WHERE number > ?", (block_number,))
            self._set_checkpoint(db, max(block_number, 0))
            self.caches.forget()

    def _set_checkpoint(self, db: sqlite3.Connection, block_number: int) -> None:
        db.execute(self.dialect.upsert("meta", ("key", "value"), ("key",)), ("checkpoint", str(block_number)))

    # -- the one write path --------------------------------------------------------------------------------------

    def apply(
        self,
        events: Iterable[tuple[str, dict[str, Any], dict[str, Any]]],
        end_block: int,
        end_hash: str,
        end_timestamp: int,
    ) -> None:
        """Apply one window of decoded events and move the checkpoint to `end_block`, atomically; then invalidate the
        caches of what the window changed (`Caches.applied`).

        Blocks holding events are kept (their timestamps date the events); a window's end block without events is
        kept only while recent (its hash detects reorgs). An event that cannot be stored (or was not decoded: name
        `UNREADABLE`) never stops the sync: the window is applied again one event at a time and such an event lands
        in `unreadable_events` instead, shown by `/health` and by the batch it names."""
        events_list = list(events)
        with self._lock:
            try:
                changes = self._apply(events_list, end_block, end_hash, end_timestamp, careful=False)
            except Exception as exc:
                self.caches.forget()
                log.warning(
                    "index window ending at block %s holds an event this index cannot store (%s): applying "
                    "it event by event",
                    end_block,
                    exc,
                )
                changes = self._apply(events_list, end_block, end_hash, end_timestamp, careful=True)
            except BaseException:
                self.caches.forget()
                raise
            self.caches.applied(changes)

    def _apply(
        self,
        events: list[tuple[str, dict[str, Any], dict[str, Any]]],
        end_block: int,
        end_hash: str,
        end_timestamp: int,
        *,
        careful: bool,
    ) -> Changes:
        changes = Changes()
        blocks_sql = self.dialect.upsert("blocks", ("number", "hash", "timestamp"), ("number",))
        with self._tx() as db:
            blocks: dict[int, tuple[int, str, int]] = {}
            for name, args, meta in events:
                number = meta["block_number"]
                if number not in blocks:
                    blocks[number] = (number, meta["block_hash"], meta["timestamp"])
                if name == UNREADABLE:
                    self._keep_unreadable(db, args.get("event", "?"), args, meta, str(args.get("error")), changes)
                    continue
                handler = HANDLERS.get(name)
                if handler is None:
                    continue
                changes.aggregates.add(AGGREGATES[name])
                if not careful:
                    handler(db, args, meta, changes)
                    continue
                own = Changes()
                try:
                    with self.dialect.savepoint(db, "event"):
                        handler(db, args, meta, own)
                except Exception as exc:
                    self._keep_unreadable(db, name, args, meta, f"{type(exc).__name__}: {exc}", changes)
                    continue
                changes.merge(own)
            db.executemany(blocks_sql, list(blocks.values()))
            if end_block not in blocks:
                db.execute(blocks_sql, (end_block, end_hash, end_timestamp))
                db.execute(self.dialect.upsert("window_ends", ("number",), ("number",)), (end_block,))
            horizon = end_block - 4 * RECENT_BLOCKS
            db.execute(
                "DELETE FROM blocks WHERE number IN (SELECT number FROM window_ends WHERE number < ?)", (horizon,)
            )
            db.execute("DELETE FROM window_ends WHERE number < ?", (horizon,))
            self._set_checkpoint(db, end_block)
        return changes

    def _keep_unreadable(
        self,
        db: sqlite3.Connection,
        name: str,
        args: dict[str, Any],
        meta: dict[str, Any],
        error: str,
        changes: Changes,
    ) -> None:
        batch_id = batch_id_in(args)
        log.error(
            "unreadable %s event at block %s log %s (tx %s): %s",
            name,
            meta["block_number"],
            meta["log_index"],
            meta["tx_hash"],
            error,
        )
        raw = args.get("raw") or {k: v for k, v in args.items() if k not in ("error", "event")}
        db.execute(
            self.dialect.upsert("unreadable_events", UNREADABLE_COLUMNS, ("block_number", "log_index")),
            (
                meta["block_number"],
                meta["log_index"],
                meta["tx_hash"],
                name,
                batch_id,
                error[:2_000],
                json.dumps(raw.get("topics", []) if isinstance(raw, dict) else [], default=str)[:100_000],
                json.dumps(raw, default=_json_default)[:100_000],
            ),
        )
        if batch_id is not None:
            changes.touched.add(batch_id)

    def stats(self) -> dict[str, int]:
        counts = {}
        for table in ("participants", "batches", "custody", "flags", "disclosure_versions", "attestations"):
            row = self._one(f"SELECT COUNT(*) AS n FROM {table}")
            counts[table] = int(row["n"]) if row else 0
        return counts


def _json_default(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)
