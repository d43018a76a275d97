"""One bounded cache for content-addressed values (a value behind a hash never changes, so it never goes stale):
least recently used first out, bounded by the total weight of what it keeps, thread-safe.

The index's caches, which events make stale, are `ledger.index.caches.Caches`; this is for what nothing makes stale:
the vault's checked bytes, documents read by the rule packs' parsers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class WeightedLru(Generic[K, V]):
    """Keeps values up to `max_weight` in total (the caller gives each value's weight, e.g. its size in bytes); a
    value heavier than `max_item` is never kept (a rare giant must not push out everything else)."""

    def __init__(self, max_weight: int, max_item: int | None = None) -> None:
        self.max_weight = max_weight
        self.max_item = max_weight // 16 if max_item is None else max_item
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            self._items.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, weight: int) -> None:
        if weight > self.max_item:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, weight)
            self._weight += weight
            while self._weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    @property
    def weight(self) -> int:
        """The total weight of what is kept."""
        return self._weight

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._weight = 0
