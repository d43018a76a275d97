"""A capture job: the service maps the document again, from facts gathered afresh, and relays the signed requests
only if each one's calldata is exactly the write the mapping gives, in order, starting at the capturer's current
nonce. Each write goes through the relayer (`Ledger.relay_write`: budgets, idempotency keys, outbox) with the key
`epcis:<job>:<k>`, so a job resumed after a restart gets the first answer of every write already sent; the plan
(which events each write carries) is fixed when the job starts, never remade against the chain as it is later.

A write the chain refuses refuses its events and every event after it: their signed nonces follow the refused one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ledger.anchoring import MerkleTree
from ledger.chain.codec import hex32
from ledger.domain.errors import (
    LedgerError,
    LedgerUnavailableError,
    RelayBudgetError,
    TransactionTimeoutError,
    ValidationError,
)
from ledger.epcis.capture import ROUTE, DocumentCache, event_id_of, event_type_of, read_document, signed_request_of
from ledger.epcis.describe import describe
from ledger.epcis.document import EpcisDocument
from ledger.epcis.facts import IndexView
from ledger.epcis.hashing import Hashed, leaf_of
from ledger.epcis.model import CaptureJob, CapturePlan, EventResult, JobState, PlannedEvent, Status
from ledger.epcis.planning import plan
from ledger.epcis.store import EventStore

if TYPE_CHECKING:
    from ledger.client import Ledger

log = logging.getLogger("ledger.epcis")


class CaptureRun:
    """One run of a capture job (a resumed job runs again: every write it relays has an idempotency key)."""

    def __init__(
        self,
        ledger: Ledger,
        store: EventStore,
        job_id: str,
        *,
        max_wait: float = 300.0,
        documents: DocumentCache | None = None,
        stopping: threading.Event | None = None,
    ) -> None:
        self.ledger = ledger
        self.stopping = stopping or threading.Event()
        self.store = store
        self.documents = documents
        self.job_id = job_id
        self.max_wait = max_wait  # longest wait for a rate limit, in all
        job = store.job(job_id)
        if job is None:
            raise ValidationError(f"no capture job {job_id}", field="id")
        self.job = job
        text, bodies = store.job_input(job_id)
        self.text = text
        self.requests = [signed_request_of(b, i) for i, b in enumerate(bodies)]
        self.results = {r.position: r for r in job.results}
        self._saved = time.monotonic()

    def run(self) -> CaptureJob:
        if self.job.finished:
            return self.job
        self.store.update_job(self.job_id, state=JobState.RUNNING)
        document, hashes = read_document(self.text, self.documents)
        writes = self.store.job_plan(self.job_id)
        if writes is None:
            writes = self._start(document, hashes)
            if writes is None:
                return self._finish(JobState.FAILED)
        self._relay(writes)
        return self._finish(JobState.DONE)

    # -- planning, once per job ---------------------------------------------------------------------------------------

    def _start(self, document: EpcisDocument, hashes: Sequence[Hashed] | None) -> list[dict[str, Any]] | None:
        capturer = self.job.capturer
        planned = plan(document, capturer, IndexView(self.ledger, self.store, capturer), hashes)
        for event in planned.events:
            self.results[event.position] = self._initial(event, document)
        problem = self._mismatch(planned)
        if problem is not None:
            self.store.update_job(self.job_id, error=problem)
            for position, result in self.results.items():
                if result.status == Status.PENDING:
                    self.results[position] = replace(
                        result,
                        status=Status.REFUSED,
                        reason=f"not captured: the capture was refused as a whole ({problem})",
                    )
            return None
        kept = [
            describe(e, document.events[e.position])
            for e in planned.events
            if e.status in (Status.RECORDED, Status.ACKNOWLEDGED)
        ]
        self.store.add_pending(self.job_id, capturer, document.context, kept)
        produced = {e.position: list(e.effect.produced) for e in planned.events if e.effect is not None}
        writes = [
            {
                "function": w.function,
                "events": list(w.events),
                "produced": {str(p): produced.get(p, []) for p in w.events},
            }
            for w in planned.writes
        ]
        if planned.root is not None:
            writes[-1]["leaves"] = list(planned.leaves)
            writes[-1]["root"] = planned.root
        self.store.set_plan(self.job_id, writes)
        self._save(force=True)
        return writes

    def _initial(self, event: PlannedEvent, document: EpcisDocument) -> EventResult:
        raw = document.events[event.position]
        base = EventResult(
            event.position, event.event_hash, event_id_of(raw), event_type_of(raw), event.status, event.reason
        )
        if event.status in (Status.RECORDED, Status.ACKNOWLEDGED):
            return replace(base, status=Status.PENDING)
        if event.status == Status.DUPLICATE and event.first is not None and event.event_hash is not None:
            first = self.store.event(event.event_hash, event.declaration)
            if first is not None:
                return replace(
                    base,
                    produced=first.produced,
                    transactions=first.transactions,
                    root=first.root,
                    proof=first.proof,
                    first_capture=first.capture_id,
                )
        return base

    def _mismatch(self, planned: CapturePlan) -> str | None:
        """Why the signed requests are not the plan's writes, or None."""
        writes, requests = planned.writes, self.requests
        if len(writes) != len(requests):
            return (
                f"the document maps to {len(writes)} writes now, the capture carries {len(requests)} signed "
                "requests: gather the facts again, map and sign again"
            )
        for k, (write, signed) in enumerate(zip(writes, requests, strict=True)):
            if write.calldata.lower() != signed.request.data.lower():
                return (
                    f"signed request {k} is not the write the document maps to now ({write.function} for event "
                    f"#{write.events[0]}): the document was changed after it was signed, or the chain changed "
                    "since the facts were gathered; gather them again, map and sign again"
                )
        if requests:
            current = self.ledger.nonce(planned.capturer)
            if requests[0].request.nonce != current:
                return (
                    f"the signed requests start at nonce {requests[0].request.nonce}; the capturer's next nonce "
                    f"is {current}: sign again from the current nonce"
                )
        return None

    # -- relaying -----------------------------------------------------------------------------------------------------

    def _relay(self, writes: list[dict[str, Any]]) -> None:
        last_write = {p: k for k, w in enumerate(writes) for p in w["events"] if w["function"] != "commitEvents"}
        transactions: dict[int, list[str]] = {}
        failed: str | None = None
        for k, write in enumerate(writes):
            if failed is not None:
                self._refuse(
                    write,
                    f"not recorded: {failed}; the signed requests after it cannot be relayed "
                    "(their nonces follow it): capture the event again",
                    transactions,
                )
                continue
            if write["function"] == "commitEvents":
                self._commit(k, write)
                continue
            try:
                written = self._send(k)
            except (LedgerUnavailableError, TransactionTimeoutError):
                raise  # the node, not the write: the job stays running and is resumed
            except LedgerError as exc:
                failed = f"write {k} ({write['function']}) was refused: {exc}"
                self._refuse(write, failed, transactions)
                continue
            settled = []
            for position in write["events"]:
                transactions.setdefault(position, []).append(written.tx.tx_hash)
                if last_write.get(position) == k:
                    result = self.results[position]
                    self.results[position] = replace(
                        result,
                        status=Status.RECORDED,
                        produced=tuple(write["produced"].get(str(position), ())),
                        transactions=tuple(transactions[position]),
                    )
                    settled.append(
                        (
                            position,
                            Status.RECORDED,
                            self.results[position].produced,
                            self.results[position].transactions,
                        )
                    )
            self.store.settle(self.job_id, settled)
            self._save()
        acknowledged = [p for p, r in self.results.items() if r.status == Status.PENDING]
        for position in acknowledged:  # no write of their own: captured once their hash is committed
            result = self.results[position]
            if result.root is not None:
                self.results[position] = replace(result, status=Status.ACKNOWLEDGED)
                self.store.settle(self.job_id, [(position, Status.ACKNOWLEDGED, (), ())])
            else:
                self.results[position] = replace(
                    result, status=Status.REFUSED, reason=failed or "its hash could not be committed"
                )
                self.store.settle(self.job_id, [(position, Status.REFUSED, (), ())])

    def _refuse(self, write: dict[str, Any], reason: str, transactions: dict[int, list[str]]) -> None:
        settled = []
        for position in write["events"]:
            result = self.results[position]
            if result.status not in (Status.PENDING, Status.RECORDED):
                continue
            landed = tuple(transactions.get(position, ()))
            if write["function"] == "commitEvents":
                if result.status == Status.RECORDED:
                    self.results[position] = replace(
                        result,
                        reason=f"recorded, but its hash is not committed: "
                        f"{reason}; capture the document again to "
                        "commit it",
                    )
                continue
            text = reason if not landed else f"partly recorded (transactions {', '.join(landed)}), then {reason}"
            self.results[position] = replace(result, status=Status.REFUSED, reason=text, transactions=landed)
            settled.append((position, Status.REFUSED, (), ()))
        self.store.settle(self.job_id, settled)

    def _send(self, k: int) -> Any:
        """Relay request `k` once (its idempotency key gives the first answer on a resumed job); a rate limit is
        waited out while the request stays valid and the job's wait allowance lasts (in the capturer's own lane: no
        other capturer waits with it)."""
        signed = self.requests[k]
        waited = 0.0
        while True:
            try:
                return self.ledger.relay_write(signed, key=f"epcis:{self.job_id}:{k}", route=ROUTE)
            except RelayBudgetError as exc:
                pause = float(exc.retry_after)
                expires = signed.request.deadline - self.ledger.chain_time()
                if exc.code != "rate_limited" or waited + pause > self.max_wait or pause + 60 > expires:
                    raise
                log.info("capture %s: rate limited, waiting %.0f s", self.job_id, pause)
                if self.stopping.wait(pause):  # the service stops: the job is resumed when it starts again
                    raise LedgerUnavailableError(
                        "the service stopped while the capture waited for its rate limit"
                    ) from None
                waited += pause

    def _commit(self, k: int, write: dict[str, Any]) -> None:
        leaves: list[str] = write["leaves"]
        tree = MerkleTree([leaf_of(h) for h in leaves])
        try:
            written = self._send(k)
        except (LedgerUnavailableError, TransactionTimeoutError):
            raise
        except LedgerError as exc:
            self._refuse(write, f"the commitment of the events' hashes (write {k}) was refused: {exc}", {})
            return
        root = write["root"]
        proofs = {h: [hex32(p) for p in tree.proof(i)] for i, h in enumerate(leaves)}
        self.store.commit(root, proofs)
        for position, result in self.results.items():
            if result.event_hash in proofs and result.status in (Status.PENDING, Status.RECORDED, Status.DUPLICATE):
                self.results[position] = replace(result, root=root, proof=tuple(proofs[result.event_hash]))
        self.store.update_job(self.job_id, root=root, commit_tx=written.tx.tx_hash)

    def _save(self, *, force: bool = False) -> None:
        if force or time.monotonic() - self._saved > 1.0:
            self.store.update_job(self.job_id, results=self._ordered())
            self._saved = time.monotonic()

    def _ordered(self) -> list[EventResult]:
        return [self.results[p] for p in sorted(self.results)]

    def _finish(self, state: JobState) -> CaptureJob:
        self.store.update_job(self.job_id, state=state, results=self._ordered())
        job = self.store.job(self.job_id)
        assert job is not None
        return job


def run_job(
    ledger: Ledger,
    store: EventStore,
    job_id: str,
    *,
    max_wait: float = 300.0,
    documents: DocumentCache | None = None,
    stopping: threading.Event | None = None,
) -> CaptureJob:
    """Run (or resume) a capture job to its end. A node that fails mid-way leaves the job running (it is resumed
    later: every write it sent has an idempotency key)."""
    try:
        return CaptureRun(ledger, store, job_id, max_wait=max_wait, documents=documents, stopping=stopping).run()
    except (LedgerUnavailableError, TransactionTimeoutError) as exc:
        log.warning("capture %s interrupted: %s", job_id, exc)
        store.update_job(job_id, error=f"interrupted, will resume: {exc}")
        job = store.job(job_id)
        assert job is not None
        return job
