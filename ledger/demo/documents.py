"""The demo's evidence: the real files it ships (`ledger/demo/files/`, written by `scripts/demo_documents.py`), whose
SHA-256 are the document hashes it records on chain, and the sample UFLPA Entity List.

The sample list is illustrative, NOT the official UFLPA Entity List: a few entries named after entities reported on
it and one fictional entry naming the demo's Xinjiang gin. Load the official list for real screening.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from ledger.documents.vault import Vault
from ledger.domain.types import Document, DocumentKind, Hash32
from ledger.regimes.screening import ListVersion, ScreeningLists

if TYPE_CHECKING:
    from ledger.client import Ledger

FILES = Path(__file__).parent / "files"
SAMPLE_UFLPA_LIST = Path(__file__).parents[1] / "regimes" / "data" / "sample-uflpa-entity-list.csv"
SAMPLE_UFLPA_LIST_DATE = date(2026, 10, 1)


@cache
def file_hash(name: str) -> Hash32:
    """The SHA-256 of a shipped demo file, as recorded on chain."""
    return Hash32("0x" + hashlib.sha256((FILES / name).read_bytes()).hexdigest())


def document(name: str, kind: DocumentKind) -> Document:
    return Document(file_hash(name), kind)


def files() -> list[Path]:
    return sorted(p for p in FILES.iterdir() if p.is_file())


#: Demo files no record cites, and the participant whose documents name them (a social audit's remediation evidence,
#: a profile's due-diligence policy).
NAMED_IN_DOCUMENTS = {
    "corrective-action-closure-hg-2025.pdf": "garment",
    "due-diligence-policy-bes-2026.pdf": "pack-maker",
}


def upload_documents(ledger: Ledger, vault: Vault) -> int:
    """Each demo participant uploads the demo files its own records cite (batch documents, disclosure reports,
    assurance reports, its profile), and those its documents name, as a member would: a citation opens a document
    only for its uploader's records (`ledger.documents.evidence`). Only the demo's own participants upload (whoever
    else cites a demo file on this chain gets nothing), and uploading again changes nothing. Returns how many uploads
    were new."""
    from ledger.demo.apparel import demo_account

    ledger.sync()
    demo = {demo_account(key).address.lower(): key for key in participant_keys()}
    new = 0
    for path in files():
        owners = {c.participant.lower() for c in ledger.store.document_citations(file_hash(path.name))}
        if path.name in NAMED_IN_DOCUMENTS:
            owners.add(demo_account(NAMED_IN_DOCUMENTS[path.name]).address.lower())
        for owner in sorted(owners & demo.keys()):
            new += vault.put_file(path, uploader=owner).created
    return new


def participant_keys() -> list[str]:
    """Every demo participant's name, across the three chains (each has a profile file)."""
    return sorted(p.name.removeprefix("profile-").removesuffix(".json") for p in FILES.glob("profile-*.json"))


def load_sample_lists(lists: ScreeningLists) -> ListVersion:
    """The sample UFLPA Entity List, as a version of the `uflpa` list (once: loading it again changes nothing)."""
    return lists.load(
        "uflpa",
        SAMPLE_UFLPA_LIST.read_bytes(),
        SAMPLE_UFLPA_LIST_DATE,
        source="sample list shipped with the demo (illustrative, not the official list)",
    )
