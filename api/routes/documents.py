"""The document vault over HTTP: upload a document behind a hash (before or after the record that cites it), download
it with its media type, and see which records cite it.

Members upload; a document is read by whoever may see one of the records citing it (`ledger.access`: a batch's
documents by who may see the batch, a disclosure's by who may see the disclosure, public ones by anyone), and to
anyone else it does not exist (404, as for a hash the vault does not hold).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Path, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import AccessDep, LedgerDep, MemberDep, ViewerDep
from api.evidence import UploadBudgetDep, VaultDep
from api.problems import responses
from api.schemas.documents import EXAMPLE_SHA256, CitationOut, StoredOut
from ledger.errors import NotFoundError, ValidationError
from ledger.evidence import MaySeeDocument, citations, open_document
from ledger.media import EXTENSIONS
from ledger.vault import CHUNK, document_hash

router = APIRouter(prefix="/documents", tags=["documents"])
Sha256 = Annotated[str, Path(pattern=r"^(0x)?[0-9a-fA-F]{64}$", examples=[EXAMPLE_SHA256],
                             description="the SHA-256 of the document's bytes, as records cite it (0x optional)")]


async def may_see_document(viewer: ViewerDep, access: AccessDep) -> MaySeeDocument:
    """The caller's predicate over the records citing a document."""
    return lambda found: access.may_see_document(viewer, found)


MaySeeDep = Annotated[MaySeeDocument, Depends(may_see_document)]
UPLOADED: dict[int | str, dict[str, Any]] = {201: {"description": "stored"},
                                              200: {"description": "the vault held it already (write-once)"}}


def _stored(body: StoredOut) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=201 if body.created else 200,
                        headers={"Location": f"/documents/{body.sha256}"})


@router.put("/{sha256}", response_model=StoredOut, summary="Upload a document behind its hash",
            responses={**UPLOADED, **responses(401, 413, 422, 429, 501, 503)},
            openapi_extra={"requestBody": {"required": True, "content": {"application/octet-stream": {
                "schema": {"type": "string", "format": "binary"}}}}})
async def put_document(vault: VaultDep, viewer: MemberDep, budget: UploadBudgetDep, request: Request,
                       sha256: Sha256) -> JSONResponse:
    """The body is the document's bytes, stored only if their SHA-256 is `sha256` (else 422
    `document_hash_mismatch`) and they fit the size limit (else 413 `document_too_large`). Write-once: uploading a
    document the vault holds changes nothing (200). A document may be uploaded before or after the record citing
    it. Each participant may upload API_DOCUMENT_UPLOAD_BYTES_PER_DAY bytes a day (429 once spent)."""
    body = await request.body()  # read (and bounded) by the request limits already
    if not vault.has(sha256):  # a document the vault holds costs nothing again
        budget.spend(str(viewer.address), len(body))
    stored = await run_in_threadpool(vault.put, body, sha256)  # hashing, writing and fsync off the event loop
    return _stored(StoredOut.of(stored))


@router.post("", response_model=StoredOut, summary="Upload a document (multipart)",
             responses={**UPLOADED, **responses(401, 413, 422, 429, 501, 503)})
async def post_document(
    request: Request,
    vault: VaultDep,
    viewer: MemberDep,
    budget: UploadBudgetDep,
    file: Annotated[UploadFile, File(description="the document")],
    sha256: Annotated[str | None, Form(pattern=r"^(0x)?[0-9a-fA-F]{64}$",
                                       description="refuse the file unless this is its SHA-256")] = None,
) -> JSONResponse:
    """A `multipart/form-data` upload (one `file` part, and optionally the `sha256` it must have), stored under the
    SHA-256 of its bytes; the answer names it. The same daily budget as `PUT` applies."""
    form = await request.form()  # parsed already, for the parameters above: which parts came, and how many
    for name in ("file", "sha256"):
        if len(form.getlist(name)) > 1:
            raise ValidationError(f"send one {name!r} part per upload, not {len(form.getlist(name))}: upload "
                                  "each document on its own", field=name)
    size = file.size if file.size is not None else file.file.seek(0, 2)
    file.file.seek(0)
    budget.spend(str(viewer.address), size)
    stored = await run_in_threadpool(  # hashing, writing and fsync off the event loop
        vault.put_stream, iter(lambda: file.file.read(CHUNK), b""), sha256)
    return _stored(StoredOut.of(stored))


@router.get("/{sha256}", summary="Download a document", response_class=Response,
            responses={200: {"content": {"application/octet-stream": {}}, "description": "the document's bytes, "
                             "checked against the hash, with the media type sniffed from them"},
                       **responses(404, 422, 501, 503)})
def get_document(ledger: LedgerDep, vault: VaultDep, may_see: MaySeeDep, sha256: Sha256) -> Response:
    """The document, if the vault holds it and the caller may see a record citing it (404 otherwise, whichever the
    reason). Its bytes are checked against the hash before they are served."""
    found = open_document(ledger, vault, sha256, may_see)
    digest = base64.b64encode(bytes.fromhex(found.hash[2:])).decode()
    return Response(found.content, media_type=found.media_type, headers={
        "Content-Disposition": f'attachment; filename="{found.hash[2:]}.{EXTENSIONS.get(found.media_type, "bin")}"',
        "ETag": f'"{found.hash}"', "Repr-Digest": f"sha-256=:{digest}:", "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox", "Cache-Control": "private, max-age=31536000, immutable"})


@router.get("/{sha256}/citations", response_model=list[CitationOut], summary="Records citing a document",
            responses=responses(404, 422, 503))
def get_citations(ledger: LedgerDep, may_see: MaySeeDep, sha256: Sha256) -> list[CitationOut]:
    """Every record on chain committing to the document's hash: batches, disclosure versions, attestations and
    participant profiles, those the caller may see (404 if none)."""
    found = citations(ledger, document_hash(sha256))
    if not may_see(found):
        raise NotFoundError(f"no record cites {document_hash(sha256)}")
    return [CitationOut.of(c) for c in found if may_see([c])]  # only the citing records the caller may see
