"""Incremental, reorg-safe sync of contract events into the index.

Logs are fetched in bounded `eth_getLogs` windows and applied one window per SQLite transaction together with the
checkpoint, so a process killed at any point resumes with no missing or duplicate rows. Blocks closer to the head
than `confirmations` are left for later; a checkpoint whose block hash changed is rolled back to the fork point.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

from hexbytes import HexBytes
from web3.exceptions import BlockNotFound

from ledger.chain import Chain
from ledger.codec import EventDecoder
from ledger.compile import load_artifact
from ledger.errors import LedgerUnavailableError
from ledger.index.store import IndexStore
from ledger.types import Deployment

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

    @property
    def lag(self) -> int:
        return max(0, self.chain_head - self.indexed_block)


class Indexer:
    def __init__(
        self,
        chain: Chain,
        deployment: Deployment,
        store: IndexStore,
        *,
        confirmations: int = 0,
        window: int = 2_000,
    ) -> None:
        self.chain = chain
        self.deployment = deployment
        self.store = store
        self.confirmations = confirmations
        self.window = window
        self.decoder = EventDecoder(load_artifact("ProvenanceLedger").abi)
        self.reorgs = 0
        self._lock = threading.Lock()
        self._timestamps: dict[int, int] = {}
        self._span = min(window, FIRST_SPAN)

    def sync(self, to_block: int | None = None) -> SyncStatus:
        """Index everything up to `to_block` (default: head minus confirmations). Safe to call concurrently."""
        with self._lock:
            head = self.chain.head
            target = min(to_block if to_block is not None else head, head - self.confirmations)
            self._roll_back_reorg()
            start = max(self.store.checkpoint + 1, self.deployment.block_number)
            events = 0
            while start <= target:
                end = min(start + min(self._span, self.window) - 1, target)
                found = self._index_window(start, end)
                events += found
                self._adapt_span(end - start + 1, found)
                start = end + 1
            return SyncStatus(head, self.store.checkpoint, events, self.reorgs)

    def _adapt_span(self, span: int, found: int) -> None:
        """Size the next window so that it holds about `TARGET_LOGS` events: bounded memory per window and per
        transaction, however dense the blocks are; never more than `window` blocks."""
        if found > 2 * TARGET_LOGS:
            self._span = max(1, span * TARGET_LOGS // found)
        elif found < TARGET_LOGS // 2 and span >= self._span:
            self._span = min(self.window, self._span * 2)

    def status(self) -> SyncStatus:
        return SyncStatus(self.chain.head, self.store.checkpoint, 0, self.reorgs)

    def _index_window(self, start: int, end: int) -> int:
        w3 = self.chain.w3
        logs = self._fetch_logs(start, end)
        end_block = self.chain._guard(lambda: w3.eth.get_block(end))
        decoded: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for log in logs:
            result = self.decoder.decode(log.topics, log.data)
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
                lambda: w3.eth.get_logs({"address": self.deployment.ledger, "fromBlock": start, "toBlock": end})
            )
            return [_Log([bytes(t) for t in log["topics"]], bytes(log["data"]), int(log["blockNumber"]),
                         int(log["logIndex"]), _hex(log["transactionHash"]), _hex(log["blockHash"]), None)
                    for log in logs]
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
            out.append(_Log([bytes.fromhex(t[2:]) for t in log["topics"]], bytes.fromhex(log["data"][2:]),
                            int(log["blockNumber"], 16), int(log["logIndex"], 16), log["transactionHash"],
                            log["blockHash"], int(stamp, 16) if isinstance(stamp, str) else stamp))
        return out

    def _timestamp(self, number: int) -> int:
        if number not in self._timestamps:
            if len(self._timestamps) > 10_000:
                self._timestamps.clear()
            block = self.chain._guard(lambda: self.chain.w3.eth.get_block(number))
            self._timestamps[number] = int(block["timestamp"])
        return self._timestamps[number]

    def _roll_back_reorg(self) -> None:
        """If the indexed tip's block hash changed, walk back over known blocks to the fork and drop what follows."""
        for number, known_hash in self.store.recent_blocks():
            try:
                block = self.chain._guard(lambda n=number: self.chain.w3.eth.get_block(n))
            except BlockNotFound:
                continue
            if _hex(block["hash"]) == known_hash:
                if number < self.store.checkpoint:
                    self.store.roll_back(number, known_hash)
                    self.reorgs += 1
                    self._timestamps.clear()
                return
        if self.store.checkpoint > 0 and self.store.recent_blocks():
            self.store.roll_back(self.deployment.block_number - 1, "")
            self.reorgs += 1
            self._timestamps.clear()


def _hex(value: Any) -> str:
    if isinstance(value, (bytes, HexBytes)):
        return "0x" + bytes(value).hex()
    return str(value)
