"""`EpcisService`: what the API's EPCIS routes call, one method per route, over one `Ledger`.

    POST /capture/facts        service.facts(document_text, capturer)        -> CaptureFacts (JSON: .to_json())
    POST /capture              service.submit(body)                          -> (CaptureJob, new?)  answer 202
    GET  /capture/{id}         service.job(id)                               -> CaptureJob (NotFoundError)
    GET  /events               service.events(query, may_see)                -> EPCISQueryDocument (+ nextPageToken)
    GET  /batches/{id}/epcis   service.lineage(batch_id, may_see, ...)       -> LineagePage (+ nextPageToken)
    GET  /01/{gtin}[/...]      service.resolve(path, may_see, base_url, query=...) -> Resolution (redirect, linkset)

`may_see(batch_id) -> bool` is the caller's visibility (the access rules): events and lineage show only what it
allows. Capture jobs run in one lane per capturer (`ledger.epcis.lanes`): a capturer's jobs one at a time, in the
order they came (they must not race for its nonces), lanes side by side (one capturer's backlog or rate limit never
delays another's); jobs left unfinished by a stop are resumed when the service starts. What one request and one
capturer may ask is bounded (`CaptureBounds`): events per document, signed requests per capture, one document read
at a time per capturer, unfinished jobs per capturer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ledger.domain.errors import CaptureBacklogError, NotFoundError
from ledger.epcis import capture
from ledger.epcis.facts import CaptureFacts
from ledger.epcis.job import run_job
from ledger.epcis.lanes import Lanes
from ledger.epcis.model import CaptureJob
from ledger.epcis.store import EventStore
from ledger.relay.keyed_locks import KeyedLocks

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.epcis.digital_link import Resolution
    from ledger.epcis.export import LineagePage
    from ledger.epcis.query import EventQuery, QueryPage

log = logging.getLogger("ledger.epcis")
#: Seconds before a job interrupted by the node is run again.
RETRY_SECONDS = 10.0
#: Seconds a capturer whose previous document is still being read is told to wait.
READ_RETRY_SECONDS = 2
MaySee = Callable[[str], bool]


class EpcisService:
    def __init__(
        self,
        ledger: Ledger,
        store: EventStore | None = None,
        *,
        worker: bool = True,
        max_wait: float = 300.0,
        bounds: capture.CaptureBounds | None = None,
    ) -> None:
        self.ledger = ledger
        self.store = store if store is not None else EventStore.for_ledger(ledger)
        self.max_wait = max_wait
        self.bounds = bounds or capture.CaptureBounds()
        self.documents = capture.DocumentCache(max_events=self.bounds.max_events, bound=self.bounds.named("max_events"))
        self._reading = KeyedLocks()  # a capturer whose document is being read (facts, submission) right now
        self._stopping = threading.Event()  # ends a job's wait for a rate limit when the service stops
        self._lanes: Lanes | None = None
        if worker:
            self._lanes = Lanes(self._work)
            for job_id in self.store.unfinished_jobs():
                self._queue(job_id)

    def close(self) -> None:
        self._stopping.set()
        if self._lanes is not None:
            self._lanes.close()
        self.store.close()

    # -- capture ------------------------------------------------------------------------------------------------------

    def facts(self, document_text: str, capturer: str) -> CaptureFacts:
        with self._one_read(capturer):
            return capture.facts_for(self.ledger, self.store, document_text, capturer, documents=self.documents)

    def submit(self, body: Any) -> tuple[CaptureJob, bool]:
        """Check a capture (`CaptureSubmission` JSON) and queue its job; the same body again is the same job,
        answered from its digest before the document or any signature is read again."""
        if isinstance(body, dict) and isinstance(body.get("requests"), list):
            capture.check_request_count(len(body["requests"]), self.bounds)  # before one is parsed
        submission = body if isinstance(body, capture.CaptureSubmission) else capture.CaptureSubmission.from_json(body)
        known = self.store.job_of_submission(submission.digest)
        if known is not None:
            return known, False
        with self._one_read(submission.capturer):
            job, new = capture.submit(self.ledger, self.store, submission, documents=self.documents, bounds=self.bounds)
        if new:
            self._queue(job.id, job.capturer)
        return job, new

    def capture_now(self, submission: capture.CaptureSubmission) -> CaptureJob:
        """Submit and run the job in this thread (tests, the demo, the benchmark)."""
        job, _ = capture.submit(self.ledger, self.store, submission, documents=self.documents, bounds=self.bounds)
        return self._run(job.id)

    @contextmanager
    def _one_read(self, capturer: str) -> Iterator[None]:
        """Hold the capturer's turn to have a document read (one at a time per capturer: reading and mapping a
        document is the costly part of a capture request); a second one meanwhile is refused with 429."""
        with self._reading.try_hold(capturer.lower()) as held:
            if not held:
                raise CaptureBacklogError(
                    f"a capture document of {capturer} is being read right now; send the next one when it is answered",
                    retry_after=READ_RETRY_SECONDS,
                )
            yield

    def job(self, job_id: str) -> CaptureJob:
        found = self.store.job(job_id) if len(job_id) <= 64 else None
        if found is None:
            raise NotFoundError(f"no capture job {job_id[:64]}")
        return found

    def wait(self, job_id: str, timeout: float = 60.0) -> CaptureJob:
        """The job once it is finished (or as it is after `timeout` seconds)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.finished or time.monotonic() > deadline:
                return job
            time.sleep(0.05)

    def _run(self, job_id: str) -> CaptureJob:
        return run_job(
            self.ledger, self.store, job_id, max_wait=self.max_wait, documents=self.documents, stopping=self._stopping
        )

    def _queue(self, job_id: str, capturer: str | None = None) -> None:
        if self._lanes is None or self._stopping.is_set():
            return
        if capturer is None:
            found = self.store.job(job_id)
            if found is None:
                return
            capturer = found.capturer
        self._lanes.put(capturer, job_id)

    def _work(self, job_id: str) -> None:
        """Run one job in its capturer's lane."""
        try:
            job = self._run(job_id)
        except Exception as exc:  # a bug: the lane goes on; the job stays unfinished and says why
            log.exception("capture job %s failed", job_id)
            self.store.update_job(job_id, error=f"internal error: {type(exc).__name__}")
            return
        if not job.finished and not self._stopping.is_set():
            # the node was unreachable: try again later (every write has its idempotency key)
            timer = threading.Timer(RETRY_SECONDS, self._queue, (job_id, job.capturer))
            timer.daemon = True
            timer.start()

    # -- reads --------------------------------------------------------------------------------------------------------

    def events(self, query: EventQuery, may_see: MaySee) -> QueryPage:
        from ledger.epcis.query import query_events

        return query_events(self.ledger, self.store, query, may_see)

    def lineage(
        self,
        batch_id: str,
        may_see: MaySee,
        *,
        max_depth: int = 64,
        max_nodes: int | None = None,
        per_page: int | None = None,
        page_token: str | None = None,
    ) -> LineagePage:
        from ledger.epcis.export import DEFAULT_PER_PAGE, lineage_page
        from ledger.trace import MAX_NODES

        return lineage_page(
            self.ledger,
            self.store,
            batch_id,
            may_see,
            max_depth=max_depth,
            max_nodes=MAX_NODES if max_nodes is None else max_nodes,
            per_page=DEFAULT_PER_PAGE if per_page is None else per_page,
            page_token=page_token,
        )

    def resolve(
        self,
        path: str,
        may_see: MaySee,
        base_url: str,
        *,
        query: str = "",
        link_type: str | None = None,
        want_linkset: bool = False,
        anonymous: bool = False,
    ) -> Resolution:
        from ledger.epcis.digital_link import resolve

        return resolve(
            self.ledger,
            path,
            may_see,
            base_url,
            query=query,
            link_type=link_type,
            want_linkset=want_linkset,
            anonymous=anonymous,
        )
