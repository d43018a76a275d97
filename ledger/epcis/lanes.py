"""Capture jobs in one lane per capturer.

A capturer's jobs run one after another, in the order they came: they sign consecutive nonces of one account and
must not race for them. Lanes run side by side, each on a thread of its own that ends when its lane is empty, so one
capturer's backlog, or a job of its waiting out its rate limit, never delays another capturer's capture. Threads
are as many as capturers with work queued; what one capturer may queue is bounded where jobs are accepted
(`CaptureBounds.max_unfinished`), and only signed-in members capture.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable

log = logging.getLogger("ledger.epcis")


class Lanes:
    def __init__(self, run: Callable[[str], None]) -> None:
        """`run(job_id)` runs one job to its end (or until it must be tried again later; it reschedules itself)."""
        self._run = run
        self._guard = threading.Lock()
        self._queued: dict[str, deque[str]] = {}  # capturer -> its job ids, in order; present while its lane runs
        self._threads: dict[str, threading.Thread] = {}
        self._closed = False

    def put(self, capturer: str, job_id: str) -> None:
        """Queue a job in its capturer's lane, starting the lane if it is idle."""
        with self._guard:
            if self._closed:
                return
            lane = self._queued.get(capturer)
            if lane is not None:
                if job_id not in lane:
                    lane.append(job_id)
                return
            self._queued[capturer] = deque([job_id])
            thread = threading.Thread(
                target=self._drain, args=(capturer,), name=f"epcis-capture-{capturer[:10]}", daemon=True
            )
            self._threads[capturer] = thread
            thread.start()

    def busy(self) -> int:
        """Lanes running now."""
        with self._guard:
            return len(self._queued)

    def close(self, timeout: float = 30.0) -> None:
        """Take no more jobs; wait (up to `timeout` in all) for the running ones to stop (jobs left unfinished are
        resumed when the service starts again)."""
        with self._guard:
            self._closed = True
            threads = list(self._threads.values())
        for thread in threads:
            thread.join(timeout=timeout / max(len(threads), 1))

    def _drain(self, capturer: str) -> None:
        while True:
            with self._guard:
                lane = self._queued[capturer]
                if not lane or self._closed:
                    del self._queued[capturer]
                    del self._threads[capturer]
                    return
                job_id = lane[0]
            try:
                self._run(job_id)
            except Exception:  # a bug: the lane goes on with the capturer's next job
                log.exception("capture job %s failed", job_id)
            with self._guard:
                lane.popleft()
