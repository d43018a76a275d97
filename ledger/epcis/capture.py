"""EPCIS capture through the service, which never holds a participant's key.

Client (`ledger epcis capture`, `ledger.apiclient.epcis.CaptureClient`, or any client with `ledger.apiclient.signer`):
1. validate the document against the schema (`ledger.epcis.document.load`) before anything is sent;
2. `POST /capture/facts` with the document and the capturer's address -> the `CaptureFacts` the mapping needs;
3. `prepare`: map the document, through `planning`, from those facts;
4. `sign`: sign every planned write with the capturer's key, nonces consecutive from the facts' nonce;
5. `POST /capture` with the document, the capturer and the signed requests (`CaptureSubmission`) -> 202 and the
   job's Location; `GET /capture/{id}` gives the job and, per event, its result.

Service: `facts_for` answers step 1; `submit` checks a submission (schema, every signature by the capturer,
consecutive nonces) and stores its job; the job itself (`ledger.epcis.job`) maps the document again and relays.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_account.signers.local import LocalAccount

from ledger.apiclient.signer import body_of
from ledger.apiclient.signer import sign as sign_request
from ledger.chain.codec import checksum
from ledger.chain.signing import DEFAULT_TTL_SECONDS, check_canonical, recover_signer
from ledger.domain import validation as v
from ledger.domain.errors import CaptureBacklogError, CaptureTooLargeError, SignatureInvalidError, ValidationError
from ledger.domain.types import Address, Eip712Domain, ForwardRequest, SignedRequest
from ledger.epcis.document import MAX_EVENTS, EpcisDocument, check_event_count, load
from ledger.epcis.facts import CaptureFacts, IndexView, Recorder, Replay
from ledger.epcis.hashing import Hashed, event_hashes
from ledger.epcis.model import CaptureJob, CapturePlan, EventResult, Status
from ledger.epcis.planning import plan
from ledger.epcis.store import EventStore

if TYPE_CHECKING:
    from ledger.client import Ledger

#: Most signed requests one submission may carry (a write per event at most, and the commitment).
MAX_REQUESTS = 2 * MAX_EVENTS + 1
#: Seconds a capturer at its bound of unfinished jobs is told to wait (a job of a few writes takes seconds).
BACKLOG_RETRY_SECONDS = 10
#: A signed request must stay valid this long after it is submitted (the job may wait for a rate limit).
MIN_VALIDITY_SECONDS = 120
ROUTE = "POST /capture"


@dataclass(frozen=True)
class CaptureBounds:
    """The work one capture request may ask of the service, and one capturer at a time. `names` maps a field to the
    setting that sets it (e.g. an environment variable), for the messages."""

    max_events: int = 1_000  # events per document (reading and mapping them is the cost of a facts request)
    max_requests: int = 2_001  # signed requests per submission (a signature check each)
    max_unfinished: int = 4  # a capturer's jobs queued or running
    names: Mapping[str, str] = field(default_factory=dict)

    def named(self, bound: str) -> str:
        return self.names.get(bound, "")


@dataclass(frozen=True)
class CaptureSubmission:
    """What a client sends to capture a document: the document's text, the capturer, and the signed writes."""

    document: str
    capturer: Address
    requests: tuple[SignedRequest, ...]

    def to_json(self) -> dict[str, Any]:
        return {"document": self.document, "capturer": self.capturer, "requests": [body_of(r) for r in self.requests]}

    @property
    def digest(self) -> str:
        """SHA-256 of the submission: the same submission sent twice is one job."""
        return hashlib.sha256(json.dumps(self.to_json(), sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_json(cls, data: Any) -> CaptureSubmission:
        if not isinstance(data, dict) or not isinstance(data.get("document"), str):
            raise ValidationError(
                "a capture is {document: <the EPCIS document as text>, capturer, requests}", field="document"
            )
        requests = data.get("requests", [])
        if not isinstance(requests, list) or len(requests) > MAX_REQUESTS:
            raise ValidationError(
                f"requests must be a list of at most {MAX_REQUESTS} signed requests", field="requests"
            )
        return cls(
            data["document"],
            v.address(str(data.get("capturer")), "capturer"),
            tuple(signed_request_of(r, i) for i, r in enumerate(requests)),
        )


def signed_request_of(body: Any, index: int) -> SignedRequest:
    try:
        r = body["request"]
        request = ForwardRequest(
            v.address(r["from"], "from"),
            v.address(r["to"], "to"),
            int(r["value"]),
            int(r["gas"]),
            int(r["nonce"]),
            int(r["deadline"]),
            str(r["data"]),
        )
        return SignedRequest(request, str(body["signature"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError(
            f"requests[{index}] is not a signed request ({{request: {{from, to, value, gas, nonce, "
            f"deadline, data}}, signature}}): {exc!s:.100}",
            field=f"requests[{index}]",
        ) from None


class DocumentCache:
    """Documents the service read lately, by the SHA-256 of their bytes: a capture's facts, its submission and its
    job read the same document, which is validated and hashed once. Only the service uses it (a client validates
    and hashes on its own)."""

    def __init__(self, size: int = 2, *, max_events: int = MAX_EVENTS, bound: str = "") -> None:
        self.size = size  # a parsed 8 MiB document takes some 100 MB: keep few
        self.max_events = max_events
        self.bound = bound
        self._found: OrderedDict[str, tuple[EpcisDocument, tuple[Hashed, ...]]] = OrderedDict()
        self._lock = threading.Lock()

    def read(self, text: str) -> tuple[EpcisDocument, tuple[Hashed, ...]]:
        digest = hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()
        with self._lock:
            found = self._found.get(digest)
            if found is not None:
                self._found.move_to_end(digest)
        if found is not None:
            check_event_count(len(found[0].events), self.max_events, self.bound)
            return found
        document = load(text, max_events=self.max_events, bound=self.bound)
        found = (document, event_hashes(document))
        with self._lock:
            self._found[digest] = found
            while len(self._found) > self.size:
                self._found.popitem(last=False)
        return found


def read_document(text: str, documents: DocumentCache | None) -> tuple[EpcisDocument, tuple[Hashed, ...] | None]:
    """The document (validated), and its events' hashes when the cache has them."""
    if documents is not None:
        return documents.read(text)
    return load(text), None


# -- client -----------------------------------------------------------------------------------------------------------


def prepare(document: EpcisDocument | str, capturer: str, facts: CaptureFacts) -> tuple[EpcisDocument, CapturePlan]:
    """Validate the document (schema; unless it is loaded already) and map it as `capturer` from the service's
    facts."""
    loaded = load(document) if isinstance(document, str) else document
    return loaded, plan(loaded, v.address(capturer, "capturer"), Replay(facts))


def sign(
    planned: CapturePlan,
    document_text: str,
    account: LocalAccount,
    facts: CaptureFacts,
    domain: Eip712Domain,
    ledger_address: str,
    *,
    ttl: int = DEFAULT_TTL_SECONDS,
    now: float | None = None,
) -> CaptureSubmission:
    """Sign every write of the plan with the capturer's key, nonces consecutive from the facts' nonce."""
    if checksum(account.address) != planned.capturer:
        raise ValidationError(f"the plan is {planned.capturer}'s, the key is {account.address}'s", field="key")
    if facts.nonce is None:
        raise ValidationError("the capture facts carry no nonce", field="facts")
    requests = tuple(
        sign_request(account, domain, ledger_address, write.calldata, nonce=facts.nonce + k, ttl=ttl, now=now)
        for k, write in enumerate(planned.writes)
    )
    return CaptureSubmission(document_text, planned.capturer, requests)


# -- service ----------------------------------------------------------------------------------------------------------


def facts_for(
    ledger: Ledger, store: EventStore, document_text: str, capturer: str, *, documents: DocumentCache | None = None
) -> CaptureFacts:
    """What mapping `document_text` as `capturer` asks of the chain, answered now (with the capturer's nonce)."""
    document, hashes = read_document(document_text, documents)
    address = v.address(capturer, "capturer")
    recorder = Recorder(IndexView(ledger, store, address), nonce=ledger.nonce(address))
    plan(document, address, recorder, hashes)
    return recorder.facts


def submit(
    ledger: Ledger,
    store: EventStore,
    submission: CaptureSubmission,
    *,
    documents: DocumentCache | None = None,
    bounds: CaptureBounds | None = None,
) -> tuple[CaptureJob, bool]:
    """Check a submission (the document against the schema; every request signed by the capturer for this ledger,
    with consecutive nonces and time to spare) and queue its job. The same submission sent again is the same job
    (and False): it is recognised by its digest before anything else is read or checked (its signatures may no
    longer pass: their nonces are used once the job ran)."""
    known = store.job_of_submission(submission.digest)
    if known is not None:
        return known, False
    bounds = bounds or CaptureBounds()
    check_request_count(len(submission.requests), bounds)
    unfinished = store.unfinished_count(submission.capturer)
    if unfinished >= bounds.max_unfinished:
        bound = bounds.named("max_unfinished")
        raise CaptureBacklogError(
            f"{submission.capturer} has {unfinished} captures queued or running; at most "
            f"{bounds.max_unfinished} at a time{f' ({bound})' if bound else ''}: send this one "
            "when one of them is done",
            retry_after=BACKLOG_RETRY_SECONDS,
        )
    document, _hashes = read_document(submission.document, documents)
    now = ledger.chain_time()
    for index, signed in enumerate(submission.requests):
        _check_request(ledger, submission, index, signed, now)
    results = [
        EventResult(i, None, event_id_of(e), event_type_of(e), Status.PENDING) for i, e in enumerate(document.events)
    ]
    return store.add_job(
        submission.digest,
        submission.capturer,
        document.uri,
        submission.document,
        [body_of(r) for r in submission.requests],
        results,
    )


def check_request_count(count: int, bounds: CaptureBounds) -> None:
    """Refuse (413) more signed requests than one submission may carry, before any is parsed or checked."""
    if count > bounds.max_requests:
        bound = bounds.named("max_requests")
        raise CaptureTooLargeError(
            f"the capture carries {count:,} signed requests; at most {bounds.max_requests:,} "
            f"are taken at once{f' ({bound})' if bound else ''}: send the document in parts",
            limit=bounds.max_requests,
            field="requests",
        )


def _check_request(
    ledger: Ledger, submission: CaptureSubmission, index: int, signed: SignedRequest, now: float
) -> None:
    request = signed.request
    where = f"requests[{index}]"
    if checksum(request.from_address) != submission.capturer:
        raise SignatureInvalidError(f"{where} is from {request.from_address}, not the capturer {submission.capturer}")
    if checksum(request.to) != ledger.deployment.ledger or request.value != 0:
        raise SignatureInvalidError(f"{where} must call the ledger {ledger.deployment.ledger} with no value")
    first = submission.requests[0].request.nonce
    if request.nonce != first + index:
        raise ValidationError(
            f"{where} has nonce {request.nonce}; the requests' nonces must follow each other "
            f"({first + index} expected)",
            field=where,
        )
    if request.deadline < now + MIN_VALIDITY_SECONDS:
        raise SignatureInvalidError(f"{where} expires in less than {MIN_VALIDITY_SECONDS} s")
    check_canonical(signed.signature)
    try:
        signer = recover_signer(ledger.domain, signed)
    except Exception as exc:  # malformed signature bytes
        raise SignatureInvalidError(f"{where}: malformed signature: {exc}") from None
    if signer != submission.capturer:
        raise SignatureInvalidError(f"{where} is signed by {signer}, not by the capturer {submission.capturer}")


def event_id_of(event: Any) -> str | None:
    return str(event["eventID"]) if isinstance(event, dict) and event.get("eventID") is not None else None


def event_type_of(event: Any) -> str | None:
    return str(event.get("type")) if isinstance(event, dict) else None
