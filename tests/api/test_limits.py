"""Bounded requests, against the real server (`ledger serve --demo` under uvicorn, one process for the module): one
anonymous request must never kill it, and no body is read past its route's limit.

Deep nesting is only ever sent to the server process: unguarded, it crashes the interpreter that parses it (py_ecc
raises the recursion limit to 100,000, so the C JSON parser overflows the C stack), which must not be pytest's."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.anchoring import build_bundle
from ledger.chain.node import free_port
from ledger.demo.apparel import DEMO_PARTICIPANTS
from tests.api.conftest import assert_problem
from tests.api.serve_process import ServeProcess
from tests.api.test_anchors import garments

JSON = {"Content-Type": "application/json"}
SOME_BATCH = "0x" + "ab" * 32
MiB = 1_048_576


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    home: Path = tmp_path_factory.mktemp("limits") / ".ledger"
    running = ServeProcess(home, ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def http(server: ServeProcess) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=60, headers=server.admin()) as client:
        yield client


def assert_alive(server: ServeProcess, http: httpx.Client) -> None:
    assert server.process is not None and server.process.poll() is None, server.log()
    assert http.get("/health").status_code == 200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/due-diligence", b"[" * 100_000),
        ("/batches", b'{"r":' * 100_000),
        (
            "/due-diligence",
            b'{"batch_id": "x", "policy": {"reject_regions": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}",
        ),
    ],
)
def test_a_body_nested_100000_deep_is_refused_and_the_server_lives_on(
    server: ServeProcess, http: httpx.Client, path: str, body: bytes
) -> None:
    assert_problem(http.post(path, content=body, headers=JSON), 422, "json_too_deep")
    assert_alive(server, http)


def test_a_deep_policy_in_the_query_is_refused(server: ServeProcess, http: httpx.Client) -> None:
    policy = '{"reject_regions": ' + "[" * 100 + "]" * 100 + "}"
    reply = http.get(f"/due-diligence/{SOME_BATCH}", params={"policy": policy, "format": "json"})
    assert assert_problem(reply, 422, "json_too_deep")["field"] == "policy"
    shallow = http.get(f"/due-diligence/{SOME_BATCH}", params={"policy": '{"reject_regions": []}', "format": "json"})
    assert_problem(shallow, 404)  # the depth check lets ordinary policies through to the lookup
    assert_alive(server, http)


def test_a_body_over_the_limit_is_413(server: ServeProcess, http: httpx.Client) -> None:
    body = json.dumps({"batch_id": SOME_BATCH, "policy": {"reject_regions": ["CN"] * 400_000}}).encode()
    assert len(body) > 2_000_000
    problem = assert_problem(http.post("/due-diligence", content=body, headers=JSON), 413, "body_too_large")
    assert "API_MAX_BODY_BYTES" in problem["detail"]
    assert_alive(server, http)


def test_a_chunked_body_without_content_length_is_cut_off_at_the_limit(
    server: ServeProcess, http: httpx.Client
) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"batch_id": "' + SOME_BATCH.encode() + b'", "policy": {"reject_regions": ['
        for _ in range(64):  # 4 MiB in all, far past the 1 MiB limit
            yield b'"CN", ' * 10_922 + b'"CN",'
        yield b'"CN"]}}'

    request = http.build_request("POST", "/due-diligence", content=chunks(), headers=JSON)
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    reply = http.send(request)
    assert_problem(reply, 413, "body_too_large")
    assert_alive(server, http)


def test_a_bundle_over_the_json_limit_but_within_the_bundle_limit_is_read(
    server: ServeProcess, http: httpx.Client
) -> None:
    garment = DEMO_PARTICIPANTS[4].account.address
    bundle = build_bundle(garment, [garments(f"HG-BIG-{n}") for n in range(1_000)]).to_json().encode()
    assert MiB < len(bundle) < 32 * MiB
    # read, checked, and refused for what it says: its root was never anchored (not for its size)
    assert_problem(http.post("/anchors/bundles", content=bundle, headers=JSON), 404)
    assert_problem(http.post("/due-diligence", content=bundle, headers=JSON), 413, "body_too_large")
    assert_alive(server, http)
