"""The demo's evidence: the real files it ships (`ledger/demo_files/`, written by `scripts/demo_documents.py`), whose
SHA-256 are the document hashes it records on chain, and the sample UFLPA Entity List.

The sample list is illustrative, NOT the official UFLPA Entity List: a few entries named after entities reported on
it and one fictional entry naming the demo's Xinjiang gin. Load the official list for real screening.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import cache
from pathlib import Path

from ledger.regimes.screening import ListVersion, ScreeningLists
from ledger.types import Document, DocumentKind, Hash32
from ledger.vault import Vault

FILES = Path(__file__).parent / "demo_files"
SAMPLE_UFLPA_LIST = Path(__file__).parent / "regimes" / "data" / "sample-uflpa-entity-list.csv"
SAMPLE_UFLPA_LIST_DATE = date(2026, 10, 1)


@cache
def file_hash(name: str) -> Hash32:
    """The SHA-256 of a shipped demo file, as recorded on chain."""
    return Hash32("0x" + hashlib.sha256((FILES / name).read_bytes()).hexdigest())


def document(name: str, kind: DocumentKind) -> Document:
    return Document(file_hash(name), kind)


def files() -> list[Path]:
    return sorted(p for p in FILES.iterdir() if p.is_file())


def fill_vault(vault: Vault) -> int:
    """Put every demo file in the vault (write-once: files it holds already are left as they are). Returns how many
    were new."""
    return sum(vault.put_file(path).created for path in files())


def load_sample_lists(lists: ScreeningLists) -> ListVersion:
    """The sample UFLPA Entity List, as a version of the `uflpa` list (once: loading it again changes nothing)."""
    return lists.load("uflpa", SAMPLE_UFLPA_LIST.read_bytes(), SAMPLE_UFLPA_LIST_DATE,
                      source="sample list shipped with the demo (illustrative, not the official list)")
