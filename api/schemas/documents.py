"""Documents in the vault, and the records on chain that cite them."""

from __future__ import annotations

from pydantic import Field

from api.schemas.common import Out, TxRefOut
from ledger import Citation, CitationKind, DocumentKind, StoredDocument

EXAMPLE_SHA256 = "0x3f0b6fb0e4e0a3e8e1b1a7f5d0e9b5f3d7f4c9c1a9d3e2b7c6a5f4e3d2c1b0a9"


class StoredOut(Out):
    sha256: str = Field(examples=[EXAMPLE_SHA256], description="0x + the SHA-256 of the bytes: the hash records cite")
    size: int = Field(description="bytes")
    media_type: str = Field(examples=["application/pdf"], description="sniffed from the content")
    created: bool = Field(description="false when you had uploaded these bytes before (write-once)")
    name: str | None = Field(
        default=None,
        examples=["gots-scope-certificate.pdf"],
        description="the file name kept for your upload (sanitised), given to who downloads it",
    )

    @classmethod
    def of(cls, stored: StoredDocument) -> StoredOut:
        return cls(
            sha256=stored.hash, size=stored.size, media_type=stored.media_type, created=stored.created, name=stored.name
        )


class CitationOut(Out):
    kind: CitationKind = Field(
        description="batch, disclosure (a version's report), attestation (an assurance "
        "report) or participant (a profile document)"
    )
    record_id: str = Field(description="the batch id, disclosure id, or participant address")
    participant: str = Field(description="who recorded it")
    document_kind: DocumentKind | None = Field(description="the kind a batch gave the document")
    version: int | None = Field(description="the disclosure version")
    recorded: TxRefOut

    @classmethod
    def of(cls, c: Citation) -> CitationOut:
        return cls(
            kind=c.kind,
            record_id=c.record_id,
            participant=c.participant,
            document_kind=c.document_kind,
            version=c.version,
            recorded=TxRefOut.of(c.tx),
        )
