"""The real `ledger serve --demo` with a SQLite file of its workspace damaged past the header (pages garbled, the
header intact): on starting, each damaged file is moved aside and the service starts; while running, the request that
finds the damage answers 503 `store_damaged` (never a 500), and then the index (rebuilt from the chain), the EPCIS
event store and the screening lists go on with a fresh file, while the relayer's outbox stays as it is (writes 503,
one log line) until the next start moves it aside."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from eth_account import Account

from ledger.apiclient.signer import ApiSigner, calldata
from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.chain.node import free_port
from ledger.domain.types import ParticipantProfile, Role
from tests.api.serve_process import ServeProcess
from tests.conftest import account
from tests.damage import garble

FLAGGED = {"gtin": "06931234000105", "lot": "HG-DG-25-B-1202"}
SCREENED = {**FLAGGED, "regimes": ["UFLPA"]}  # screens the producers against the UFLPA Entity List
UNKNOWN_CAPTURE = "/capture/" + "ab" * 16


def store_files(home: Path) -> dict[str, Path]:
    found = {
        "index": [*home.glob("index/*.sqlite")],
        "outbox": [*home.glob("relayer/outbox-*.sqlite")],
        "events": [*home.glob("epcis/events-*.sqlite")],
        "lists": [home / "screening" / "lists.sqlite"],
    }
    assert all(len(paths) == 1 and paths[0].exists() for paths in found.values()), found
    return {store: paths[0] for store, paths in found.items()}


def moved_aside(path: Path) -> list[Path]:
    return [*path.parent.glob(path.name + ".unreadable-*Z")]


def is_damage_problem(reply: httpx.Response) -> bool:
    return (
        reply.status_code == 503
        and reply.headers["content-type"] == "application/problem+json"
        and reply.json()["code"] == "store_damaged"
    )


def entity_list_finding(reply: httpx.Response) -> str:
    """The message of the UFLPA report's Entity List finding (the demo's sample list names a producer)."""
    assert reply.status_code == 200, reply.text
    (section,) = reply.json()["regimes"]
    return " ".join(f["message"] for f in section["findings"] if f["rule"] == "UFLPA-U2")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServeProcess]:
    running = ServeProcess(tmp_path / ".ledger", ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    running.start()
    yield running
    running.stop()


def test_a_server_starts_on_store_files_damaged_past_the_header(server: ServeProcess) -> None:
    with httpx.Client(base_url=server.url, timeout=60, headers=server.admin()) as http:
        before = http.post("/due-diligence", json=FLAGGED).json()
    server.stop()
    files = store_files(server.home)
    # b-trees the checks on opening did not read before: the damage surfaced in the first request, or stopped the start
    for store, btree in (("index", "inputs"), ("outbox", "entries_key"), ("events", "captures"), ("lists", "entries")):
        garble(files[store], btree)
    log = server.start()
    for store, path in files.items():
        assert moved_aside(path), f"{store}: {log}"
    assert "integrity check failed" in log
    with httpx.Client(base_url=server.url, timeout=60, headers=server.admin()) as http:
        assert http.get("/health").status_code == 200
        again = http.post("/due-diligence", json=FLAGGED).json()  # the index, rebuilt from the chain
        assert again["verdict"] == before["verdict"] == "FAIL" and again["batch"]["id"] == before["batch"]["id"]
        assert http.get(UNKNOWN_CAPTURE).status_code == 404


def test_damage_found_while_serving_is_a_503_then_the_store_goes_on_except_the_outbox(server: ServeProcess) -> None:
    files = store_files(server.home)
    with httpx.Client(base_url=server.url, timeout=60, headers=server.admin()) as http:
        verdict = http.post("/due-diligence", json=FLAGGED).json()["verdict"]

        garble(files["events"])
        assert is_damage_problem(reply := http.get(UNKNOWN_CAPTURE)), reply.text
        assert moved_aside(files["events"])
        assert http.get(UNKNOWN_CAPTURE).status_code == 404  # a fresh event store

        garble(files["index"])
        assert is_damage_problem(reply := http.get("/health")), reply.text
        assert moved_aside(files["index"])
        assert http.get("/health").status_code == 200
        rebuilt = http.post("/due-diligence", json=FLAGGED)
        assert rebuilt.status_code == 200 and rebuilt.json()["verdict"] == verdict, rebuilt.text  # from the chain

        assert "is on the UFLPA Entity List" in entity_list_finding(http.post("/due-diligence", json=SCREENED))
        garble(files["lists"])
        assert is_damage_problem(reply := http.post("/due-diligence", json=SCREENED)), reply.text
        assert moved_aside(files["lists"])
        screened = http.post("/due-diligence", json=SCREENED)
        assert "were not screened" in entity_list_finding(screened)  # no list any more: never a silent pass

        garble(files["outbox"])
        admin = ApiSigner(server.url, Account.from_key(ANVIL_OPERATOR_KEY), client=http)
        admin.login()
        for n in range(2):  # every write, not only the first
            member = account(f"outbox damage {n}")
            written = http.post(
                "/admin/participants",
                headers=admin.headers,
                json=admin.body(
                    calldata.register_participant(
                        member.address, ParticipantProfile(f"Damage {n} Ltd", "SE"), [Role.BUYER]
                    )
                ),
            )
            assert is_damage_problem(written), written.text
        assert not moved_aside(files["outbox"])  # kept in place while the relayer runs
        assert http.post("/due-diligence", json=FLAGGED).status_code == 200  # reads go on
    assert server.log().count("relayer outbox " + files["outbox"].name + " is damaged") == 1, server.log()
    server.stop()
    server.start()
    assert moved_aside(files["outbox"])  # the next start moves it aside
