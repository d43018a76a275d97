"""`ledger epcis capture` against a real `ledger serve` over HTTP, and `ledger epcis verify` against its node (the
commands run in process through Typer's runner; the server and the node are real processes)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger.chain.node import free_port
from ledger.demo.apparel import GTIN_LINT
from ledger.epcis.keys import location_uri, party_uri
from tests.api.serve_process import ServeProcess
from tests.ledger.epcis.conftest import CONTEXT, when


@dataclass
class Ran:
    returncode: int
    stdout: str


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServeProcess, str]]:
    node_port = free_port()
    running = ServeProcess(
        tmp_path_factory.mktemp("epcis-cli") / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(node_port)}
    )
    running.start()
    yield running, f"http://127.0.0.1:{node_port}"
    running.stop()


def run(*args: str) -> Ran:
    from api.cli import app

    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "250", "NO_COLOR": "1"})
    return Ran(result.exit_code, result.output)


def lint_document(lot: str) -> str:
    lint = {"epcClass": f"https://id.gs1.org/01/{GTIN_LINT}/10/{lot}", "quantity": 900, "uom": "KGM"}
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": when(0),
            "epcisBody": {
                "eventList": [
                    {
                        "type": "ObjectEvent",
                        "eventTime": when(2),
                        "eventTimeZoneOffset": "+00:00",
                        "action": "ADD",
                        "bizStep": "commissioning",
                        "bizLocation": {"id": location_uri("8901234000014")},
                        "quantityList": [lint],
                        "ilmd": {"ledger:hsCode": "520100"},
                    },
                    {
                        "type": "ObjectEvent",
                        "eventTime": when(1),
                        "eventTimeZoneOffset": "+00:00",
                        "action": "OBSERVE",
                        "bizStep": "shipping",
                        "quantityList": [lint],
                        "destinationList": [{"type": "owning_party", "destination": party_uri("8931234000011")}],
                    },
                ]
            },
        }
    )


def test_capture_then_verify_against_the_chain(server: tuple[ServeProcess, str], tmp_path: Path) -> None:
    serve, node = server
    source = tmp_path / "lint.jsonld"
    source.write_text(lint_document("CLI-0001"))
    receipt = tmp_path / "receipt.jsonld"
    dry = run("epcis", "capture", str(source), "--demo-participant", "gin-gujarat", "--api", serve.url, "--dry-run")
    assert dry.returncode == 0, dry.stdout
    assert "recordBatches, transferCustody, commitEvents" in dry.stdout
    done = run(
        "epcis",
        "capture",
        str(source),
        "--demo-participant",
        "gin-gujarat",
        "--api",
        serve.url,
        "--receipt",
        str(receipt),
    )
    assert done.returncode == 0, done.stdout + serve.log()
    assert "done: 2 recorded; root 0x" in done.stdout
    proven = run("epcis", "verify", str(receipt), "--rpc-url", node)
    assert proven.returncode == 0, proven.stdout
    assert "2 of 2 events proven" in proven.stdout
    body = json.loads(receipt.read_text())
    body["epcisBody"]["eventList"][1]["destinationList"][0]["destination"] = party_uri("6921234000014")
    receipt.write_text(json.dumps(body))
    forged = run("epcis", "verify", str(receipt), "--rpc-url", node)
    assert forged.returncode == 1 and "1 of 2 events proven" in forged.stdout
    again = run("epcis", "capture", str(source), "--demo-participant", "gin-gujarat", "--api", serve.url)
    assert again.returncode == 0 and "2 duplicate" in again.stdout


def test_a_document_that_fails_the_schema_sends_nothing(server: tuple[ServeProcess, str], tmp_path: Path) -> None:
    serve, _node = server
    source = tmp_path / "bad.jsonld"
    source.write_text(lint_document("CLI-0002").replace('"KGM"', '"kg"'))
    refused = run("epcis", "capture", str(source), "--demo-participant", "gin-gujarat", "--api", serve.url)
    assert refused.returncode == 2
    assert "quantityList[0].uom: 'kg' does not match" in refused.stdout


def test_sign_takes_a_digital_link_or_a_scanned_element_string_for_gtin_and_lot(
    server: tuple[ServeProcess, str],
) -> None:
    from ledger.chain.calls import decode_call
    from ledger.chain.codec import new_batch_of

    serve, _node = server
    common = [
        "--hs-code",
        "520100",
        "--quantity",
        "10",
        "--unit",
        "KGM",
        "--facility",
        "8901234000014",
        "--produced-at",
        when(1),
        "--demo-participant",
        "gin-gujarat",
        "--api",
        serve.url,
    ]
    for given in (
        [f"https://id.gs1.org/01/{GTIN_LINT}/10/DL-1"],
        [f"(01){GTIN_LINT}(10)DL-1"],
        [f"]d201{GTIN_LINT}10DL-1"],
        [GTIN_LINT[1:], "--lot", "DL-1"],
    ):
        signed = run("sign", "record-batch", "--gtin", given[0], *given[1:], *common)
        assert signed.returncode == 0, signed.stdout
        body = json.loads(signed.stdout[signed.stdout.index("{") :])
        batch = new_batch_of(decode_call(body["request"]["data"]).args["record"])
        assert (batch.gtin, batch.lot) == (GTIN_LINT, "DL-1")


def test_a_dry_run_whose_events_are_refused_exits_1(server: tuple[ServeProcess, str], tmp_path: Path) -> None:
    serve, _node = server
    source = tmp_path / "elsewhere.jsonld"
    source.write_text(lint_document("CLI-0003").replace(location_uri("8901234000014"), location_uri("8931234000011")))
    dry = run("epcis", "capture", str(source), "--demo-participant", "gin-gujarat", "--api", serve.url, "--dry-run")
    assert dry.returncode == 1, dry.stdout
    assert "refused" in dry.stdout and "not one of the capturing participant's sites" in dry.stdout
    honest = tmp_path / "honest.jsonld"
    honest.write_text(lint_document("CLI-0004"))
    assert (
        run(
            "epcis", "capture", str(honest), "--demo-participant", "gin-gujarat", "--api", serve.url, "--dry-run"
        ).returncode
        == 0
    )


def test_the_real_server_exports_a_lineage_in_pages_with_the_flag_upstream(server: tuple[ServeProcess, str]) -> None:
    """The demo's fabric B is put on hold on chain after the shirts were made from it: the shirts' lineage shows the
    hold; pages follow `Link: rel="next"` and the last has none."""
    import httpx

    from ledger.apiclient.signer import ApiSigner
    from ledger.cli.sign import _account
    from ledger.demo.apparel import GTIN_SHIRT

    serve, _node = server
    with httpx.Client(base_url=serve.url, timeout=60) as http:
        signer = ApiSigner(serve.url, _account(None, "brand"), client=http)
        signer.login()
        http.headers.update(signer.headers)
        found = http.get("/batches", params={"gtin": GTIN_SHIRT, "lot": "HG-DG-25-B-1202"})
        assert found.status_code == 200, found.text
        shirts = found.json()["items"][0]["id"]
        url: str | None = f"/batches/{shirts}/epcis?perPage=2"
        pages: list[list[dict[str, object]]] = []
        while url is not None:
            reply = http.get(url)
            assert reply.status_code == 200, reply.text
            pages.append(reply.json()["epcisBody"]["eventList"])
            link = reply.headers.get("link")
            url = link[1 : link.index(">")] if link else None
        assert all(pages) and all(len(p) <= 2 for p in pages) and len(pages) > 1
        holds = [e for p in pages for e in p if e.get("disposition") == "non_conformant"]
        assert [e["ledger:reason"] for e in holds] == ["colour fastness below ISO 105-C06"]
        whole = http.get(f"/batches/{shirts}/epcis?perPage=500").json()["epcisBody"]["eventList"]
        assert [e["eventID"] for p in pages for e in p] == [e["eventID"] for e in whole]
