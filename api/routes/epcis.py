"""EPCIS 2.0 capture (REST binding's capture interface): thin routes over `ledger.epcis.service.EpcisService`.

The service never holds a participant's key: the client maps the document with the facts the service gives
(`POST /capture/facts`), signs each write, and sends the document with the signed writes (`POST /capture`, 202 with
the job's Location); `GET /capture/{id}` reports the job, per event. Access rules are the access layer's to add.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request, Response, status

from api.deps import LedgerDep
from api.problems import responses
from api.schemas.epcis import CaptureFactsIn, CaptureIn, CaptureJobOut
from ledger.epcis.service import EpcisService

router = APIRouter(tags=["epcis"])
_LOCK = threading.Lock()


def get_epcis(request: Request, ledger: LedgerDep) -> EpcisService:
    """One EPCIS service per app (its event store beside the ledger's index, and its capture queue)."""
    with _LOCK:
        service = getattr(request.app.state, "epcis", None)
        if service is None or service.ledger is not ledger:
            service = request.app.state.epcis = EpcisService(ledger)
        return service  # type: ignore[no-any-return]


EpcisDep = Annotated[EpcisService, Depends(get_epcis)]


@router.post("/capture/facts", summary="What mapping a document needs of the chain", responses=responses(422, 503))
def capture_facts(epcis: EpcisDep, body: CaptureFactsIn) -> dict[str, Any]:
    """The answers the mapping of this document needs (the capturer's sites and party GLN, the parties and batches
    it names, the events captured before, the capturer's nonce). Map the document with them, sign each write, and
    `POST /capture`. Nothing is written."""
    return epcis.facts(body.document, body.capturer).to_json()


@router.post("/capture", response_model=CaptureJobOut, status_code=status.HTTP_202_ACCEPTED,
             summary="Capture an EPCIS document (signed writes)", responses=responses(403, 422, 503))
def post_capture(epcis: EpcisDep, body: CaptureIn, response: Response) -> dict[str, Any]:
    """Validate the document against the EPCIS 2.0 JSON Schema and every signature, then queue the capture: the job
    maps the document again and relays the signed writes only if each is exactly the write the mapping gives. The
    same body again answers the same job."""
    job, _new = epcis.submit(body.to_json())
    response.headers["Location"] = f"/capture/{job.id}"
    return job.to_json()


@router.get("/capture/{capture_id}", response_model=CaptureJobOut, summary="A capture job, per event",
            responses=responses(404, 422, 503))
def get_capture(epcis: EpcisDep,
                capture_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="the job id")]
                ) -> dict[str, Any]:
    """The job's state and, per event, its result: recorded with its transactions, acknowledged, a duplicate (with
    the first capture's result), or refused with the reason; the root the events' hashes are committed under and
    each event's proof."""
    return epcis.job(capture_id).to_json()
