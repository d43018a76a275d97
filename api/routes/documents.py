"""The document vault over HTTP: upload a document behind a hash (before or after the record that cites it), download
it with its media type, and see which records cite it.

Members upload, and the vault records who (`ledger.documents.vault`). A document is read by its uploaders and by
whoever may see a record that opens it: a record whose owner uploaded it (`ledger.documents.evidence`; seen as
`ledger.access` says: a batch's documents by who may see the batch, a disclosure's by who may see the disclosure,
public ones by anyone). To anyone else it does not exist (404, as for a hash the vault does not hold). A download is
named as its uploader named the file (RFC 6266, with `filename*` for names beyond ASCII).
"""

from __future__ import annotations

import base64
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.deps import AccessDep, LedgerDep, MemberDep, ViewerDep
from api.evidence import UploadBudgetDep, VaultDep
from api.problems import responses
from api.schemas.documents import EXAMPLE_SHA256, CitationOut, StoredOut
from ledger import MEDIA_EXTENSIONS as EXTENSIONS
from ledger import VAULT_CHUNK as CHUNK
from ledger import MaySeeCitation, ValidationError, document_hash, open_document, visible_citations

router = APIRouter(prefix="/documents", tags=["documents"])
Sha256 = Annotated[
    str,
    Path(
        pattern=r"^(0x)?[0-9a-fA-F]{64}$",
        examples=[EXAMPLE_SHA256],
        description="the SHA-256 of the document's bytes, as records cite it (0x optional)",
    ),
]


async def may_see_citation(viewer: ViewerDep, access: AccessDep) -> MaySeeCitation:
    """The caller's predicate over one record citing a document."""
    return lambda citation: access.may_see_citation(viewer, citation)


MaySeeDep = Annotated[MaySeeCitation, Depends(may_see_citation)]
FileName = Annotated[
    str | None,
    Query(
        max_length=1024,
        description="the file's name, given to whoever downloads "
        "it through your records (sanitised; its extension made to fit the type)",
    ),
]
UPLOADED: dict[int | str, dict[str, Any]] = {
    201: {"description": "stored"},
    200: {"description": "the vault held it already (write-once)"},
}


def _stored(body: StoredOut) -> JSONResponse:
    return JSONResponse(
        body.model_dump(mode="json"),
        status_code=201 if body.created else 200,
        headers={"Location": f"/documents/{body.sha256}"},
    )


@router.put(
    "/{sha256}",
    response_model=StoredOut,
    summary="Upload a document behind its hash",
    responses={**UPLOADED, **responses(401, 413, 422, 429, 501, 503)},
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def put_document(
    vault: VaultDep, viewer: MemberDep, budget: UploadBudgetDep, request: Request, sha256: Sha256, name: FileName = None
) -> JSONResponse:
    """The body is the document's bytes, stored only if their SHA-256 is `sha256` (else 422
    `document_hash_mismatch`) and they fit the size limit (else 413 `document_too_large`), and recorded as the
    caller's upload (named `name`): the caller's records citing the hash then open it. Write-once: uploading bytes
    you uploaded before changes nothing but the name (200). A document may be uploaded before or after the record
    citing it. Each participant may upload API_DOCUMENT_UPLOAD_BYTES_PER_DAY bytes a day (429 once spent), whatever
    the vault holds."""
    body = await request.body()  # read (and bounded) by the request limits already
    budget.spend(str(viewer.address), len(body))  # every upload costs: the answer never tells what the vault holds
    stored = await run_in_threadpool(  # hashing, writing and fsync off the event loop
        lambda: vault.put(body, sha256, uploader=str(viewer.address), name=name)
    )
    return _stored(StoredOut.of(stored))


@router.post(
    "",
    response_model=StoredOut,
    summary="Upload a document (multipart)",
    responses={**UPLOADED, **responses(401, 413, 422, 429, 501, 503)},
)
async def post_document(
    request: Request,
    vault: VaultDep,
    viewer: MemberDep,
    budget: UploadBudgetDep,
    file: Annotated[UploadFile, File(description="the document")],
    sha256: Annotated[
        str | None, Form(pattern=r"^(0x)?[0-9a-fA-F]{64}$", description="refuse the file unless this is its SHA-256")
    ] = None,
) -> JSONResponse:
    """A `multipart/form-data` upload (one `file` part, and optionally the `sha256` it must have), stored under the
    SHA-256 of its bytes and recorded as the caller's upload with the part's file name; the answer names it. The
    same daily budget as `PUT` applies."""
    form = await request.form()  # parsed already, for the parameters above: which parts came, and how many
    for name in ("file", "sha256"):
        if len(form.getlist(name)) > 1:
            raise ValidationError(
                f"send one {name!r} part per upload, not {len(form.getlist(name))}: upload each document on its own",
                field=name,
            )
    size = file.size if file.size is not None else file.file.seek(0, 2)
    file.file.seek(0)
    budget.spend(str(viewer.address), size)
    stored = await run_in_threadpool(  # hashing, writing and fsync off the event loop
        lambda: vault.put_stream(
            iter(lambda: file.file.read(CHUNK), b""), sha256, uploader=str(viewer.address), name=file.filename
        )
    )
    return _stored(StoredOut.of(stored))


@router.get(
    "/{sha256}",
    summary="Download a document",
    response_class=Response,
    responses={
        200: {
            "content": {"application/octet-stream": {}},
            "description": "the document's bytes, checked against the hash, with the media type sniffed from them",
        },
        **responses(404, 422, 501, 503),
    },
)
def get_document(ledger: LedgerDep, vault: VaultDep, viewer: ViewerDep, may_see: MaySeeDep, sha256: Sha256) -> Response:
    """The document, if the vault holds it and the caller uploaded it or may see a record that opens it (a record of
    one of its uploaders; 404 otherwise, whichever the reason). Its bytes are checked against the hash before they
    are served, named as the uploader named the file."""
    found = open_document(ledger, vault, sha256, may_see, reader=viewer.address)
    digest = base64.b64encode(bytes.fromhex(found.hash[2:])).decode()
    name = found.name or f"{found.hash[2:]}.{EXTENSIONS.get(found.media_type, 'bin')}"
    return Response(
        found.content,
        media_type=found.media_type,
        headers={
            "Content-Disposition": content_disposition(name),
            "ETag": f'"{found.hash}"',
            "Repr-Digest": f"sha-256=:{digest}:",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "private, max-age=31536000, immutable",
        },
    )


def content_disposition(name: str) -> str:
    """`attachment` with the file name (RFC 6266): a quoted ASCII `filename` (each other character as `_`), and
    `filename*` in UTF-8 (RFC 8187, formerly 5987) when the name is not plain ASCII. `name` is sanitised already
    (`ledger.documents.media.file_name`: no quotes, backslashes or control characters)."""
    fallback = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in name)
    if fallback == name:
        return f'attachment; filename="{name}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@router.get(
    "/{sha256}/citations",
    response_model=list[CitationOut],
    summary="Records citing a document",
    responses=responses(404, 422, 501, 503),
)
def get_citations(
    ledger: LedgerDep, vault: VaultDep, viewer: ViewerDep, may_see: MaySeeDep, sha256: Sha256
) -> list[CitationOut]:
    """Every record on chain committing to the document's hash that the caller may see (batches, disclosure
    versions, attestations and participant profiles), when the caller may read the document (404 otherwise).
    Records of participants that did not upload the document are listed, but never open it."""
    found = visible_citations(ledger, vault, document_hash(sha256), may_see, reader=viewer.address)
    return [CitationOut.of(c) for c in found]
