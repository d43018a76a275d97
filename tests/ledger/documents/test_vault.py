"""The document vault: content-addressed, write-once, checked both ways, safe for concurrent writers."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import tracemalloc
from pathlib import Path

import pytest

from ledger.demo.documents import FILES
from ledger.documents import media
from ledger.documents.vault import Vault, document_hash, sha256_of
from ledger.domain.errors import DocumentMismatchError, DocumentTooLargeError, ValidationError, VaultUnavailableError

PDF = (FILES / "invoice-anc-0977.pdf").read_bytes()


def test_a_document_is_kept_under_the_sha256_of_its_bytes_and_read_back(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    stored = vault.put(PDF)
    assert stored.hash == "0x" + hashlib.sha256(PDF).hexdigest() and stored.created
    assert (stored.size, stored.media_type) == (len(PDF), "application/pdf")
    found = vault.get(stored.hash[2:].upper())  # the hash with or without 0x, any case
    assert found is not None and found.content == PDF and found.media_type == "application/pdf"
    assert vault.path_of(stored.hash).parent.name == stored.hash[2:4]


def test_storing_a_document_again_changes_nothing(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    first = vault.put(PDF)
    stamp = vault.path_of(first.hash).stat().st_mtime_ns
    again = vault.put(PDF, expected=first.hash)
    assert not again.created and vault.path_of(first.hash).stat().st_mtime_ns == stamp


def test_an_upload_whose_bytes_do_not_match_its_hash_is_refused(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    claimed = sha256_of(b"the certificate the factory committed to")
    with pytest.raises(DocumentMismatchError, match="refused"):
        vault.put(b"a forged certificate", expected=claimed)
    assert vault.get(claimed) is None and not vault.has(claimed)
    assert list((tmp_path / ".tmp").iterdir()) == []  # nothing left behind


def test_a_document_over_the_size_limit_is_refused_while_it_streams_in(tmp_path: Path) -> None:
    vault = Vault(tmp_path, max_bytes=1_000)
    chunks_read = []

    def chunks() -> object:
        for n in range(100):
            chunks_read.append(n)
            yield b"x" * 300

    with pytest.raises(DocumentTooLargeError) as refused:
        vault.put_stream(chunks())  # type: ignore[arg-type]
    assert refused.value.limit == 1_000 and len(chunks_read) == 4  # stopped at the first chunk past the limit
    assert vault.put(b"x" * 1_000).size == 1_000
    assert list((tmp_path / ".tmp").iterdir()) == []


@pytest.mark.parametrize("bad", ["", "0x123", "zz" * 32, "0x" + "0" * 63])
def test_a_malformed_hash_is_refused(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValidationError, match="64 hex digits"):
        document_hash(bad)


def test_a_file_damaged_on_disk_is_never_served_and_a_good_upload_repairs_it(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    stored = vault.put(PDF)
    path = vault.path_of(stored.hash)
    path.write_bytes(PDF[:-10] + b"tampered!!")
    assert vault.get(stored.hash) is None  # bytes that do not match are never handed out ...
    assert not path.exists() and len(list((tmp_path / ".corrupt").iterdir())) == 1  # ... and are moved aside
    assert vault.put(PDF).created and vault.read(stored.hash) == PDF


def test_a_damaged_file_in_the_way_of_an_upload_is_replaced(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    digest = sha256_of(PDF)
    vault.path_of(digest).parent.mkdir(parents=True)
    vault.path_of(digest).write_bytes(b"half a file")  # e.g. copied in by hand, cut short
    assert vault.put(PDF).created and vault.read(digest) == PDF


def _write_many(root: str, content: bytes, rounds: int) -> None:
    vault = Vault(Path(root))
    for _ in range(rounds):
        vault.put(content)


def test_two_processes_writing_the_same_document_never_corrupt_it(tmp_path: Path) -> None:
    content = os.urandom(2 * 1024 * 1024)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_write_many, args=(str(tmp_path), content, 15)) for _ in range(2)]
    for writer in writers:
        writer.start()
    vault = Vault(tmp_path)
    while any(w.is_alive() for w in writers):
        found = vault.get(sha256_of(content))  # a reader never sees a partial file
        assert found is None or found.content == content
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert vault.read(sha256_of(content)) == content
    assert list((tmp_path / ".tmp").iterdir()) == [] and not (tmp_path / ".corrupt").exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("invoice-anc-0977.pdf", "application/pdf"),
        ("plots-ksrc-26-a.geojson", "application/geo+json"),
        ("dds-smg-26-a.json", "application/json"),
    ],
)
def test_media_types_are_sniffed_from_the_content(name: str, expected: str) -> None:
    assert media.sniff((FILES / name).read_bytes()) == expected


def test_text_binary_and_deeply_nested_json_are_typed_without_parsing_trouble() -> None:
    assert media.sniff(b"name,country\nA,CN\n") == "text/plain; charset=utf-8"
    assert media.sniff(b"\x00\x01\x02\xff") == "application/octet-stream"
    assert media.sniff(b"<html><script>alert(1)</script>") == "text/plain; charset=utf-8"  # never served as HTML
    assert media.sniff(b"[" * 100_000 + b"]" * 100_000) == "text/plain; charset=utf-8"  # refused as JSON: too deep


def test_a_vault_whose_directory_cannot_be_written_is_unavailable(tmp_path: Path) -> None:
    vault = Vault(tmp_path / "volume")
    (tmp_path / "volume" / ".tmp").rmdir()
    (tmp_path / "volume" / ".tmp").write_text("the volume was replaced by a file")  # as an unmounted volume would
    with pytest.raises(VaultUnavailableError, match="cannot be written: Not a directory") as refused:
        vault.put(PDF)
    assert str(tmp_path) not in str(refused.value)  # no path in the message


def test_a_documents_type_is_decided_when_it_is_stored_and_a_download_never_parses_it(tmp_path: Path) -> None:
    """Sniffing GeoJSON from JSON parses it: done once, when the bytes are stored. Reading the document back costs
    about its size in memory, not what a parse of it would (four downloads of one 8 MiB JSON took 600 MB)."""
    features = [
        {
            "type": "Feature",
            "properties": {"PlotId": f"P-{i}"},
            "geometry": {"type": "Point", "coordinates": [100.9 + i / 1e6, 5.6]},
        }
        for i in range(40_000)
    ]
    content = json.dumps({"type": "FeatureCollection", "features": features}).encode()
    vault = Vault(tmp_path)
    assert vault.put(content).media_type == "application/geo+json"
    tracemalloc.start()
    try:
        found = vault.get(sha256_of(content))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert found is not None and found.media_type == "application/geo+json"
    assert peak < 3 * len(content), f"a download took {peak:,} bytes for a {len(content):,}-byte document"


def test_a_file_stored_before_types_were_kept_is_typed_at_its_first_read_once(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    content = b'{"type": "Point", "coordinates": [1.5, 2.5]}'
    name = hashlib.sha256(content).hexdigest()
    (tmp_path / name[:2]).mkdir()
    (tmp_path / name[:2] / name).write_bytes(content)  # as an older vault left it: the bytes alone
    assert vault.get(name) is not None and vault.get(name).media_type == "application/geo+json"  # type: ignore[union-attr]
    assert (tmp_path / name[:2] / f"{name}.type").read_text() == "application/geo+json"


def test_each_member_uploading_the_same_bytes_is_an_uploader_with_its_own_name(tmp_path: Path) -> None:
    vault = Vault(tmp_path)
    first, second = "0x" + "a1" * 20, "0x" + "B2" * 20
    one = vault.put(PDF, uploader=first, name="invoice.pdf")
    assert (one.created, one.name) == (True, "invoice.pdf")
    two = vault.put(PDF, uploader=second, name="../../etc/発票.pdf")
    assert (two.created, two.name) == (True, "発票.pdf")  # new for this uploader, though the vault held the bytes
    assert vault.uploaders(one.hash) == {first, second.lower()}
    again = vault.put(PDF, uploader=first)
    assert (again.created, again.name) == (False, "invoice.pdf")  # its name kept
    assert vault.upload(one.hash, first).name == "invoice.pdf"  # type: ignore[union-attr]
    vault.put(PDF, uploader=first, name="invoice-renamed.pdf")
    assert vault.upload(one.hash, first).name == "invoice-renamed.pdf"  # type: ignore[union-attr]
    assert vault.upload(one.hash, "0x" + "c3" * 20) is None
    with pytest.raises(ValidationError, match="uploader"):
        vault.put(PDF, uploader="../../not-an-address")


@pytest.mark.parametrize(
    ("raw", "media_type", "kept"),
    [
        ("certificate.pdf", media.PDF, "certificate.pdf"),
        ("C:\\fakepath\\scan.PDF", media.PDF, "scan.PDF"),
        ("有机棉证书.pdf", media.PDF, "有机棉证书.pdf"),
        ("invoice.pdf.exe", media.PDF, "invoice.pdf.exe.pdf"),  # the extension always tells the sniffed type
        ("plots.json", media.GEOJSON, "plots.json"),
        ("report\u202egpj.pdf", media.PDF, "reportgpj.pdf"),  # a right-to-left override dropped
        ('a "quoted"\r\nname<>|?.txt', media.CSV_OR_TEXT, "a _quoted_ name____.txt"),
        ("CON.pdf", media.PDF, "_CON.pdf"),
        ("...", media.PDF, None),
        ("", media.PDF, None),
    ],
)
def test_an_uploaded_file_name_is_kept_sanitised(raw: str, media_type: str, kept: str | None) -> None:
    assert media.file_name(raw, media_type) == kept


def test_a_file_name_is_bounded_in_bytes() -> None:
    kept = media.file_name("证" * 500 + ".pdf", media.PDF)
    assert kept is not None and kept.endswith(".pdf") and len(kept.encode()) <= media.NAME_MAX_BYTES


def _upload_at_once(root: str, contents: list[bytes], uploader: str, barrier: object, out: object) -> None:
    vault = Vault(Path(root))
    created = []
    for content in contents:
        barrier.wait()  # type: ignore[attr-defined]
        created.append(vault.put(content, uploader=uploader, name="report.pdf").created)
    out.put(created)  # type: ignore[attr-defined]


def test_one_member_uploading_the_same_bytes_twice_at_once_is_one_first_upload(tmp_path: Path) -> None:
    """Two instances sharing a vault, one member's upload arriving at both at once: exactly one answers 'created'
    (201), the other 'already uploaded' (200), whichever wins."""
    uploader = "0x" + "ab" * 20
    contents = [b"%PDF-1.4 " + os.urandom(64) for _ in range(40)]
    context = multiprocessing.get_context("spawn")
    barrier, out = context.Barrier(2), context.Queue()
    workers = [
        context.Process(target=_upload_at_once, args=(str(tmp_path), contents, uploader, barrier, out))
        for _ in range(2)
    ]
    for worker in workers:
        worker.start()
    results = [out.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0
    assert [a + b for a, b in zip(*results, strict=True)] == [1] * len(contents)
