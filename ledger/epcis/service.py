"""`EpcisService`: what the API's EPCIS routes call, one method per route, over one `Ledger`.

    POST /capture/facts        service.facts(document_text, capturer)        -> CaptureFacts (JSON: .to_json())
    POST /capture              service.submit(body)                          -> (CaptureJob, new?)  answer 202
    GET  /capture/{id}         service.job(id)                               -> CaptureJob (NotFoundError)
    GET  /events               service.events(query, may_see)                -> EPCISQueryDocument (+ nextPageToken)
    GET  /batches/{id}/epcis   service.lineage(batch_id, may_see, ...)       -> LineagePage (+ nextPageToken)
    GET  /01/{gtin}/10/{lot}   service.resolve(gtin, lot, may_see, base_url) -> Resolution (redirect or linkset)

`may_see(batch_id) -> bool` is the caller's visibility (the access rules): events and lineage show only what it
allows. Capture jobs run one at a time on a worker thread, in the order they came (one capturer's jobs must not
race for its nonces); jobs left unfinished by a stop are resumed when the service starts.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ledger.epcis import capture
from ledger.epcis.facts import CaptureFacts
from ledger.epcis.job import run_job
from ledger.epcis.model import CaptureJob
from ledger.epcis.store import EventStore
from ledger.errors import NotFoundError

if TYPE_CHECKING:
    from ledger.client import Ledger
    from ledger.epcis.digital_link import Resolution
    from ledger.epcis.export import LineagePage
    from ledger.epcis.query import EventQuery, QueryPage

log = logging.getLogger("ledger.epcis")
#: Seconds before a job interrupted by the node is run again.
RETRY_SECONDS = 10.0
MaySee = Callable[[str], bool]


class EpcisService:
    def __init__(self, ledger: Ledger, store: EventStore | None = None, *, worker: bool = True,
                 max_wait: float = 300.0) -> None:
        self.ledger = ledger
        self.store = store if store is not None else EventStore.for_ledger(ledger)
        self.max_wait = max_wait
        self.documents = capture.DocumentCache()
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        if worker:
            self._thread = threading.Thread(target=self._work, name="epcis-capture", daemon=True)
            self._thread.start()
            for job_id in self.store.unfinished_jobs():
                self._queue.put(job_id)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
        self.store.close()

    # -- capture ------------------------------------------------------------------------------------------------------

    def facts(self, document_text: str, capturer: str) -> CaptureFacts:
        return capture.facts_for(self.ledger, self.store, document_text, capturer, documents=self.documents)

    def submit(self, body: Any) -> tuple[CaptureJob, bool]:
        """Check a capture (`CaptureSubmission` JSON) and queue its job; the same body again is the same job."""
        submission = body if isinstance(body, capture.CaptureSubmission) else capture.CaptureSubmission.from_json(body)
        job, new = capture.submit(self.ledger, self.store, submission, documents=self.documents)
        if new and self._thread is not None:
            self._queue.put(job.id)
        return job, new

    def capture_now(self, submission: capture.CaptureSubmission) -> CaptureJob:
        """Submit and run the job in this thread (tests, the demo, the benchmark)."""
        job, _ = capture.submit(self.ledger, self.store, submission, documents=self.documents)
        return run_job(self.ledger, self.store, job.id, max_wait=self.max_wait, documents=self.documents)

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

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                job = run_job(self.ledger, self.store, job_id, max_wait=self.max_wait, documents=self.documents)
            except Exception as exc:  # a bug: the worker goes on; the job stays unfinished and says why
                log.exception("capture job %s failed", job_id)
                self.store.update_job(job_id, error=f"internal error: {type(exc).__name__}")
                continue
            if not job.finished:  # the node was unreachable: try again later (every write has its idempotency key)
                timer = threading.Timer(RETRY_SECONDS, self._queue.put, (job_id,))
                timer.daemon = True
                timer.start()

    # -- reads --------------------------------------------------------------------------------------------------------

    def events(self, query: EventQuery, may_see: MaySee) -> QueryPage:
        from ledger.epcis.query import query_events

        return query_events(self.ledger, self.store, query, may_see)

    def lineage(self, batch_id: str, may_see: MaySee, *, max_depth: int = 64, max_nodes: int | None = None,
                per_page: int | None = None, page_token: str | None = None) -> LineagePage:
        from ledger.epcis.export import DEFAULT_PER_PAGE, lineage_page
        from ledger.trace import MAX_NODES

        return lineage_page(self.ledger, self.store, batch_id, may_see, max_depth=max_depth,
                            max_nodes=MAX_NODES if max_nodes is None else max_nodes,
                            per_page=DEFAULT_PER_PAGE if per_page is None else per_page, page_token=page_token)

    def resolve(self, gtin: str, lot: str, may_see: MaySee, base_url: str, *, link_type: str | None = None,
                anonymous: bool = False) -> Resolution:
        from ledger.epcis.digital_link import resolve

        return resolve(self.ledger, gtin, lot, may_see, base_url, link_type=link_type, anonymous=anonymous)
