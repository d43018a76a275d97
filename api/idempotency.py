"""`Idempotency-Key` for writes: a retry with the same key and body gets the first answer and sends nothing again;
the same key with another body is refused. Answers are kept in memory (bounded, oldest dropped first); only
successful writes are remembered, so a refused write can be corrected and retried under the same key.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class IdempotencyKeyReusedError(Exception):
    code = "idempotency_key_reused"


def fingerprint(route: str, body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(f"{route}\n{canonical}".encode()).hexdigest()


class IdempotencyStore:
    def __init__(self, max_entries: int = 10_000) -> None:
        self.max_entries = max_entries
        self._answers: OrderedDict[str, tuple[str, Any]] = OrderedDict()
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def run(self, key: str | None, print_: str, action: Callable[[], T]) -> tuple[T, bool]:
        """Run `action` once per key; returns its answer and whether it was replayed from an earlier request."""
        if key is None:
            return action(), False
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:  # a concurrent retry waits for the first attempt instead of sending again
            with self._guard:
                seen = self._answers.get(key)
            if seen is not None:
                if seen[0] != print_:
                    raise IdempotencyKeyReusedError(
                        f"Idempotency-Key {key!r} was already used with another request body or route")
                return seen[1], True
            answer = action()
            with self._guard:
                self._answers[key] = (print_, answer)
                while len(self._answers) > self.max_entries:
                    old, _ = self._answers.popitem(last=False)
                    self._locks.pop(old, None)
            return answer, False
