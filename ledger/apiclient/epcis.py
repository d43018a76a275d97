"""Capture an EPCIS document through the service's HTTP API with one's own key (what `ledger epcis capture` runs):

    client = CaptureClient("http://127.0.0.1:8000", Account.from_key(FACTORY_KEY))
    planned, job = client.capture(Path("shipments.jsonld").read_text())
    job = client.wait(job.id)

The client signs in with the same key (Sign-In with Ethereum) on first use: capture facts and jobs are the
capturer's own. The document is validated and mapped here, with the facts the service gives, and each write signed
here: the key never leaves the client.
"""

from __future__ import annotations

import time
from typing import Any

from eth_account.signers.local import LocalAccount

from ledger.apiclient.signer import ApiSigner
from ledger.chain.signing import DEFAULT_TTL_SECONDS
from ledger.domain.errors import LedgerError, ValidationError
from ledger.domain.jsonlimits import load_json
from ledger.epcis import capture
from ledger.epcis.document import MAX_DEPTH, load
from ledger.epcis.facts import CaptureFacts
from ledger.epcis.model import CaptureJob, CapturePlan
from ledger.epcis.vocabulary import NAMESPACE


class ApiError(LedgerError):
    """The API refused a request (its RFC 9457 problem's detail)."""

    code = "api_error"

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}: {detail}")
        self.status = status


class CaptureClient:
    def __init__(self, api_url: str, account: LocalAccount, *, client: Any = None) -> None:
        self.signer = ApiSigner(api_url, account, client=client)
        self.http = self.signer.client
        self.account = account
        self._owned = client is None

    def close(self) -> None:
        if self._owned:
            self.http.close()

    def __enter__(self) -> CaptureClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _headers(self) -> dict[str, str]:
        """The bearer token, signing in first if need be (a refused sign-in is an `ApiError` like any other)."""
        import httpx

        if self.signer.token is None:
            try:
                self.signer.login()
            except httpx.HTTPStatusError as exc:
                self._json(exc.response)
                raise
        return self.signer.headers

    def _json(self, reply: Any) -> Any:
        if reply.status_code >= 400:
            try:
                detail = reply.json().get("detail", reply.text)
            except ValueError:
                detail = reply.text
            raise ApiError(reply.status_code, str(detail)[:2_000])
        return reply.json()

    def facts(self, document_text: str) -> CaptureFacts:
        body = {"document": document_text, "capturer": self.account.address}
        return CaptureFacts.from_json(self._json(self.http.post("/capture/facts", json=body, headers=self._headers())))

    def plan(self, document_text: str) -> tuple[CapturePlan, CaptureFacts]:
        """Validate the document against the schema (before anything is sent), ask the service for the facts, and
        map it (nothing is signed)."""
        document = load(document_text)
        facts = self.facts(document_text)
        _document, planned = capture.prepare(document, self.account.address, facts)
        return planned, facts

    def capture(self, document_text: str, *, ttl: int = DEFAULT_TTL_SECONDS) -> tuple[CapturePlan, CaptureJob]:
        """Validate, map, sign and submit the document (nothing is sent before it passes the schema); the job as
        the service queued it."""
        planned, facts = self.plan(document_text)
        domain, ledger_address = self.signer.domain()
        submission = capture.sign(planned, document_text, self.account, facts, domain, ledger_address, ttl=ttl)
        reply = self.http.post("/capture", json=submission.to_json(), headers=self._headers())
        job = CaptureJob.from_json(self._json(reply))
        return planned, job

    def job(self, job_id: str) -> CaptureJob:
        return CaptureJob.from_json(self._json(self.http.get(f"/capture/{job_id}", headers=self._headers())))

    def wait(self, job_id: str, *, timeout: float = 600.0, poll: float = 0.2) -> CaptureJob:
        deadline = time.monotonic() + timeout
        while True:
            job = self.job(job_id)
            if job.finished:
                return job
            if time.monotonic() > deadline:
                raise ValidationError(
                    f"capture {job_id} is still {job.state.value} after {timeout:g} s: ask GET /capture/{job_id} later",
                    field="timeout",
                )
            time.sleep(poll)

    def receipt(self, document_text: str, job: CaptureJob) -> dict[str, Any]:
        """The document with the proofs of its committed events (`ledger epcis verify` checks them on chain)."""
        domain, ledger_address = self.signer.domain()
        return with_proofs(document_text, job, ledger_address, domain.chain_id)


def with_proofs(document_text: str, job: CaptureJob, ledger_address: str, chain_id: int) -> dict[str, Any]:
    """`document_text` with a document-level `urn:provenance-ledger:epcis:proofs` (full IRI: the document's own
    context is left as it is, and no event's hash changes)."""
    body: dict[str, Any] = load_json(document_text, limit=MAX_DEPTH)  # UTF-8, depth bounded, on the parsed text
    events = {r.event_hash: {"root": r.root, "proof": list(r.proof)} for r in job.results if r.event_hash and r.root}
    body[NAMESPACE + "proofs"] = {"ledger": ledger_address, "chainId": chain_id, "events": events}
    return body
