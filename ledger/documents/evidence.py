"""Documents behind the records: which records on chain cite a document, whose upload a record opens, and handing a
document to a reader.

A document in the vault is evidence only through the records that commit to its hash, and only through the records
of a participant that uploaded it. A hash is public (on chain as soon as one record cites it, in any email the file
went with): anyone may cite it in a record of their own, first or later. Uploading takes the bytes. So the rule, in
one place (`opens`), read by the download, the citations list and the rule packs alike: **a record opens a document
only when the record's owner (the batch's producer, the discloser, the attesting auditor, the participant whose
profile it is) is among the document's uploaders**. Two members may upload the same bytes (a shared certificate):
each one's records open it.

`open_document` gives a reader a document only if the vault holds intact bytes for the hash and the reader uploaded
it, or may see a record that opens it (the `may_see` predicate: the API's access rules); otherwise it answers "not
found", the same whichever the reason, so a reader learns nothing about documents it may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ledger.documents.vault import Vault, VaultDocument, document_hash
from ledger.domain.errors import NotFoundError
from ledger.domain.types import Citation

if TYPE_CHECKING:
    from ledger.client import Ledger

#: Whether the caller may see one record citing a document (the API's access rules plug in here).
MaySeeCitation = Callable[[Citation], bool]


def opens(owner: str, uploaders: AbstractSet[str]) -> bool:
    """Whether a record of `owner` opens a document uploaded by `uploaders` (lower-case addresses, as the vault
    gives them): only when the owner uploaded it."""
    return owner.lower() in uploaders


def opening(found: Iterable[Citation], uploaders: AbstractSet[str]) -> tuple[Citation, ...]:
    """The citations that open the document: those whose record's owner uploaded it."""
    return tuple(c for c in found if opens(c.participant, uploaders))


def any_citation(_citation: Citation) -> bool:
    """The rule without access control: any record that opens the document lets it out."""
    return True


def citations(ledger: Ledger, sha256: str) -> tuple[Citation, ...]:
    """Every record on chain that commits to the document, in chain order (the index brought to the head first)."""
    digest = document_hash(sha256)
    ledger.sync()
    return tuple(ledger.store.document_citations(digest))


@dataclass(frozen=True)
class OpenedDocument:
    """A document a reader may have: its checked bytes and media type, and the file name its uploader gave (the
    reader's own upload's, else that of the uploader whose record opened it; None if it gave none)."""

    document: VaultDocument
    name: str | None

    @property
    def hash(self) -> str:
        return self.document.hash

    @property
    def content(self) -> bytes:
        return self.document.content

    @property
    def media_type(self) -> str:
        return self.document.media_type


def opened_by(
    ledger: Ledger, vault: Vault, sha256: str, may_see: MaySeeCitation, reader: str | None = None
) -> str | None:
    """Whose upload the reader opens: itself if it uploaded the document, else the owner of the first record (in
    chain order) that opens the document and that the reader may see; None if neither."""
    digest = document_hash(sha256)
    uploaders = vault.uploaders(digest)
    if not uploaders:
        return None
    if reader is not None and opens(reader, uploaders):
        return reader.lower()
    return next((c.participant.lower() for c in opening(citations(ledger, digest), uploaders) if may_see(c)), None)


def open_document(
    ledger: Ledger, vault: Vault, sha256: str, may_see: MaySeeCitation, reader: str | None = None
) -> OpenedDocument:
    """The document with its bytes checked against the hash, if the vault holds it and the reader uploaded it or may
    see a record that opens it; NotFoundError otherwise (the same answer whichever is the reason)."""
    digest = document_hash(sha256)
    uploader = opened_by(ledger, vault, digest, may_see, reader)
    found = vault.get(digest) if uploader is not None else None
    if uploader is None or found is None:
        raise NotFoundError(f"no document {digest}")
    upload = vault.upload(digest, uploader)
    return OpenedDocument(found, upload.name if upload is not None else None)


def visible_citations(
    ledger: Ledger, vault: Vault, sha256: str, may_see: MaySeeCitation, reader: str | None = None
) -> list[Citation]:
    """The records citing the document that the reader may see, when it may open the document (NotFoundError
    otherwise, as for the document itself). Records of participants that did not upload it are listed too (an owner
    sees who else cites its file), but they never open it."""
    digest = document_hash(sha256)
    if opened_by(ledger, vault, digest, may_see, reader) is None:
        raise NotFoundError(f"no record cites {digest}")
    return [c for c in citations(ledger, digest) if may_see(c)]


def adopt(ledger: Ledger, vault: Vault) -> int:
    """Give the files an older vault holds without any upload record (stored before uploads were recorded) the owner
    the old rule gave them: the participant whose record cited the document first, as of now. Runs once per vault
    (a new vault, and one adopted already, carry a marker), so a record made later can never adopt a file; a file
    nobody cites now stays without uploader (served to nobody) until a member uploads its bytes. Returns how many
    files were adopted."""
    if vault.uploads_recorded:
        return 0
    adopted = 0
    for digest in vault.stored():
        if vault.uploaders(digest):
            continue
        found: Sequence[Citation] = citations(ledger, digest)
        if found and vault.adopt(digest, found[0].participant):
            adopted += 1
    vault.mark_uploads_recorded()
    return adopted
