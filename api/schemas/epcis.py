"""EPCIS capture: what a client sends (the document as text, the capturer, the signed writes) and the job it gets."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from api.schemas.common import EXAMPLE_ADDRESS, AddressStr, In, Out
from api.schemas.writes import SignedRequestIn
from ledger import EPCIS_MAX_DOCUMENT_BYTES as MAX_DOCUMENT_BYTES
from ledger import EPCIS_MAX_REQUESTS as MAX_REQUESTS


class CaptureFactsIn(In):
    document: str = Field(max_length=MAX_DOCUMENT_BYTES, description="the EPCIS 2.0 document (JSON / JSON-LD), as text")
    capturer: AddressStr = Field(description="the participant that will sign the capture", examples=[EXAMPLE_ADDRESS])


class CaptureIn(In):
    """An EPCIS document and the writes it maps to, each signed by the capturer (see `ledger.epcis.capture`)."""

    document: str = Field(
        max_length=MAX_DOCUMENT_BYTES,
        description="the EPCIS 2.0 document, as text (the signed "
        "calldata is checked against the service's own mapping of exactly these bytes)",
    )
    capturer: AddressStr = Field(examples=[EXAMPLE_ADDRESS])
    requests: list[SignedRequestIn] = Field(
        default=[],
        max_length=MAX_REQUESTS,
        description="the planned writes, "
        "in order, signed with consecutive nonces; the last commits the events' "
        "hashes (commitEvents)",
    )

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(by_alias=True)


class EventResultOut(Out):
    position: int
    event_hash: str | None = Field(description="CBV 2.0 event hash (ni:///sha-256;...?ver=CBV2.0)")
    event_id: str | None
    event_type: str | None
    status: str = Field(description="recorded | acknowledged | duplicate | refused | pending")
    reason: str | None
    produced: list[str] = Field(description="batch ids the event created")
    transactions: list[str]
    root: str | None = Field(description="the Merkle root the event's hash is committed under")
    proof: list[str]
    first_capture: str | None = Field(description="for a duplicate: the capture that recorded it first")


class CaptureJobOut(Out):
    id: str
    capturer: str
    state: str = Field(description="queued | running | done | failed")
    created_at: float
    document_uri: str = Field(description="ni:///sha-256;... of the document's bytes")
    root: str | None
    commit_tx: str | None
    error: str | None
    counts: dict[str, int]
    events: list[EventResultOut]
