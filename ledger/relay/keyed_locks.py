"""Locks by key (a signer, a capturer) that exist only while someone holds or waits for them.

A plain `dict[key, Lock]` grows by one entry per key ever seen and never shrinks: keyed by anything a caller
chooses, that is memory a caller spends for the service. Here an entry is counted by its users and removed when the
last one lets go, so the table holds at most as many keys as there are threads using it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class KeyedLocks:
    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, tuple[threading.Lock, int]] = {}

    def __len__(self) -> int:
        """Keys held or waited for now."""
        with self._guard:
            return len(self._locks)

    def _enter(self, key: str) -> threading.Lock:
        with self._guard:
            lock, users = self._locks.get(key, (None, 0))
            if lock is None:
                lock = threading.Lock()
            self._locks[key] = (lock, users + 1)
            return lock

    def _leave(self, key: str) -> None:
        with self._guard:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold `key`'s lock (waiting for it) for the duration of the block."""
        lock = self._enter(key)
        try:
            with lock:
                yield
        finally:
            self._leave(key)

    @contextmanager
    def try_hold(self, key: str) -> Iterator[bool]:
        """Hold `key`'s lock if it is free now: yields True while held, False (not held) if another holds it."""
        lock = self._enter(key)
        acquired = lock.acquire(blocking=False)
        try:
            yield acquired
        finally:
            if acquired:
                lock.release()
            self._leave(key)
