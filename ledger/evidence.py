"""Documents behind the records: which records on chain cite a document, and handing a document to a reader.

A document in the vault is evidence only through the records that commit to its hash. `citations` reads them from
the index (batches, disclosure versions, attestations, participant profiles). `open_document` gives a reader a
document only if the vault holds intact bytes for the hash *and* the caller's `may_see_document` predicate allows it
given those citations; otherwise it answers "not found", so a reader learns nothing about documents it may not see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from ledger.errors import NotFoundError
from ledger.types import Citation
from ledger.vault import Vault, VaultDocument, document_hash

if TYPE_CHECKING:
    from ledger.client import Ledger

#: Decides, from the records citing a document, whether the caller may read it. The API's access rules plug in here:
#: a reader may see a document when it may see one of the batches or disclosures citing it.
MaySeeDocument = Callable[[Sequence[Citation]], bool]


def cited_at_all(found: Sequence[Citation]) -> bool:
    """The rule without access control: a document is served if some record on chain cites it (an upload nobody
    cites yet is kept, but not handed out)."""
    return bool(found)


def citations(ledger: Ledger, sha256: str) -> tuple[Citation, ...]:
    """Every record on chain that commits to the document, in chain order (the index brought to the head first)."""
    digest = document_hash(sha256)
    ledger.sync()
    return tuple(ledger.store.document_citations(digest))


def open_document(ledger: Ledger, vault: Vault, sha256: str, may_see_document: MaySeeDocument) -> VaultDocument:
    """The document with its bytes checked against the hash, if the vault holds it and `may_see_document` allows it
    given the records citing it; NotFoundError otherwise (the same answer whichever is the reason)."""
    digest = document_hash(sha256)
    if not vault.has(digest) or not may_see_document(citations(ledger, digest)):
        raise NotFoundError(f"no document {digest}")
    found = vault.get(digest)
    if found is None:
        raise NotFoundError(f"no document {digest}")
    return found
