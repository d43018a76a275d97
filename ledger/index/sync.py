"""Incremental, reorg-safe sync of contract events into the index.

Logs are fetched in bounded `eth_getLogs` windows and applied one window per SQLite transaction together with the
checkpoint, so a process killed at any point resumes with no missing or duplicate rows. Blocks closer to the head
than `confirmations` are left for later; a checkpoint whose block hash changed is rolled back to the fork point.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, NamedTuple

from hexbytes import HexBytes
from web3.exceptions import BlockNotFound

from ledger.chain.codec import EventDecoder
from ledger.chain.compile import load_artifact
from ledger.chain.connection import Chain
from ledger.domain.errors import ChainMismatchError, LedgerUnavailableError
from ledger.domain.types import Deployment
from ledger.index.events import UNREADABLE
from ledger.index.reader import IndexWriter
from ledger.lru import WeightedLru

_PINNED: ContextVar[dict[int, SyncStatus] | None] = ContextVar("ledger_index_pinned", default=None)
BATCH_EVENTS = frozenset({"BatchRecorded", "CustodyTransferred", "BatchFlagged"})  # topic 1 is the batch id
FIRST_SPAN = 64  # blocks in the first window of a sync; later windows adapt to the density of events
TARGET_LOGS = 5_000  # events per window the adaptive span aims for


class _Log(NamedTuple):
    topics: list[bytes]
    data: bytes
    block_number: int
    log_index: int
    tx_hash: str
    block_hash: str
    timestamp: int | None


@dataclass(frozen=True)
class SyncStatus:
    chain_head: int
    indexed_block: int
    events: int
    reorgs: int
    unreadable: int = 0  # events kept in the index but not understood by it

    @property
    def lag(self) -> int:
        return max(0, self.chain_head - self.indexed_block)


class Indexer:
    def __init__(
        self,
        chain: Chain,
        deployment: Deployment,
        store: IndexWriter,
        *,
        confirmations: int = 0,
        window: int = 2_000,
        max_staleness: float = 0.0,
    ) -> None:
        self.chain = chain
        self.deployment = deployment
        self.store = store
        self.confirmations = confirmations
        self.window = window
        self.decoder = EventDecoder(load_artifact("ProvenanceLedger").abi)
        self.reorgs = 0
        self._lock = threading.Lock()
        self._timestamps: WeightedLru[int, int] = WeightedLru(10_000, max_item=1)  # block -> time; cleared on a reorg
        self._span = min(window, FIRST_SPAN)
        self._last: tuple[float, SyncStatus] | None = None  # (start time, result) of the last full sync
        self.max_staleness = max_staleness
        self._written_at = 0.0  # when this process last wrote: a sync started before then may miss the write
        self._failed_at = float("-inf")  # when a sync last found the node down

    def sync(self, to_block: int | None = None) -> SyncStatus:
        """Index everything up to `to_block` (default: head minus confirmations). Safe to call concurrently.

        Concurrent callers share work: a caller that waited while another sync ran returns that sync's result if it
        started after the caller arrived (it saw every block the caller could know of). A sync with nothing new to
        index costs one `eth_getBlockByNumber("latest")` when the index is at the head. With `max_staleness` > 0, a
        read within that many seconds of the last sync's start reuses it without asking the node: other processes'
        writes then show up at most that late, this process's own at once (`invalidate`)."""
        scope = _PINNED.get()
        if to_block is None and scope is not None and id(self) in scope:
            return replace(scope[id(self)], events=0)
        arrival = time.monotonic()
        last = self._last
        if (
            to_block is None
            and last is not None
            and last[0] >= self._written_at
            and arrival - last[0] <= self.max_staleness
            and last[1].indexed_block == self.store.checkpoint
        ):  # not a fresh index (a damaged one replaced)
            return replace(last[1], events=0)  # a sync this recent is fresh enough (see `max_staleness`)
        with self._lock:
            last = self._last
            if to_block is None and last is not None and last[0] >= arrival:
                return replace(last[1], events=0)
            self._fail_fast(arrival)  # the sync this caller waited for found the node down: no second wait
            try:
                return self._sync_locked(to_block, scope)
            except ChainMismatchError:
                raise
            except LedgerUnavailableError:
                self._failed_at = time.monotonic()
                raise

    def _fail_fast(self, arrival: float) -> None:
        """A caller that waited while a sync found the node down answers at once, instead of waiting a timeout of
        its own (eight requests queued on a hung node would otherwise take eight timeouts)."""
        if self._failed_at >= arrival:
            raise LedgerUnavailableError(
                f"the chain node did not answer within {self.chain.node_timeout:g} s; try again shortly"
            )

    def _sync_locked(self, to_block: int | None, scope: dict[int, SyncStatus] | None) -> SyncStatus:
        """One sync, under `self._lock` (held by the caller)."""
        started = time.monotonic()
        head, head_hash = self._latest()
        target = min(to_block if to_block is not None else head, head - self.confirmations)
        self._roll_back_reorg({head: head_hash})
        start = max(self.store.checkpoint + 1, self.deployment.block_number)
        events = 0
        while start <= target:
            end = min(start + min(self._span, self.window) - 1, target)
            found = self._index_window(start, end)
            events += found
            self._adapt_span(end - start + 1, found)
            start = end + 1
        status = SyncStatus(head, self.store.checkpoint, events, self.reorgs)
        if to_block is None:
            self._last = (started, status)
            if scope is not None:
                scope[id(self)] = status
        return status

    def invalidate(self) -> None:
        """Forget the last sync, so the next read syncs again (called after this process writes: read-your-writes
        holds whatever `max_staleness` is)."""
        self._written_at = time.monotonic()

    @contextmanager
    def pinned(self) -> Iterator[None]:
        """Within this block (per thread or task), reads sync once: the first read brings the index to the head and
        later reads use that view. For a request that makes many reads (a due-diligence report reads the trace and
        every producer's disclosures): one node round trip instead of one per read. Writes made inside the block
        are not seen by its later reads."""
        outer = _PINNED.get()
        token = _PINNED.set({} if outer is None else outer)
        try:
            yield
        finally:
            _PINNED.reset(token)

    def _latest(self) -> tuple[int, str]:
        """Number and hash of the chain's latest block (raw JSON-RPC on a node: this runs before every read)."""
        w3 = self.chain.w3
        if self.chain.embedded:
            block = self.chain._guard(lambda: w3.eth.get_block("latest"))
            return int(block["number"]), _hex(block["hash"])
        response = self.chain._guard(lambda: w3.provider.make_request("eth_getBlockByNumber", ["latest", False]))  # type: ignore[arg-type]
        if "error" in response or not response.get("result"):
            raise LedgerUnavailableError(f"eth_getBlockByNumber(latest) failed: {response.get('error')}")
        return int(response["result"]["number"], 16), str(response["result"]["hash"])

    def _adapt_span(self, span: int, found: int) -> None:
        """Size the next window so that it holds about `TARGET_LOGS` events: bounded memory per window and per
        transaction, however dense the blocks are; never more than `window` blocks."""
        if found > 2 * TARGET_LOGS:
            self._span = max(1, span * TARGET_LOGS // found)
        elif found < TARGET_LOGS // 2 and span >= self._span:
            self._span = min(self.window, self._span * 2)

    def status(self) -> SyncStatus:
        return SyncStatus(self.chain.head, self.store.checkpoint, 0, self.reorgs, self.store.unreadable_count())

    def _index_window(self, start: int, end: int) -> int:
        w3 = self.chain.w3
        logs = self._fetch_logs(start, end)
        end_block = self.chain._guard(lambda: w3.eth.get_block(end))
        decoded: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for log in logs:
            try:
                result = self.decoder.decode(log.topics, log.data)
            except Exception as exc:  # a log of ours whose data does not decode: kept as unreadable, sync goes on
                result = (UNREADABLE, _unreadable(self.decoder.name_of(log.topics), log, exc))
            if result is None:
                continue
            meta = {
                "tx_hash": log.tx_hash,
                "block_number": log.block_number,
                "log_index": log.log_index,
                "block_hash": log.block_hash,
                "timestamp": log.timestamp if log.timestamp is not None else self._timestamp(log.block_number),
            }
            decoded.append((result[0], result[1], meta))
        del logs
        self.store.apply(decoded, end, _hex(end_block["hash"]), int(end_block["timestamp"]))
        return len(decoded)

    def _fetch_logs(self, start: int, end: int) -> list[_Log]:
        """The ledger's logs in [start, end]. On a JSON-RPC node the raw response is read directly (web3's result
        formatting costs more than decoding and storing the events); on the embedded chain through web3."""
        w3 = self.chain.w3
        if self.chain.embedded:
            logs = self.chain._guard(
                lambda: w3.eth.get_logs(
                    {
                        "address": self.deployment.ledger,  # type: ignore[typeddict-item]
                        "fromBlock": start,
                        "toBlock": end,
                    }
                )
            )
            return [
                _Log(
                    [bytes(t) for t in log["topics"]],
                    bytes(log["data"]),
                    int(log["blockNumber"]),
                    int(log["logIndex"]),
                    _hex(log["transactionHash"]),
                    _hex(log["blockHash"]),
                    None,
                )
                for log in logs
            ]
        query = {"address": self.deployment.ledger, "fromBlock": hex(start), "toBlock": hex(end)}
        response = self.chain._guard(lambda: w3.provider.make_request("eth_getLogs", [query]))  # type: ignore[arg-type]
        if "error" in response:
            if end > start:  # too many results or too wide a range for this node: split the window
                middle = (start + end) // 2
                self._span = max(1, (end - start + 1) // 2)
                return self._fetch_logs(start, middle) + self._fetch_logs(middle + 1, end)
            raise LedgerUnavailableError(f"eth_getLogs [{start}, {end}] failed: {response['error']}")
        out = []
        for log in response["result"]:
            stamp = log.get("blockTimestamp")
            out.append(
                _Log(
                    [bytes.fromhex(t[2:]) for t in log["topics"]],
                    bytes.fromhex(log["data"][2:]),
                    int(log["blockNumber"], 16),
                    int(log["logIndex"], 16),
                    log["transactionHash"],
                    log["blockHash"],
                    int(stamp, 16) if isinstance(stamp, str) else stamp,
                )
            )
        return out

    def _timestamp(self, number: int) -> int:
        known = self._timestamps.get(number)
        if known is None:
            block = self.chain._guard(lambda: self.chain.w3.eth.get_block(number))
            known = int(block["timestamp"])
            self._timestamps.put(number, known, 1)
        return known

    def _roll_back_reorg(self, fetched: dict[int, str]) -> None:
        """If the indexed tip's block hash changed, walk back over known blocks to the fork and drop what follows.
        `fetched` holds block hashes already read from the chain in this sync.

        Before dropping anything the chain is checked to still hold the deployment (same genesis block, contract
        code present): a reset or replaced chain is a `ChainMismatchError`, and the index is kept as it is."""
        for number, known_hash in self.store.recent_blocks():
            chain_hash = fetched.get(number)
            if chain_hash is None:
                try:
                    block = self.chain._guard(lambda n=number: self.chain.w3.eth.get_block(n))
                except BlockNotFound:
                    continue
                chain_hash = _hex(block["hash"])
            if chain_hash == known_hash:
                if number < self.store.checkpoint:
                    self._verify_chain()
                    self.store.roll_back(number, known_hash)
                    self.reorgs += 1
                    self._timestamps.clear()
                return
        if self.store.checkpoint > 0 and self.store.recent_blocks():
            self._verify_chain()
            raise ChainMismatchError(
                f"none of the last blocks this index holds (up to block {self.store.checkpoint}) is on the node's "
                "chain any more: a reorganisation deeper than the index tracks, or another chain"
            )

    def _verify_chain(self) -> None:
        from ledger.chain.deploy import deployment_problem

        problem = deployment_problem(self.chain, self.deployment)
        if problem is not None:
            raise ChainMismatchError(f"{problem}; the index (at block {self.store.checkpoint}) is kept as it was")


def _unreadable(name: str | None, log: _Log, exc: Exception) -> dict[str, Any]:
    topics = ["0x" + bytes(t).hex() for t in log.topics]
    return {
        "event": name or "unknown",
        "error": f"{type(exc).__name__}: {exc}",
        "raw": {"topics": topics, "data": "0x" + log.data.hex()},
        "batchId": bytes(log.topics[1]) if name in BATCH_EVENTS and len(log.topics) > 1 else None,
    }


def _hex(value: Any) -> str:
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    return str(value)
