"""Two real `ledger serve` processes on one anvil node sharing one documents directory (a mounted volume in
production): each serves the other's uploads, subject to the access rules (a document is for whoever may see a record
citing it), and both uploading the same document at once leaves it intact."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.node import AnvilNode
from ledger.demo.apparel import demo_account
from ledger.demo.documents import FILES, file_hash
from ledger.demo.rubber import GTIN_FIELD_LATEX
from ledger.domain.types import Document, DocumentKind, Gln, Hash32, NewBatch
from tests.api.serve_process import ServeProcess, two_instances


@pytest.fixture(scope="module")
def instances(
    module_anvil: AnvilNode, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServeProcess, ServeProcess, Path]]:
    """Shared by this file's tests, which upload different documents."""
    home = tmp_path_factory.mktemp("shared-vault")
    shared = {"LEDGER_DOCUMENTS_DIR": str(home / "shared-documents")}
    with two_instances(module_anvil.url, home, {**shared, "LEDGER_DEMO_CHAINS": "apparel,rubber"}, shared) as both:
        yield (*both, home / "shared-documents")


def record_citing(url: str, http: httpx.Client, lot: str, *hashes: str) -> None:
    """The demo's rubber cooperative records, through the instance at `url`, a batch citing the documents."""
    batch = NewBatch(
        GTIN_FIELD_LATEX,
        lot,
        "400110",
        Decimal(5),
        "KGM",
        Gln("9551234000010"),
        datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1),
        documents=tuple(Document(Hash32(h), DocumentKind.LEGALITY_PERMIT) for h in hashes),
    )
    with httpx.Client(base_url=url, timeout=30) as instance:
        body = ApiSigner(url, demo_account("rubber-coop"), client=instance).body(calldata.record_batch(batch))
    written = http.post(f"{url}/batches", json=body)
    assert written.status_code == 201, written.text


def eventually(check: object, seconds: float = 10) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        reply = check()  # type: ignore[operator]
        if reply.status_code == 200 or time.monotonic() > deadline:
            return reply  # type: ignore[no-any-return]
        time.sleep(0.2)


def test_two_instances_sharing_a_documents_directory_serve_each_others_uploads(
    instances: tuple[ServeProcess, ServeProcess, Path],
) -> None:
    first, second, _ = instances
    seeded = file_hash("plots-ksrc-26-a.geojson")  # put in the shared vault by the first instance's demo seeding
    coop = demo_account("rubber-coop")  # each instance signs its own tokens: sign in to each
    with httpx.Client(timeout=30) as http:
        http.headers.update(first.login(coop))
        a_headers, b_headers = dict(http.headers), second.login(coop)
        served = http.get(f"{second.url}/documents/{seeded}", headers=b_headers)
        assert served.status_code == 200 and served.content == (FILES / "plots-ksrc-26-a.geojson").read_bytes()

        one, two = b"%PDF-1.4 land title uploaded through A", b"%PDF-1.4 permit uploaded through B"
        via_a = http.put(f"{first.url}/documents/{hashlib.sha256(one).hexdigest()}", content=one)
        via_b = http.post(
            f"{second.url}/documents", files={"file": ("permit.pdf", two, "application/pdf")}, headers=b_headers
        )
        assert via_a.status_code == via_b.status_code == 201, via_a.text + via_b.text
        digests = [via_a.json()["sha256"], via_b.json()["sha256"]]
        signed = {first.url: a_headers, second.url: b_headers}
        latex = demo_account("latex")  # kept, but opened for nobody else while no record cites them
        for url, instance in ((first.url, first), (second.url, second)):
            assert http.get(f"{url}/documents/{digests[0]}", headers=instance.login(latex)).status_code == 404

        record_citing(second.url, http, "SHARED-1", *digests)  # recorded through B ...
        for url in (first.url, second.url):  # ... both instances serve both uploads
            assert (
                eventually(lambda url=url: http.get(f"{url}/documents/{digests[0]}", headers=signed[url])).content
                == one
            )
            assert (
                eventually(lambda url=url: http.get(f"{url}/documents/{digests[1]}", headers=signed[url])).content
                == two
            )
        assert http.get(f"{first.url}/documents/{digests[1]}/citations").json()[0]["kind"] == "batch"


def test_both_instances_uploading_the_same_document_at_once_leave_it_intact(
    instances: tuple[ServeProcess, ServeProcess, Path],
) -> None:
    first, second, shared = instances
    content = b"%PDF-1.4 " + bytes(range(256)) * 20_000  # 5 MB
    digest = hashlib.sha256(content).hexdigest()
    replies: list[int] = []

    signed = {server.url: server.login(demo_account("rubber-coop")) for server in (first, second)}

    def upload(url: str) -> None:
        with httpx.Client(timeout=60, headers=signed[url]) as http:
            for _ in range(3):
                replies.append(http.put(f"{url}/documents/{digest}", content=content).status_code)

    threads = [threading.Thread(target=upload, args=(url,)) for url in (first.url, second.url)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(replies) == [200] * 5 + [201]  # stored once, write-once after that
    assert (shared / digest[:2] / digest).read_bytes() == content
    assert list((shared / ".tmp").iterdir()) == []
