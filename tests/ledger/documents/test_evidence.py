"""Documents and the records citing them: citations from the index, reading a document only through its records,
and the report's bad inputs (unknown regime, a date before the chain)."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.demo.documents import file_hash
from ledger.demo.rubber import GTIN_FIELD_LATEX
from ledger.diligence import due_diligence
from ledger.documents.evidence import adopt, any_citation, citations, open_document
from ledger.documents.vault import Vault, sha256_of
from ledger.domain.errors import NotFoundError, ValidationError
from ledger.domain.types import CitationKind, Document, DocumentKind, Gln, NewBatch
from ledger.regimes import regime
from tests.evidence import COOP_SITE, Harness


def test_citations_name_every_kind_of_record_committing_to_a_document(evidence: Harness) -> None:
    world = evidence.world
    (plots,) = citations(evidence.ledger, file_hash("plots-ksrc-26-a.geojson"))
    assert (plots.kind, plots.record_id, plots.document_kind) == (
        CitationKind.BATCH,
        world.batches["field-latex-a"],
        DocumentKind.PLOT_GEOLOCATION,
    )
    assert plots.participant == world.account("rubber-coop").address
    titles = citations(evidence.ledger, file_hash("land-titles-ksrc-2026.pdf"))
    assert {c.record_id for c in titles} == {world.batches["field-latex-a"], world.batches["field-latex-b"]}
    (report,) = citations(evidence.ledger, file_hash("sustainability-report-weaving-2025-rev1.pdf"))
    assert (report.kind, report.record_id, report.version) == (CitationKind.DISCLOSURE, world.disclosures["weaving"], 2)
    (assurance,) = citations(evidence.ledger, file_hash("assurance-report-hg-2025.pdf"))
    assert (assurance.kind, assurance.participant) == (CitationKind.ATTESTATION, world.account("auditor").address)
    (profile,) = citations(evidence.ledger, file_hash("profile-gin-xinjiang.json"))
    assert (profile.kind, profile.record_id) == (CitationKind.PARTICIPANT, world.account("gin-xinjiang").address)
    assert citations(evidence.ledger, sha256_of(b"nobody cites this")) == ()


def test_a_document_is_handed_out_only_through_a_record_of_its_uploader(evidence: Harness) -> None:
    content = b"%PDF-1.4 a permit uploaded before the batch citing it"
    coop = evidence.world.account("rubber-coop").address
    digest = evidence.put(content, by=[coop])  # uploaded first: kept, but opened by no record while none cites it
    with pytest.raises(NotFoundError):
        open_document(evidence.ledger, evidence.vault, digest, any_citation)
    assert open_document(evidence.ledger, evidence.vault, digest, any_citation, reader=coop).content == content
    evidence.ledger.record_batch(
        evidence.world.account("rubber-coop"),
        NewBatch(
            GTIN_FIELD_LATEX,
            "PERMIT-1",
            "400110",
            Decimal(10),
            "KGM",
            COOP_SITE,
            evidence.world_time(),
            documents=(Document(digest, DocumentKind.LEGALITY_PERMIT),),
        ),
    )
    found = open_document(evidence.ledger, evidence.vault, digest, any_citation)  # ... and served once cited
    assert found.content == content and found.media_type == "application/pdf"
    with pytest.raises(NotFoundError):  # the access rules say no: the same answer as "no such document"
        open_document(evidence.ledger, evidence.vault, digest, lambda _citation: False)


def test_a_document_cited_but_never_uploaded_is_not_found(evidence: Harness) -> None:
    missing = sha256_of(b"a certificate nobody uploaded")
    evidence.ledger.record_batch(
        evidence.world.account("rubber-coop"),
        NewBatch(
            GTIN_FIELD_LATEX,
            "CERT-1",
            "400110",
            Decimal(10),
            "KGM",
            COOP_SITE,
            evidence.world_time(),
            documents=(Document(missing, DocumentKind.CERTIFICATE),),
        ),
    )
    with pytest.raises(NotFoundError):
        open_document(evidence.ledger, evidence.vault, missing, any_citation)


def test_bytes_in_the_vault_that_nobody_uploaded_are_opened_by_no_citation(evidence: Harness) -> None:
    """`ledger documents put` without --uploader (or a file copied in): a record citing it opens nothing."""
    content = b"%PDF-1.4 copied into the vault by hand"
    digest = evidence.vault.put(content).hash
    evidence.ledger.record_batch(
        evidence.world.account("rubber-coop"),
        NewBatch(
            GTIN_FIELD_LATEX,
            "COPIED-1",
            "400110",
            Decimal(10),
            "KGM",
            COOP_SITE,
            evidence.world_time(),
            documents=(Document(digest, DocumentKind.CERTIFICATE),),
        ),
    )
    with pytest.raises(NotFoundError):
        open_document(evidence.ledger, evidence.vault, digest, any_citation)


def test_a_vault_from_before_uploads_were_recorded_gives_each_cited_file_its_first_citer_once(
    evidence: Harness, tmp_path: Path
) -> None:
    """An older workspace's files have no upload records. Opening it once (what `ledger serve` does at start) gives
    each file cited now the participant whose record cited it first (what the old rule served), leaves an uncited
    file to nobody, and never runs again: a record made afterwards cannot adopt a file."""
    cited, uncited, later = b"%PDF-1.4 old permit", b"%PDF-1.4 old uncited scan", b"%PDF-1.4 old, cited later"
    root = tmp_path / "old-vault"
    for content in (cited, uncited, later):  # as the vault wrote files before: bytes under their hash, nothing else
        name = hashlib.sha256(content).hexdigest()
        (root / name[:2]).mkdir(parents=True, exist_ok=True)
        (root / name[:2] / name).write_bytes(content)
    coop, latex = evidence.world.account("rubber-coop"), evidence.world.account("latex")
    evidence.ledger.record_batch(
        coop,
        NewBatch(
            GTIN_FIELD_LATEX,
            "OLD-1",
            "400110",
            Decimal(1),
            "KGM",
            COOP_SITE,
            evidence.world_time(),
            documents=(Document(sha256_of(cited), DocumentKind.LEGALITY_PERMIT),),
        ),
    )
    vault = Vault(root)
    assert not vault.uploads_recorded
    assert adopt(evidence.ledger, vault) == 1
    assert vault.uploaders(sha256_of(cited)) == {coop.address.lower()}
    assert vault.uploaders(sha256_of(uncited)) == frozenset()
    assert open_document(evidence.ledger, vault, sha256_of(cited), any_citation).content == cited
    evidence.ledger.record_batch(
        latex,
        NewBatch(
            GTIN_FIELD_LATEX,
            "OLD-2",
            "400110",
            Decimal(1),
            "KGM",
            Gln("9552234000017"),
            evidence.world_time(),
            documents=(Document(sha256_of(later), DocumentKind.LEGALITY_PERMIT),),
        ),
    )
    assert adopt(evidence.ledger, Vault(root)) == 0 and Vault(root).uploaders(sha256_of(later)) == frozenset()
    with pytest.raises(NotFoundError):
        open_document(evidence.ledger, vault, sha256_of(later), any_citation)


def test_an_unknown_regime_is_refused(evidence: Harness) -> None:
    with pytest.raises(ValidationError, match="unknown regime 'CBAM'; known: EUDR, UFLPA, CSDDD, BATTERY, EU_FLR"):
        due_diligence(evidence.ledger, evidence.world.batches["gloves-a"], regimes=["EUDR", "CBAM"])
    assert regime("eu-flr").value == "EU_FLR"


def test_a_report_date_before_the_chains_first_block_is_refused(evidence: Harness) -> None:
    with pytest.raises(ValidationError, match="before the ledger's first block") as refused:
        due_diligence(evidence.ledger, evidence.world.batches["gloves-a"], regimes=["EUDR"], as_of=date(2020, 1, 1))
    assert refused.value.field == "as_of"


def test_the_report_names_the_reference_data_and_list_versions_it_used(evidence: Harness) -> None:
    sections = evidence.report(evidence.world.batches["garments-b"], "UFLPA", "EUDR")
    assert [s.regime.value for s in sections.values()] == ["UFLPA", "EUDR"]
    uflpa = sections["UFLPA"]
    assert [d.name for d in uflpa.reference_data] == ["UFLPA high-priority sectors", "Raw-material HS headings"]
    assert uflpa.lists[0].sha256 == evidence.lists.versions("uflpa")[0].sha256
    assert [d.name for d in sections["EUDR"].reference_data] == ["EUDR Annex I (relevant products by HS heading)"]
