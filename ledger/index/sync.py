"""Incremental, reorg-safe sync of contract events into the index.

Logs are fetched in bounded `eth_getLogs` windows and applied one window per SQLite transaction together with the
checkpoint, so a process killed at any point resumes with no missing or duplicate rows. Blocks closer to the head
than `confirmations` are left for later; a checkpoint whose block hash changed is rolled back to the fork point.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes
from web3.exceptions import BlockNotFound

from ledger.chain import Chain
from ledger.codec import EventDecoder
from ledger.compile import load_artifact
from ledger.index.store import IndexStore
from ledger.types import Deployment


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

    def sync(self, to_block: int | None = None) -> SyncStatus:
        """Index everything up to `to_block` (default: head minus confirmations). Safe to call concurrently."""
        with self._lock:
            head = self.chain.head
            target = min(to_block if to_block is not None else head, head - self.confirmations)
            self._roll_back_reorg()
            start = max(self.store.checkpoint + 1, self.deployment.block_number)
            events = 0
            while start <= target:
                end = min(start + self.window - 1, target)
                events += self._index_window(start, end)
                start = end + 1
            return SyncStatus(head, self.store.checkpoint, events, self.reorgs)

    def status(self) -> SyncStatus:
        return SyncStatus(self.chain.head, self.store.checkpoint, 0, self.reorgs)

    def _index_window(self, start: int, end: int) -> int:
        w3 = self.chain.w3
        logs = self.chain._guard(
            lambda: w3.eth.get_logs({"address": self.deployment.ledger, "fromBlock": start, "toBlock": end})
        )
        end_block = self.chain._guard(lambda: w3.eth.get_block(end))
        decoded: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        for log in logs:
            result = self.decoder.decode(list(log["topics"]), bytes(log["data"]))
            if result is None:
                continue
            number = int(log["blockNumber"])
            meta = {
                "tx_hash": _hex(log["transactionHash"]),
                "block_number": number,
                "log_index": int(log["logIndex"]),
                "block_hash": _hex(log["blockHash"]),
                "timestamp": self._timestamp(number, log),
            }
            decoded.append((result[0], result[1], meta))
        self.store.apply(decoded, end, _hex(end_block["hash"]), int(end_block["timestamp"]))
        return len(decoded)

    def _timestamp(self, number: int, log: Any) -> int:
        stamp = log.get("blockTimestamp") if hasattr(log, "get") else None
        if stamp is not None:
            return int(stamp, 16) if isinstance(stamp, str) else int(stamp)
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
