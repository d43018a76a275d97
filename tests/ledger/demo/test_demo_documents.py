"""The demo's documents are real files, reproducible from their generator, and the hashes on chain are their
SHA-256."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ledger.demo.documents import FILES, file_hash, files
from ledger.documents.vault import sha256_of
from ledger.domain.jsonlimits import load_json
from ledger.regimes import formats
from tests.evidence import Harness

ROOT = Path(__file__).resolve().parents[3]


def test_the_shipped_files_are_what_the_generator_writes() -> None:
    run = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo_documents.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("path", [p for p in files() if p.suffix == ".pdf"], ids=lambda p: p.name)
def test_every_pdf_is_a_well_formed_pdf(path: Path) -> None:
    content = path.read_bytes()
    assert content.startswith(b"%PDF-1.4\n") and content.rstrip().endswith(b"%%EOF")
    start = int(re.search(rb"startxref\n(\d+)\n", content).group(1))  # type: ignore[union-attr]
    assert content[start:].startswith(b"xref\n0 7\n")
    offsets = [int(line[:10]) for line in content[start:].split(b"\n")[3:9]]
    for number, offset in enumerate(offsets, start=1):  # every cross-reference entry points at its object
        assert content[offset:].startswith(b"%d 0 obj\n" % number)
    length = int(re.search(rb"/Length (\d+)", content).group(1))  # type: ignore[union-attr]
    stream = content.index(b"stream\n") + len(b"stream\n")
    assert content[stream + length :].startswith(b"\nendstream")


@pytest.mark.parametrize("path", [p for p in files() if p.suffix in (".json", ".geojson")], ids=lambda p: p.name)
def test_every_json_file_parses(path: Path) -> None:
    assert isinstance(load_json(path.read_bytes()), dict)


def test_the_profiles_name_the_participants_as_registered(evidence: Harness) -> None:
    for key, participant in evidence.world.participants.items():
        content = (FILES / f"profile-{key}.json").read_bytes()
        assert participant.profile.profile_hash == sha256_of(content)
        assert formats.profile(content).legal_name == participant.profile.legal_name


def test_every_document_hash_the_demo_records_is_the_sha256_of_a_shipped_file(evidence: Harness) -> None:
    shipped = {file_hash(p.name) for p in files()}
    cited = {d.hash for b in evidence.world.batches.values() for d in evidence.ledger.batch(b).documents}
    cited |= {
        v.document_hash for d in evidence.world.disclosures.values() for v in evidence.ledger.disclosure(d).versions
    }
    cited |= {
        a.report_hash for d in evidence.world.disclosures.values() for a in evidence.ledger.disclosure(d).attestations
    }
    assert cited and cited <= shipped
    assert all(evidence.vault.read(h) is not None for h in cited)  # the demo filled the vault


def test_the_battery_footprint_names_the_pack_plant() -> None:
    from ledger.demo.battery import PACK_PLANT

    body = json.loads((FILES / "carbon-footprint-bes-nmc-15.json").read_text())
    assert body["plant_gln"] == PACK_PLANT


def test_every_document_the_demo_records_is_uploaded_by_the_owner_of_each_record_citing_it(evidence: Harness) -> None:
    """The demo's participants upload their own files as members do, so their records open them (and nobody
    else's do)."""
    from ledger.documents.evidence import citations

    for path in files():
        found = citations(evidence.ledger, file_hash(path.name))
        assert {c.participant.lower() for c in found} <= evidence.vault.uploaders(file_hash(path.name)), path.name
    assert (
        evidence.vault.upload(
            file_hash("plots-ksrc-26-a.geojson"),  # type: ignore[union-attr]
            evidence.world.account("rubber-coop").address,
        ).name
        == "plots-ksrc-26-a.geojson"
    )
