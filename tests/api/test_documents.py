"""The vault over HTTP: upload behind a hash (PUT, multipart POST, members only), download with the media type for
whoever may see a record citing the document, the records citing a document, and each bad upload refused."""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.demo.apparel import GTIN_LINT
from ledger.demo.documents import FILES, file_hash
from ledger.demo.rubber import GTIN_FIELD_LATEX
from ledger.documents.vault import Vault
from ledger.domain.types import Document, DocumentKind, Gln, NewBatch
from ledger.regimes import Outcome
from tests.api.conftest import assert_problem, login
from tests.evidence import COOP_SITE, Harness, deforestation, geojson_bytes, good_plots


@pytest.fixture
def http(evidence: Harness) -> Iterator[TestClient]:
    app = create_app(
        ApiSettings(max_document_body_bytes=64 * 1024), evidence.ledger, vault=evidence.vault, lists=evidence.lists
    )
    with TestClient(app) as client:
        client.headers.update(login(client, evidence.ledger.chain.operator))  # the admin: sees every record
        yield client


def signed_in(client: TestClient, evidence: Harness) -> TestClient:
    client.headers.update(login(client, evidence.ledger.chain.operator))
    return client


def cite(evidence: Harness, digest: str, lot: str) -> None:
    evidence.ledger.record_batch(
        evidence.world.account("rubber-coop"),
        NewBatch(
            GTIN_FIELD_LATEX,
            lot,
            "400110",
            Decimal(1),
            "KGM",
            COOP_SITE,
            evidence.world_time(),
            documents=(Document(digest, DocumentKind.LEGALITY_PERMIT),),
        ),
    )  # type: ignore[arg-type]


def test_a_document_cited_on_chain_downloads_with_its_media_type_and_digest(http: TestClient) -> None:
    content = (FILES / "plots-ksrc-26-a.geojson").read_bytes()
    reply = http.get(f"/documents/{file_hash('plots-ksrc-26-a.geojson')}")
    assert reply.status_code == 200 and reply.content == content
    assert reply.headers["content-type"] == "application/geo+json"
    assert reply.headers["repr-digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(content).digest()).decode()}:"
    assert reply.headers["x-content-type-options"] == "nosniff"
    # named as the cooperative (its uploader) named the file
    assert reply.headers["content-disposition"] == 'attachment; filename="plots-ksrc-26-a.geojson"'
    pdf = http.get(f"/documents/{file_hash('land-titles-ksrc-2026.pdf')[2:]}")  # 0x is optional
    assert pdf.headers["content-type"] == "application/pdf"


def test_an_upload_before_its_record_is_kept_and_served_once_its_uploaders_record_cites_it(
    http: TestClient, evidence: Harness
) -> None:
    content = b"%PDF-1.4 concession permit KD-2026-77"
    digest = "0x" + hashlib.sha256(content).hexdigest()
    coop = login(http, evidence.world.account("rubber-coop"))
    stored = http.put(f"/documents/{digest}", content=content, headers={**coop, "content-type": "application/pdf"})
    assert stored.status_code == 201, stored.text
    assert stored.json() == {
        "sha256": digest,
        "size": len(content),
        "media_type": "application/pdf",
        "created": True,
        "name": None,
    }
    assert stored.headers["location"] == f"/documents/{digest}"
    assert_problem(http.get(f"/documents/{digest}"), 404)  # nobody cites it yet: not even the admin reads it
    assert http.get(f"/documents/{digest}", headers=coop).content == content  # its uploader may
    cite(evidence, digest, "PERMIT-77")
    assert http.get(f"/documents/{digest}").content == content
    again = http.put(f"/documents/{digest}", content=content, headers=coop)
    assert again.status_code == 200 and again.json()["created"] is False  # write-once
    (cited,) = http.get(f"/documents/{digest}/citations").json()
    assert (cited["kind"], cited["document_kind"]) == ("batch", "legality_permit")


def test_a_multipart_upload_is_stored_under_the_hash_of_its_bytes(http: TestClient) -> None:
    content = b'{"format": "eudr-dds/1", "reference_number": "X", "verification_number": "Y"}'
    reply = http.post(
        "/documents",
        files={"file": ("dds.json", content, "application/json")},
        data={"sha256": hashlib.sha256(content).hexdigest()},
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["sha256"] == "0x" + hashlib.sha256(content).hexdigest()
    assert reply.json()["media_type"] == "application/json"


def test_an_empty_document_or_a_multipart_upload_of_two_files_is_refused(http: TestClient) -> None:
    empty = hashlib.sha256(b"").hexdigest()
    assert "empty" in assert_problem(http.put(f"/documents/{empty}", content=b""), 422)["detail"]
    assert "empty" in assert_problem(http.post("/documents", files={"file": ("a.pdf", b"")}), 422)["detail"]
    two = [("file", ("a.pdf", b"%PDF-1.4 first")), ("file", ("b.pdf", b"%PDF-1.4 second"))]
    body = assert_problem(http.post("/documents", files=two), 422)
    assert "one 'file' part" in body["detail"]
    for content in (b"%PDF-1.4 first", b"%PDF-1.4 second"):  # neither was stored
        digest = hashlib.sha256(content).hexdigest()
        assert http.put(f"/documents/{digest}", content=content).status_code == 201


def test_an_upload_whose_bytes_do_not_match_its_hash_is_refused(http: TestClient, evidence: Harness) -> None:
    claimed = file_hash("dds-smg-26-a.json")
    before = evidence.vault.read(claimed)
    body = assert_problem(http.put(f"/documents/{claimed}", content=b'{"forged": true}'), 422, "document_hash_mismatch")
    assert "refused" in body["detail"]
    assert evidence.vault.read(claimed) == before  # the genuine document is untouched
    wrong = hashlib.sha256(b"something else").hexdigest()
    assert_problem(
        http.post("/documents", files={"file": ("a.pdf", b"%PDF-1.4 x")}, data={"sha256": wrong}),
        422,
        "document_hash_mismatch",
    )


def test_a_document_over_the_size_limit_is_refused(evidence: Harness, tmp_path: Path) -> None:
    app = create_app(
        ApiSettings(), evidence.ledger, vault=Vault(tmp_path / "documents", max_bytes=2_000), lists=evidence.lists
    )
    big = b"x" * 2_001
    with TestClient(app) as client:
        signed_in(client, evidence)
        body = assert_problem(
            client.put(f"/documents/{hashlib.sha256(big).hexdigest()}", content=big), 413, "document_too_large"
        )
        assert "2,000 bytes" in body["detail"]
        assert_problem(client.post("/documents", files={"file": ("big.bin", big)}), 413, "document_too_large")
    assert not any((tmp_path / "documents").glob("??/*"))


def test_a_body_over_the_api_limit_is_refused_before_it_is_read(http: TestClient) -> None:
    big = b"y" * (64 * 1024 + 1)
    assert_problem(http.put(f"/documents/{hashlib.sha256(big).hexdigest()}", content=big), 413, "body_too_large")


def test_binary_bodies_are_not_checked_as_json(http: TestClient) -> None:
    brackets = b"[" * 5_000  # would be "JSON too deep" on any other route
    reply = http.put(f"/documents/{hashlib.sha256(brackets).hexdigest()}", content=brackets)
    assert reply.status_code == 201


@pytest.mark.parametrize("bad", ["1234", "0x" + "g" * 64, "0x" + "a" * 65])
def test_a_malformed_hash_is_refused(http: TestClient, bad: str) -> None:
    assert_problem(http.get(f"/documents/{bad}"), 422)
    assert_problem(http.put(f"/documents/{bad}", content=b"x"), 422)


def test_without_a_vault_the_document_routes_answer_501(evidence: Harness) -> None:
    with TestClient(create_app(ApiSettings(), evidence.ledger)) as client:
        signed_in(client, evidence)
        assert_problem(client.get(f"/documents/{file_hash('dds-smg-26-a.json')}"), 501, "documents_unavailable")
        assert_problem(client.put(f"/documents/{'a' * 64}", content=b"x"), 501, "documents_unavailable")


def test_a_vault_that_cannot_be_written_answers_503_without_naming_its_path(evidence: Harness, tmp_path: Path) -> None:
    vault = Vault(tmp_path / "volume")
    app = create_app(ApiSettings(), evidence.ledger, vault=vault, lists=evidence.lists)
    (tmp_path / "volume" / ".tmp").rmdir()
    (tmp_path / "volume" / ".tmp").write_text("not a directory")
    with TestClient(app) as client:
        signed_in(client, evidence)
        assert_problem(
            client.put(f"/documents/{hashlib.sha256(b'x').hexdigest()}", content=b"x"), 503, "vault_unavailable"
        )


def test_a_document_is_for_whoever_may_see_a_record_citing_it(http: TestClient, evidence: Harness) -> None:
    """The rubber cooperative's plot map (cited by its latex batches) is for the cooperative and those downstream;
    to a gin of the apparel chain and to anonymous callers it does not exist. The garment factory's public
    disclosure report is for anyone; the weaving mill's (members only) for members."""
    plots = file_hash("plots-ksrc-26-a.geojson")
    anonymous = {"Authorization": ""}
    coop = login(http, evidence.world.account("rubber-coop"))
    gin = login(http, evidence.world.account("gin-xinjiang"))
    assert http.get(f"/documents/{plots}", headers=coop).status_code == 200
    for outsider in (gin, anonymous):
        hidden = http.get(f"/documents/{plots}", headers=outsider)
        unknown = http.get(f"/documents/{'ab' * 32}", headers=outsider)
        assert (hidden.status_code, hidden.json()["detail"].replace(plots, "?")) == (
            unknown.status_code,
            unknown.json()["detail"].replace("0x" + "ab" * 32, "?"),
        )
        assert http.get(f"/documents/{plots}/citations", headers=outsider).status_code == 404
    public = file_hash("sustainability-report-garment-2025.pdf")
    assert http.get(f"/documents/{public}", headers=anonymous).status_code == 200
    members = file_hash("sustainability-report-weaving-2025.pdf")
    assert http.get(f"/documents/{members}", headers=anonymous).status_code == 404
    assert http.get(f"/documents/{members}", headers=gin).status_code == 200
    content = b"%PDF-1.4 not a member's upload"
    assert_problem(
        http.put(f"/documents/{hashlib.sha256(content).hexdigest()}", content=content, headers=anonymous), 401
    )


def test_citing_anothers_document_does_not_open_it(http: TestClient, evidence: Harness) -> None:
    """Every hash on chain is public: a factory that records a batch citing the cooperative's plot map and a buyer's
    due-diligence statement still gets 404 for both; the cooperative still reads its map."""
    plots, statement = file_hash("plots-ksrc-26-b.geojson"), file_hash("dds-smg-26-b.json")
    gin = evidence.world.account("gin-xinjiang")
    evidence.ledger.record_batch(
        gin,
        NewBatch(
            GTIN_LINT,
            "BORROWED-1",
            "520100",
            Decimal(1),
            "KGM",
            Gln("6901234000016"),
            evidence.world_time(),
            documents=(Document(plots, DocumentKind.CERTIFICATE), Document(statement, DocumentKind.OTHER)),
        ),
    )
    headers = login(http, gin)
    for digest in (plots, statement):
        assert_problem(http.get(f"/documents/{digest}", headers=headers), 404)
        assert_problem(http.get(f"/documents/{digest}/citations", headers=headers), 404)
    coop = login(http, evidence.world.account("rubber-coop"))
    assert http.get(f"/documents/{plots}", headers=coop).status_code == 200


def test_a_participant_uploads_at_most_its_daily_bytes(evidence: Harness) -> None:
    """The vault keeps what it is given forever: one member filling it is answered 429 with Retry-After."""
    app = create_app(
        ApiSettings(document_upload_bytes_per_day=2_000), evidence.ledger, vault=evidence.vault, lists=evidence.lists
    )
    first, second = b"%PDF-1.4 " + b"a" * 1_500, b"%PDF-1.4 " + b"b" * 1_000
    with TestClient(app) as client:
        client.headers.update(login(client, evidence.world.account("rubber-coop")))
        assert client.put(f"/documents/{hashlib.sha256(first).hexdigest()}", content=first).status_code == 201
        refused = client.post("/documents", files={"file": ("b.pdf", second, "application/pdf")})
        body = assert_problem(refused, 429, "upload_budget_exhausted")
        assert 0 < int(refused.headers["retry-after"]) <= 86_400 and "2,000 bytes of documents a day" in body["detail"]
        again = client.put(f"/documents/{hashlib.sha256(first).hexdigest()}", content=first)
        assert_problem(again, 429, "upload_budget_exhausted")  # every upload costs, held by the vault or not
        other = login(client, evidence.world.account("latex"))  # another participant has its own budget
        assert (
            client.put(f"/documents/{hashlib.sha256(second).hexdigest()}", content=second, headers=other).status_code
            == 201
        )


def test_a_hash_cited_first_by_someone_else_still_opens_only_for_its_uploader(
    http: TestClient, evidence: Harness
) -> None:
    """Citation squatting: the latex plant learns the hash of the cooperative's new plot map and cites it first, in
    a field-latex batch of its own. The cooperative uploads the map and cites it. The squatter gets 404 for the map
    and its citations, the cooperative (and whoever sees its batches) gets the bytes, and the EUDR pack counts the
    map for the cooperative's lot, not for the squatter's batch."""
    content = geojson_bytes(good_plots("SQUAT"))
    digest = "0x" + hashlib.sha256(content).hexdigest()
    squatter = evidence.world.account("latex")
    squatted, _ = evidence.ledger.record_batch(
        squatter,
        NewBatch(
            GTIN_FIELD_LATEX,
            "SQUAT-1",
            "400110",
            Decimal(1),
            "KGM",
            Gln("9552234000017"),
            evidence.world_time(),
            documents=(Document(digest, DocumentKind.PLOT_GEOLOCATION),),
        ),
    )  # type: ignore[arg-type]
    coop = login(http, evidence.world.account("rubber-coop"))
    assert http.put(f"/documents/{digest}", content=content, headers=coop).status_code == 201
    lot = evidence.rubber_lot(
        raw_documents=(
            Document(digest, DocumentKind.PLOT_GEOLOCATION),  # type: ignore[arg-type]
            evidence.doc(deforestation(["SQUAT-1", "SQUAT-2"]), DocumentKind.DEFORESTATION_EVIDENCE),
            evidence.doc(b"%PDF-1.4 land titles SQUAT", DocumentKind.LEGALITY_PERMIT),
        )
    )
    latex = login(http, squatter)
    assert_problem(http.get(f"/documents/{digest}", headers=latex), 404)
    assert_problem(http.get(f"/documents/{digest}/citations", headers=latex), 404)
    assert http.get(f"/documents/{digest}", headers=coop).content == content
    assert http.get(f"/documents/{digest}").content == content  # the admin reads it through the cooperative's batch
    owners = {c["record_id"] for c in http.get(f"/documents/{digest}/citations", headers=coop).json()}
    assert lot["raw"] in owners and squatted not in owners  # the cooperative does not see the squatter's batch
    assert evidence.section(lot["gloves"], "EUDR").result("EUDR-E2").outcome is Outcome.PASS
    e2 = evidence.section(squatted, "EUDR").findings_of("EUDR-E2")
    assert e2 and "carries no plot geolocation" in e2[0].message


def test_two_members_uploading_the_same_bytes_each_open_it_for_their_own_records(
    http: TestClient, evidence: Harness
) -> None:
    """A shared certificate: the cooperative and the latex plant both upload it (each under its own file name, one
    in Chinese) and both cite it; each one's readers get it, named as that uploader named it (RFC 6266, filename*
    for a name beyond ASCII)."""
    content = b"%PDF-1.4 shared RSPO certificate 2026"
    digest = "0x" + hashlib.sha256(content).hexdigest()
    coop, latex = evidence.world.account("rubber-coop"), evidence.world.account("latex")
    first = http.post(
        "/documents",
        files={"file": ("C:\\scans\\证书 2026.pdf", content, "application/pdf")},
        headers=login(http, coop),
    )
    assert first.status_code == 201 and first.json()["name"] == "证书 2026.pdf"
    second = http.put(f"/documents/{digest}?name=shared-certificate.pdf", content=content, headers=login(http, latex))
    assert second.status_code == 201 and second.json()["created"] is True  # new for this uploader
    cite(evidence, digest, "SHARED-1")
    evidence.ledger.record_batch(
        latex,
        NewBatch(
            GTIN_FIELD_LATEX,
            "SHARED-2",
            "400110",
            Decimal(1),
            "KGM",
            Gln("9552234000017"),
            evidence.world_time(),
            documents=(Document(digest, DocumentKind.CERTIFICATE),),
        ),
    )  # type: ignore[arg-type]
    as_coop = http.get(f"/documents/{digest}", headers=login(http, coop))
    assert as_coop.content == content
    assert as_coop.headers["content-disposition"] == (
        "attachment; filename=\"__ 2026.pdf\"; filename*=UTF-8''%E8%AF%81%E4%B9%A6%202026.pdf"
    )
    as_latex = http.get(f"/documents/{digest}", headers=login(http, latex))
    assert as_latex.headers["content-disposition"] == 'attachment; filename="shared-certificate.pdf"'


def test_with_the_budget_nearly_spent_an_upload_answers_alike_whatever_the_vault_holds(evidence: Harness) -> None:
    """A prober whose budget is nearly spent sends wrong bytes for a hash the vault holds and for one it does not:
    both answers are 429 (no 422 that would tell the first apart)."""
    app = create_app(
        ApiSettings(document_upload_bytes_per_day=2_000), evidence.ledger, vault=evidence.vault, lists=evidence.lists
    )
    held, absent = file_hash("dds-smg-26-a.json"), hashlib.sha256(b"a document nobody uploaded").hexdigest()
    with TestClient(app) as client:
        client.headers.update(login(client, evidence.world.account("gin-xinjiang")))
        spent = b"%PDF-1.4 " + b"s" * 1_900
        assert client.put(f"/documents/{hashlib.sha256(spent).hexdigest()}", content=spent).status_code == 201
        probe = b"x" * 200
        answers = [client.put(f"/documents/{digest}", content=probe) for digest in (held, absent)]
        assert [(a.status_code, a.json()["code"]) for a in answers] == [(429, "upload_budget_exhausted")] * 2
