"""SQLite store of indexed events: writes from the syncer, typed reads for the ledger."""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ledger.codec import calendar_time, from_milli, from_scaled, from_timestamp
from ledger.index.events import DISCLOSURE_EVENTS, HANDLERS, PARTICIPANT_EVENTS, UNREADABLE, Changes, batch_id_in
from ledger.sqlite_files import immediate, open_database
from ledger.sqlite_files import move_aside as move_file_aside
from ledger.types import (
    Address,
    AssuranceLevel,
    Attestation,
    Batch,
    BatchId,
    Citation,
    CitationKind,
    CustodyTransfer,
    Disclosure,
    DisclosureId,
    DisclosureVersion,
    Document,
    DocumentKind,
    Flag,
    FlagKind,
    Gln,
    Gtin,
    Hash32,
    InputUse,
    MetricValue,
    Opinion,
    Participant,
    ParticipantProfile,
    Role,
    Site,
    TraceEdge,
    TraceNode,
    TxHash,
    TxRef,
)

if TYPE_CHECKING:
    from ledger.anchoring import BatchRecording


class Upstream(NamedTuple):
    """What `IndexStore.upstream_edges` walked: depths by batch, edges, the batches cut and whether the cap cut."""

    depths: dict[str, int]
    edges: list[TraceEdge]
    cut: list[str]
    capped: bool


milli = lru_cache(maxsize=1 << 16)(from_milli)  # Decimals are immutable and quantities repeat a lot

SCHEMA = (Path(__file__).parent / "schema.sql").read_text()
#: Bumped when a table changes shape; an index file of another version is moved aside and rebuilt from the chain.
SCHEMA_VERSION = "3"
TABLES = ("participants", "sites", "roles", "statuses", "batches", "inputs", "documents", "custody", "flags",
          "anchors", "anchor_claims", "event_roots", "disclosure_versions", "attestations", "revocations",
          "unreadable_events")
log = logging.getLogger("ledger.index")


class _Incompatible(Exception):
    """An index file written by another schema version."""
DOCUMENT_KINDS = list(DocumentKind)
FLAG_KINDS = list(FlagKind)
LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)
RECENT_BLOCKS = 128
BATCH_CACHE_SIZE = 200_000  # built Batch objects kept for reads (about 1-2 kB each)
DISCLOSURE_CACHE_WEIGHT = 200_000  # built Disclosures kept for reads, in versions + metrics + attestations (~60 MB)


class IndexStore:
    """One SQLite database per chain and deployment. Thread-safe: one connection behind a lock."""

    def __init__(self, path: Path | str = ":memory:", *, genesis: str | None = None) -> None:
        """Open (or create) the index at `path`. `genesis` is the hash of block 0 of the deployment's chain: an index
        file written for another chain (same addresses on a reset development chain) is moved aside, as is one that
        cannot be read or is of another schema version; the index is a cache and is rebuilt from the chain."""
        self.path = str(path)
        self.genesis = genesis
        #: Where an unreadable or outdated index file was moved on opening (None if the file opened as it was).
        self.moved_aside: Path | None
        self._db, self.moved_aside = self._open()
        self._lock = threading.RLock()
        self._forget()

    def _open(self) -> tuple[sqlite3.Connection, Path | None]:
        return open_database(self.path, SCHEMA, what="index file", consequence="rebuilding it from the chain",
                             check=self._check, unusable=(_Incompatible,), reopen=self._reopen)

    def _reopen(self, moved: Path) -> None:
        """Damage found while running (the file is moved aside by then): a fresh index, rebuilt from the chain by the
        next sync, and nothing remembered from the damaged one."""
        with self._lock:
            self._db, _ = self._open()
            self.moved_aside = moved
            self._forget()

    def _forget(self) -> None:
        self._timestamps: dict[int, int] = {}
        # Read caches, kept exact by `apply` and `roll_back` (both under the lock):
        # lineage edges by output batch (loaded on the first trace), and built `Batch` objects.
        self._lineage: dict[str, list[TraceEdge]] | None = None
        self._consumers: dict[str, list[str]] | None = None  # input -> the batches that consumed it
        self._own_cache: dict[str, frozenset[str]] = {}  # address -> batches it produced or held (access checks)
        self._roles_cache: dict[str, frozenset[Role]] = {}
        self._batch_cache: dict[str, Batch] = {}
        self._participant_cache: dict[str, Participant] = {}
        self._disclosure_cache: dict[str, Disclosure] = {}  # by id: every report reads its producers' disclosures
        self._disclosure_weight = 0
        self._node_cache: dict[tuple[str, int], TraceNode] = {}

    def _check(self, db: sqlite3.Connection) -> None:
        """The file is an index of this schema version for this chain (else `_Incompatible`: rebuilt)."""
        row = db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if row is None:
            if db.execute("SELECT 1 FROM meta WHERE key = 'checkpoint'").fetchone() is not None:
                raise _Incompatible("index written by an older version of the ledger")
            db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
        elif row["value"] != SCHEMA_VERSION:
            raise _Incompatible(f"index schema {row['value']}, this version needs {SCHEMA_VERSION}")
        if self.genesis is not None:
            known = db.execute("SELECT value FROM meta WHERE key = 'genesis'").fetchone()
            if known is None:
                db.execute("INSERT INTO meta VALUES ('genesis', ?)", (self.genesis,))
            elif known["value"] != self.genesis:
                raise _Incompatible("index written for another chain (its genesis block differs)")

    def close(self) -> None:
        self._db.close()

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._db, self._lock)

    @contextmanager
    def consistent(self) -> Iterator[None]:
        """Hold off writes so that several reads see one state of the index."""
        with self._lock:
            yield

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._db.execute(sql, params).fetchone()

    # -- checkpoint --------------------------------------------------------------------------------------------

    @property
    def checkpoint(self) -> int:
        row = self._one("SELECT value FROM meta WHERE key = 'checkpoint'")
        return int(row["value"]) if row else 0

    def block_timestamp(self, number: int) -> int | None:
        """Unix time of block `number` if the index holds it (blocks with events, and recent window ends such as
        the checkpoint): spares a node round trip."""
        stamp = self._timestamps.get(number)
        if stamp is None:
            row = self._one("SELECT timestamp FROM blocks WHERE number = ?", (number,))
            if row is None:
                return None
            stamp = int(row["timestamp"])
        return stamp

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
            db.execute("INSERT OR REPLACE INTO meta VALUES ('checkpoint', ?)", (str(max(block_number, 0)),))
            self._timestamps.clear()
            self._lineage = None
            self._consumers = None
            self._own_cache.clear()
            self._roles_cache.clear()
            self._batch_cache.clear()
            self._participant_cache.clear()
            self._forget_disclosures()
            self._node_cache.clear()

    # -- writes ------------------------------------------------------------------------------------------------

    def apply(self, events: Iterable[tuple[str, dict[str, Any], dict[str, Any]]], end_block: int, end_hash: str,
              end_timestamp: int) -> None:
        """Apply one window of decoded events and move the checkpoint to `end_block`, atomically.

        Blocks holding events are kept (their timestamps date the events); a window's end block without events is
        kept only while recent (its hash detects reorgs). An event that cannot be stored (or was not decoded: name
        `UNREADABLE`) never stops the sync: the window is applied again one event at a time and such an event lands
        in `unreadable_events` instead, shown by `/health` and by the batch it names."""
        events_list = list(events)
        with self._lock:
            try:
                changes = self._apply(events_list, end_block, end_hash, end_timestamp, careful=False)
            except Exception as exc:
                self._batch_cache.clear()
                self._participant_cache.clear()
                self._forget_disclosures()
                log.warning("index window ending at block %s holds an event this index cannot store (%s): applying "
                            "it event by event", end_block, exc)
                changes = self._apply(events_list, end_block, end_hash, end_timestamp, careful=True)
            except BaseException:
                self._batch_cache.clear()
                self._participant_cache.clear()
                self._forget_disclosures()
                raise
            for batch_id in changes.touched:
                self._batch_cache.pop(batch_id, None)
            if changes.touched:
                self._own_cache.clear()
            if any(name in PARTICIPANT_EVENTS for name, _, _ in events_list):
                self._participant_cache.clear()
                self._roles_cache.clear()
            if any(name in DISCLOSURE_EVENTS for name, _, _ in events_list):
                self._forget_disclosures()
            if self._lineage is not None:
                for output_id, input_id, quantity in changes.new_edges:
                    _add_edge(self._lineage, output_id, input_id, quantity)
            if self._consumers is not None:
                for output_id, input_id, _ in changes.new_edges:
                    _add_consumer(self._consumers, input_id, output_id)

    def _apply(self, events: list[tuple[str, dict[str, Any], dict[str, Any]]], end_block: int, end_hash: str,
               end_timestamp: int, *, careful: bool) -> Changes:
        changes = Changes()
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
                if not careful:
                    handler(db, args, meta, changes)
                    continue
                own = Changes()
                db.execute("SAVEPOINT event")
                try:
                    handler(db, args, meta, own)
                except Exception as exc:
                    db.execute("ROLLBACK TO event")
                    db.execute("RELEASE event")
                    self._keep_unreadable(db, name, args, meta, f"{type(exc).__name__}: {exc}", changes)
                    continue
                db.execute("RELEASE event")
                changes.touched |= own.touched
                changes.new_edges += own.new_edges
            db.executemany("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)", list(blocks.values()))
            if end_block not in blocks:
                db.execute("INSERT OR REPLACE INTO blocks VALUES (?, ?, ?)", (end_block, end_hash, end_timestamp))
                db.execute("INSERT OR REPLACE INTO window_ends VALUES (?)", (end_block,))
            horizon = end_block - 4 * RECENT_BLOCKS
            db.execute("DELETE FROM blocks WHERE number IN (SELECT number FROM window_ends WHERE number < ?)",
                       (horizon,))
            db.execute("DELETE FROM window_ends WHERE number < ?", (horizon,))
            db.execute("INSERT OR REPLACE INTO meta VALUES ('checkpoint', ?)", (str(end_block),))
        return changes

    @staticmethod
    def _keep_unreadable(db: sqlite3.Connection, name: str, args: dict[str, Any], meta: dict[str, Any], error: str,
                         changes: Changes) -> None:
        batch_id = batch_id_in(args)
        log.error("unreadable %s event at block %s log %s (tx %s): %s", name, meta["block_number"],
                  meta["log_index"], meta["tx_hash"], error)
        raw = args.get("raw") or {k: v for k, v in args.items() if k not in ("error", "event")}
        db.execute("INSERT OR REPLACE INTO unreadable_events VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                   (meta["block_number"], meta["log_index"], meta["tx_hash"], name, batch_id, error[:2_000],
                    json.dumps(raw.get("topics", []) if isinstance(raw, dict) else [], default=str)[:100_000],
                    json.dumps(raw, default=_json_default)[:100_000]))
        if batch_id is not None:
            changes.touched.add(batch_id)

    def unreadable_count(self) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM unreadable_events")
        return int(row["n"]) if row else 0

    def unreadable_for(self, batch_id: str) -> list[str]:
        """What this index could not read about `batch_id`, one line per event."""
        rows = self._rows("SELECT * FROM unreadable_events WHERE batch_id = ? ORDER BY block_number, log_index",
                          (batch_id,))
        return [f"{r['event']} at block {r['block_number']} (log {r['log_index']}, tx {r['tx_hash']}) could not be "
                f"read by this index: {r['error']}" for r in rows]

    # -- reads: participants -----------------------------------------------------------------------------------

    def _tx_ref(self, row: sqlite3.Row) -> TxRef:
        number = int(row["block_number"])
        stamp = self._timestamps.get(number)
        if stamp is None:
            found = self._one("SELECT timestamp FROM blocks WHERE number = ?", (number,))
            stamp = int(found["timestamp"]) if found else 0
            if len(self._timestamps) > 50_000:
                self._timestamps.clear()
            self._timestamps[number] = stamp
        return TxRef(TxHash(row["tx_hash"]), number, from_timestamp(stamp), int(row["log_index"]))

    def participant(self, address: str) -> Participant | None:
        with self._lock:
            found = self._participant_cache.get(address)
            if found is None:
                found = self._load_participant(address)
                if found is not None:
                    self._participant_cache[address] = found
            return found

    def _load_participant(self, address: str) -> Participant | None:
        row = self._one("SELECT * FROM participants WHERE address = ?", (address,))
        if row is None:
            return None
        sites = tuple(Site(Gln(s["gln"]), s["subdivision"])
                      for s in self._rows("SELECT gln, subdivision FROM sites WHERE address = ? ORDER BY rowid",
                                          (address,)))
        roles = set(self.roles_of(address))
        status = self._one("SELECT suspended FROM statuses WHERE address = ? ORDER BY block_number DESC, "
                           "log_index DESC LIMIT 1", (address,))
        profile = ParticipantProfile(
            legal_name=row["legal_name"], country=row["country"], sites=sites,
            organisation_id=Hash32(row["organisation_id"]) if row["organisation_id"] else None,
            profile_hash=Hash32(row["profile_hash"]) if row["profile_hash"] and int(row["profile_hash"], 16) else None,
            party_gln=Gln(row["party_gln"]) if row["party_gln"] else None,
        )
        return Participant(Address(row["address"]), int(row["idx"]), profile, frozenset(roles),
                           bool(status["suspended"]) if status else False, self._tx_ref(row))

    def participants(self) -> list[Participant]:
        rows = self._rows("SELECT address FROM participants ORDER BY idx")
        return [p for r in rows if (p := self.participant(r["address"])) is not None]

    def batch_count(self, producer: str) -> int:
        row = self._one("SELECT COUNT(*) AS n FROM batches WHERE producer = ?", (producer,))
        return int(row["n"]) if row else 0

    def site_owner(self, gln: str) -> str | None:
        row = self._one("SELECT address FROM sites WHERE gln = ?", (gln,))
        return str(row["address"]) if row else None

    def site_subdivision(self, gln: str) -> str | None:
        row = self._one("SELECT subdivision FROM sites WHERE gln = ?", (gln,))
        return str(row["subdivision"]) if row else None

    # -- reads: batches ----------------------------------------------------------------------------------------

    def batch(self, batch_id: str) -> Batch | None:
        return self.batches([batch_id]).get(batch_id)

    def batches(self, batch_ids: Sequence[str]) -> dict[str, Batch]:
        """Many batches at once (trace reads), keyed by id. Built objects are cached until an event changes them."""
        with self._lock:
            cache = self._batch_cache
            missing = [i for i in dict.fromkeys(batch_ids) if i not in cache]
            if missing:
                if len(cache) + len(missing) > BATCH_CACHE_SIZE:
                    cache.clear()
                cache.update(self._load_batches(missing))
            return {i: found for i in batch_ids if (found := cache.get(i)) is not None}

    def _load_batches(self, ids: list[str]) -> dict[str, Batch]:
        found: dict[str, Batch] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            rows = self._rows(f"SELECT * FROM batches WHERE id IN ({marks})", chunk)
            inputs = self._grouped(f"SELECT * FROM inputs WHERE batch_id IN ({marks}) ORDER BY position", chunk)
            docs = self._grouped(f"SELECT * FROM documents WHERE batch_id IN ({marks}) ORDER BY position", chunk)
            custody = self._grouped(
                f"SELECT * FROM custody WHERE batch_id IN ({marks}) ORDER BY block_number, log_index", chunk)
            flags = self._grouped(
                f"SELECT * FROM flags WHERE batch_id IN ({marks}) ORDER BY block_number, log_index", chunk)
            consumed: dict[str, int] = {}
            for r in self._rows(f"SELECT input_id, quantity FROM inputs WHERE input_id IN ({marks})", chunk):
                consumed[r["input_id"]] = consumed.get(r["input_id"], 0) + int(r["quantity"])  # any uint64, exact
            problems = self._grouped(
                f"SELECT batch_id FROM unreadable_events WHERE batch_id IN ({marks}) LIMIT 1", chunk)
            for row in rows:
                bid = row["id"]
                found[bid] = self._build(row, inputs.get(bid, []), docs.get(bid, []), custody.get(bid, []),
                                         flags.get(bid, []), consumed.get(bid, 0),
                                         tuple(self.unreadable_for(bid)) if problems else ())
        return found

    def _grouped(self, sql: str, params: Sequence[Any]) -> dict[str, list[sqlite3.Row]]:
        grouped: dict[str, list[sqlite3.Row]] = {}
        for row in self._rows(sql, params):
            grouped.setdefault(row["batch_id"], []).append(row)
        return grouped

    def _build(self, row: sqlite3.Row, inputs: list[sqlite3.Row], docs: list[sqlite3.Row],
               custody: list[sqlite3.Row], flags: list[sqlite3.Row], used: int,
               problems: tuple[str, ...] = ()) -> Batch:
        transfers = tuple(CustodyTransfer(Address(c["from_address"]), Address(c["to_address"]),
                                          milli(int(c["remaining"])), self._tx_ref(c)) for c in custody)
        return Batch(
            id=BatchId(row["id"]), producer=Address(row["producer"]), gtin=Gtin(row["gtin"]), lot=row["lot"],
            hs_code=row["hs_code"], quantity=milli(row["quantity"]), unit=row["unit"],
            facility=Gln(row["facility"]), produced_at=calendar_time(int(row["produced_at"])),
            produced_at_unix=int(row["produced_at"]),
            inputs=tuple(InputUse(BatchId(i["input_id"]), milli(int(i["quantity"]))) for i in inputs),
            documents=tuple(Document(Hash32(d["hash"]), DOCUMENT_KINDS[d["kind"]]) for d in docs),
            process_emissions_kg=milli(int(row["emissions"])) if row["emissions"] is not None else None,
            holder=transfers[-1].to_address if transfers else Address(row["producer"]),
            remaining=milli(max(int(row["quantity"]) - used, 0)),
            recorded=self._tx_ref(row), custody=transfers,
            flags=tuple(Flag(FLAG_KINDS[f["kind"]], f["reason"], self._tx_ref(f)) for f in flags),
            index_problems=problems,
        )

    def find_batch_ids(self, *, gtin: str | None = None, lot: str | None = None, producer: str | None = None,
                       country: str | None = None, after: tuple[int, int] | None = None,
                       limit: int = 50) -> list[tuple[str, int, int]]:
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

    def upstream(self, batch_id: str, max_depth: int) -> list[tuple[str, str, int, int]]:
        """Lineage edges (input, output, quantity, depth of output) up to `max_depth` tiers, ordered by (input,
        output); each output at its shallowest depth."""
        depths, edges, *_ = self.upstream_edges(batch_id, max_depth)
        return sorted((e.input_id, e.output_id, int(e.quantity * 1000), depths[e.output_id]) for e in edges)

    def upstream_edges(self, batch_id: str, max_depth: int, max_nodes: int | None = None) -> Upstream:
        """The depth of every batch within `max_depth` tiers upstream of `batch_id` (itself at 0, in breadth-first
        order) and the lineage edges among them, in breadth-first order (each output's inputs in recorded order).
        Walks the in-memory lineage map, whose edge objects are built once: a trace of 10,000 batches allocates
        little.

        With `max_nodes`, a batch's inputs are followed all together or not at all: the walk stops at the first
        batch whose new inputs would pass `max_nodes` batches. `cut` lists the batches reached whose inputs were
        not followed (in walk order), `capped` whether `max_nodes` stopped the walk. Work is linear in what is
        returned, whatever the size of the lineage."""
        with self._lock:
            lineage = self._lineage_map()
            edges: list[TraceEdge] = []
            depths = {batch_id: 0}
            frontier = [batch_id]
            depth = 0
            while frontier and depth < max_depth:
                below: list[str] = []
                for output_id in frontier:
                    inputs = lineage.get(output_id, ())
                    if max_nodes is not None and len(depths) + len(inputs) > max_nodes \
                            and len(depths) + sum(e.input_id not in depths for e in inputs) > max_nodes:
                        rest = frontier[frontier.index(output_id):]  # a batch is in a frontier once
                        return Upstream(depths, edges, [b for b in (*rest, *below) if lineage.get(b)], True)
                    for edge in inputs:
                        edges.append(edge)
                        input_id: str = edge.input_id
                        if input_id not in depths:
                            depths[input_id] = depth + 1
                            below.append(input_id)
                frontier = below
                depth += 1
        return Upstream(depths, edges, [b for b in frontier if lineage.get(b)], False)

    def trace_node(self, batch: Batch, producer: Participant, depth: int, subdivision: str | None) -> TraceNode:
        """The `TraceNode` of `batch` at `depth`, reused while the batch and producer objects are the cached ones
        (they are rebuilt when an event changes them), so a repeated trace allocates almost nothing."""
        key = (batch.id, depth)
        node = self._node_cache.get(key)
        if node is None or node.batch is not batch or node.producer is not producer \
                or node.facility_subdivision != subdivision:
            if len(self._node_cache) >= BATCH_CACHE_SIZE:
                self._node_cache.clear()
            node = self._node_cache[key] = TraceNode(batch, producer, depth, subdivision)
        return node

    def _lineage_map(self) -> dict[str, list[TraceEdge]]:
        if self._lineage is None:
            lineage: dict[str, list[TraceEdge]] = {}
            cursor = self._db.cursor()
            cursor.row_factory = None
            for output_id, input_id, quantity in cursor.execute(
                    "SELECT batch_id, input_id, quantity FROM inputs ORDER BY rowid"):
                _add_edge(lineage, output_id, input_id, int(quantity))
            self._lineage = lineage
        return self._lineage

    def inputs_of(self, batch_id: str) -> list[str]:
        with self._lock:
            return [e.input_id for e in self._lineage_map().get(batch_id, ())]

    def consumers(self, batch_id: str) -> list[str]:
        """The batches that consumed `batch_id` (the lineage read downstream)."""
        with self._lock:
            if self._consumers is None:
                consumers: dict[str, list[str]] = {}
                for output_id, edges in self._lineage_map().items():
                    for edge in edges:
                        _add_consumer(consumers, edge.input_id, output_id)
                self._consumers = consumers
            return list(self._consumers.get(batch_id, ()))

    def own_batch_ids(self, address: str) -> frozenset[str]:
        """Batches `address` produced, holds or has held (cached until an event touches a batch)."""
        with self._lock:
            found = self._own_cache.get(address)
            if found is None:
                rows = self._rows("SELECT id FROM batches WHERE producer = ? UNION SELECT batch_id FROM custody "
                                  "WHERE to_address = ? OR from_address = ?", (address, address, address))
                if len(self._own_cache) > 10_000:
                    self._own_cache.clear()
                found = self._own_cache[address] = frozenset(str(r[0]) for r in rows)
            return found

    def held_batch_ids(self, address: str, *, after: tuple[int, int] | None = None,
                       limit: int = 50) -> list[tuple[str, int, int]]:
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
            f"b.producer) = ? {clause} ORDER BY b.block_number DESC, b.log_index DESC LIMIT ?", [*params, limit])
        return [(str(r[0]), int(r[1]), int(r[2])) for r in rows]

    def produced_ids(self, address: str) -> set[str]:
        return {str(r[0]) for r in self._rows("SELECT id FROM batches WHERE producer = ?", (address,))}

    def roles_of(self, address: str) -> frozenset[Role]:
        """The roles `address` holds now (ADMIN included), from the grants and revocations in chain order (cached
        until a participant event)."""
        with self._lock:
            cached = self._roles_cache.get(address)
            if cached is not None:
                return cached
            roles: set[Role] = set()
            for r in self._rows("SELECT role, granted FROM roles WHERE address = ? ORDER BY block_number, log_index",
                                (address,)):
                if r["role"] in Role.__members__:
                    (roles.add if r["granted"] else roles.discard)(Role(r["role"]))
            if len(self._roles_cache) > 10_000:
                self._roles_cache.clear()
            found = self._roles_cache[address] = frozenset(roles)
            return found

    def party_owner(self, gln: str) -> str | None:
        row = self._one("SELECT address FROM participants WHERE party_gln = ?", (gln,))
        return str(row["address"]) if row else None

    def upstream_sql(self, batch_id: str, max_depth: int) -> list[tuple[str, str, int, int]]:
        """`upstream` by recursive CTE, straight from the tables (the reference the in-memory walk must match)."""
        rows = self._rows(
            """
            WITH RECURSIVE up(input_id, batch_id, quantity, depth) AS (
                SELECT input_id, batch_id, quantity, 0 FROM inputs WHERE batch_id = ?
                UNION
                SELECT i.input_id, i.batch_id, i.quantity, up.depth + 1
                FROM inputs i JOIN up ON i.batch_id = up.input_id WHERE up.depth + 1 < ?
            )
            SELECT input_id, batch_id, quantity, MIN(depth) AS depth FROM up GROUP BY input_id, batch_id
            """,
            (batch_id, max_depth),
        )
        return [(r["input_id"], r["batch_id"], int(r["quantity"]), int(r["depth"])) for r in rows]

    def anchor(self, root: str) -> sqlite3.Row | None:
        return self._one("SELECT * FROM anchors WHERE root = ?", (root,))

    def add_anchored_records(self, root: str, producer: str,
                             records: Sequence[tuple[str, str, str, list[str]]]) -> None:
        """Remember the records (batch id, GTIN, lot, proof) a bundle ties to `root`."""
        with self._tx() as db:
            db.executemany(
                "INSERT OR REPLACE INTO anchored_records VALUES (?, ?, ?, ?, ?, ?)",
                [(batch_id.lower(), root.lower(), producer, gtin, lot, json.dumps(proof))
                 for batch_id, gtin, lot, proof in records],
            )

    def recording(self, batch_id: str) -> BatchRecording | None:
        """Recorded individually (a `BatchRecorded` row), anchored (a known proof to an indexed root), or None."""
        from ledger.anchoring import BatchRecording

        row = self._one("SELECT b.id, b.producer, b.tx_hash, b.block_number, b.log_index, c.root FROM batches b "
                        "LEFT JOIN anchor_claims c ON c.batch_id = b.id WHERE b.id = ?", (batch_id,))
        if row is not None:
            return BatchRecording(BatchId(row["id"]), "recorded", self._tx_ref(row), producer=Address(row["producer"]),
                                  root=Hash32(row["root"]) if row["root"] else None)
        row = self._one(
            "SELECT r.batch_id, r.root, r.proof, a.producer, a.tx_hash, a.block_number, a.log_index "
            "FROM anchored_records r JOIN anchors a ON a.root = r.root AND a.producer = r.producer "
            "WHERE r.batch_id = ? ORDER BY a.block_number, a.log_index LIMIT 1", (batch_id,))
        if row is None:
            return None
        return BatchRecording(BatchId(row["batch_id"]), "anchored", self._tx_ref(row), root=Hash32(row["root"]),
                              proof=tuple(Hash32(p) for p in json.loads(row["proof"])),
                              producer=Address(row["producer"]))

    # -- reads: disclosures ------------------------------------------------------------------------------------

    def disclosure(self, disclosure_id: str) -> Disclosure | None:
        """A disclosure with its versions and attestations. Built objects are cached until a disclosure event."""
        with self._lock:
            found = self._disclosure_cache.get(disclosure_id)
            if found is None:
                found = self._load_disclosure(disclosure_id)
                weight = sum(len(v.metrics) + 1 for v in found.versions) + len(found.attestations) if found else 0
                if found is not None and weight <= DISCLOSURE_CACHE_WEIGHT // 100:  # a rare giant is read each time
                    if self._disclosure_weight + weight > DISCLOSURE_CACHE_WEIGHT:
                        self._forget_disclosures()
                    self._disclosure_cache[disclosure_id] = found
                    self._disclosure_weight += weight
            return found

    def _forget_disclosures(self) -> None:
        self._disclosure_cache.clear()
        self._disclosure_weight = 0

    def _load_disclosure(self, disclosure_id: str) -> Disclosure | None:
        rows = self._rows("SELECT * FROM disclosure_versions WHERE disclosure_id = ? ORDER BY version",
                          (disclosure_id,))
        if not rows:
            return None
        versions = tuple(
            DisclosureVersion(
                version=int(r["version"]),
                metrics=tuple(MetricValue(code, from_scaled(int(value), int(decimals)), unit)
                              for code, value, decimals, unit in json.loads(r["metrics"])),
                document_hash=Hash32(r["document_hash"]), uri=r["uri"], supersedes=int(r["supersedes"]),
                reason=r["reason"], content_hash=Hash32(r["content_hash"]), signer=Address(r["participant"]),
                tx=self._tx_ref(r), public=bool(r["is_public"]),
            )
            for r in rows
        )
        # Each attestation is revoked by the first revocation of its version by its auditor that follows it (an
        # auditor may attest, revoke, attest again and revoke again: each revocation ends one attestation).
        pending: dict[tuple[int, str], list[sqlite3.Row]] = {}
        for r in self._rows("SELECT * FROM revocations WHERE disclosure_id = ? ORDER BY block_number, log_index",
                            (disclosure_id,)):
            pending.setdefault((int(r["version"]), r["auditor"]), []).append(r)
        attestations = []
        for a in self._rows("SELECT * FROM attestations WHERE disclosure_id = ? ORDER BY block_number, log_index",
                            (disclosure_id,)):
            later = [r for r in pending.get((int(a["version"]), a["auditor"]), [])
                     if (r["block_number"], r["log_index"]) > (a["block_number"], a["log_index"])]
            revoked = later[0] if later else None
            if revoked is not None:
                pending[(int(a["version"]), a["auditor"])].remove(revoked)
            attestations.append(Attestation(
                disclosure_id=DisclosureId(disclosure_id), version=int(a["version"]), auditor=Address(a["auditor"]),
                level=LEVELS[a["level"]], opinion=OPINIONS[a["opinion"]], report_hash=Hash32(a["report_hash"]),
                tx=self._tx_ref(a), revoked=self._tx_ref(revoked) if revoked is not None else None,
                revoke_reason=revoked["reason"] if revoked is not None else None,
            ))
        first = rows[0]
        return Disclosure(DisclosureId(disclosure_id), Address(first["participant"]), first["period"],
                          first["framework"], versions, tuple(attestations))

    def disclosure_ids(self, *, participant: str | None = None, period: str | None = None,
                       framework: str | None = None, after: tuple[int, int] | None = None,
                       limit: int = 1_000) -> list[tuple[str, int, int]]:
        clauses: list[str] = ["version = 1"]
        params: list[Any] = []
        for column, value in (("participant", participant), ("period", period), ("framework", framework)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            clauses.append("(block_number, log_index) > (?, ?)")
            params.extend(after)
        rows = self._rows(
            f"SELECT disclosure_id, block_number, log_index FROM disclosure_versions WHERE {' AND '.join(clauses)} "
            "ORDER BY block_number, log_index LIMIT ?", [*params, limit])
        return [(r["disclosure_id"], int(r["block_number"]), int(r["log_index"])) for r in rows]

    # -- reads: documents --------------------------------------------------------------------------------------

    def document_citations(self, document_hash: str) -> list[Citation]:
        """Every record that commits to `document_hash` (0x + 64 lower-case hex digits): batches citing it among
        their documents, disclosure versions, attestations (assurance reports) and participant profiles; in chain
        order."""
        found: list[Citation] = []
        for r in self._rows("SELECT d.batch_id, d.kind, b.producer, b.tx_hash, b.block_number, b.log_index "
                            "FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.hash = ?",
                            (document_hash,)):
            found.append(Citation(CitationKind.BATCH, r["batch_id"], Address(r["producer"]), self._tx_ref(r),
                                  document_kind=DOCUMENT_KINDS[r["kind"]] if r["kind"] < len(DOCUMENT_KINDS)
                                  else DocumentKind.OTHER))
        for r in self._rows("SELECT disclosure_id, version, participant, tx_hash, block_number, log_index "
                            "FROM disclosure_versions WHERE document_hash = ?", (document_hash,)):
            found.append(Citation(CitationKind.DISCLOSURE, r["disclosure_id"], Address(r["participant"]),
                                  self._tx_ref(r), version=int(r["version"])))
        for r in self._rows("SELECT disclosure_id, version, auditor, tx_hash, block_number, log_index "
                            "FROM attestations WHERE report_hash = ?", (document_hash,)):
            found.append(Citation(CitationKind.ATTESTATION, r["disclosure_id"], Address(r["auditor"]),
                                  self._tx_ref(r), version=int(r["version"])))
        for r in self._rows("SELECT address, tx_hash, block_number, log_index FROM participants "
                            "WHERE profile_hash = ?", (document_hash,)):
            found.append(Citation(CitationKind.PARTICIPANT, r["address"], Address(r["address"]), self._tx_ref(r)))
        found.sort(key=lambda c: (c.tx.block_number, c.tx.log_index))
        return found

    def block_at_or_before(self, timestamp: int) -> int | None:
        """The latest indexed block with a time at or before `timestamp` (every block holding an event is kept, so
        the facts as of that time are the facts as of this block); None if the index holds none that early."""
        row = self._one("SELECT MAX(number) AS n FROM blocks WHERE timestamp <= ?", (timestamp,))
        return int(row["n"]) if row is not None and row["n"] is not None else None

    def stats(self) -> dict[str, int]:
        counts = {}
        for table in ("participants", "batches", "custody", "flags", "disclosure_versions", "attestations"):
            row = self._one(f"SELECT COUNT(*) AS n FROM {table}")
            counts[table] = int(row["n"]) if row else 0
        return counts


def _add_edge(lineage: dict[str, list[TraceEdge]], output_id: str, input_id: str, quantity: int) -> None:
    items = lineage.setdefault(output_id, [])
    if all(e.input_id != input_id for e in items):  # an input named twice counts once, as the SQL reference does
        items.append(TraceEdge(BatchId(input_id), BatchId(output_id), milli(quantity)))


def _add_consumer(consumers: dict[str, list[str]], input_id: str, output_id: str) -> None:
    items = consumers.setdefault(input_id, [])
    if output_id not in items:
        items.append(output_id)


def _json_default(value: Any) -> str:
    return "0x" + value.hex() if isinstance(value, bytes) else str(value)


def move_aside(path: Path, reason: str) -> Path:
    """Move an index file that cannot be used out of the way: the index is a cache of the chain, rebuilt from it."""
    return move_file_aside(path, "index file", reason, "rebuilding it from the chain")
