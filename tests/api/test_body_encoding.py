"""Request bodies against the real server (`ledger serve --demo` under uvicorn, one process for the module): the
nesting check and the JSON parser read the same text (UTF-8, decided once), a body that is not UTF-8 is one
documented problem on every JSON route, and a route for members refuses a caller without a good token before it
reads the body.

Deep nesting is only ever sent to the server process: unguarded, it crashes the interpreter that parses it."""

from __future__ import annotations

import codecs
import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ledger.chain.node import free_port
from tests.api.conftest import assert_problem
from tests.api.serve_process import ServeProcess

SOME_BATCH = "0x" + "ab" * 32
SOME_SHA256 = "cd" * 32
#: Every encoding JSON texts were once allowed (RFC 7159), and Python's parser still detects by itself, with and
#: without a byte-order mark.
FOREIGN = [
    (name, bom)
    for name, mark in (
        ("utf-16-le", codecs.BOM_UTF16_LE),
        ("utf-16-be", codecs.BOM_UTF16_BE),
        ("utf-32-le", codecs.BOM_UTF32_LE),
        ("utf-32-be", codecs.BOM_UTF32_BE),
    )
    for bom in (b"", mark)
]
#: A real string holding U+2200, whose UTF-16 and UTF-32 code units hold the byte of `"`: a check counting brackets
#: in the bytes sees a string that never closes and hides the 100,000 brackets after it.
DEEP_TEXT = '["\u2200", ' + "[" * 100_000 + "]" * 100_000 + "]"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServeProcess]:
    home: Path = tmp_path_factory.mktemp("body-encoding") / ".ledger"
    running = ServeProcess(home, ["--demo"], {"LEDGER_NODE_PORT": str(free_port())})
    running.start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def admin(server: ServeProcess) -> dict[str, str]:
    return server.admin()


def assert_alive(server: ServeProcess) -> None:
    assert server.process is not None and server.process.poll() is None, server.log()
    assert httpx.get(server.url + "/health", timeout=60).status_code == 200


def post(
    server: ServeProcess,
    path: str,
    body: bytes,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> httpx.Response:
    return httpx.post(
        server.url + path, content=body, headers={"Content-Type": content_type, **(headers or {})}, timeout=60
    )


# -- A1: one text for the depth check and the parser --------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "bom"), FOREIGN, ids=[f"{n}{'-bom' if b else ''}" for n, b in FOREIGN])
def test_deep_json_in_utf16_or_utf32_is_refused_and_the_server_lives_on(
    server: ServeProcess, admin: dict[str, str], encoding: str, bom: bytes
) -> None:
    body = bom + DEEP_TEXT.encode(encoding)
    assert len(body) < 1_048_576  # under API_MAX_BODY_BYTES: the encoding is what must stop it
    assert_problem(post(server, "/due-diligence", body, admin), 415, "json_not_utf8")
    assert_problem(post(server, "/batches", body), 415, "json_not_utf8")
    assert_alive(server)


def test_deep_json_in_utf16_sent_as_text_plain_does_not_crash_the_server(
    server: ServeProcess, admin: dict[str, str]
) -> None:
    """A body not declared as JSON is not parsed as JSON (FastAPI's rule): refused, and the server lives on."""
    reply = post(server, "/due-diligence", DEEP_TEXT.encode("utf-16"), admin, content_type="text/plain")
    assert 400 <= reply.status_code < 500, reply.text
    assert_alive(server)


@pytest.mark.parametrize("bom", [b"", codecs.BOM_UTF8], ids=["utf-8", "utf-8-bom"])
def test_utf8_json_with_or_without_a_bom_is_parsed(server: ServeProcess, admin: dict[str, str], bom: bytes) -> None:
    body = bom + json.dumps({"batch_id": SOME_BATCH}).encode()
    assert_problem(post(server, "/due-diligence", body, admin), 404)  # parsed, then looked up: no such batch


# -- A4: one documented problem for a body that is not UTF-8 ------------------------------------------------------


@pytest.mark.parametrize(("encoding", "bom"), FOREIGN, ids=[f"{n}{'-bom' if b else ''}" for n, b in FOREIGN])
@pytest.mark.parametrize(
    ("path", "signed_in"),
    [("/due-diligence", True), ("/capture/facts", True), ("/batches", False), ("/auth/login", False)],
)
def test_a_json_body_in_another_encoding_is_415_on_every_json_route(
    server: ServeProcess, admin: dict[str, str], encoding: str, bom: bytes, path: str, signed_in: bool
) -> None:
    body = bom + json.dumps({"batch_id": SOME_BATCH, "note": "Zürich"}).encode(encoding)
    problem = assert_problem(post(server, path, body, admin if signed_in else None), 415, "json_not_utf8")
    assert "UTF-8" in problem["detail"]


@pytest.mark.parametrize(
    "body", [b'{"batch_id": "\xff"}', b'{"batch_id": "caf\xe9"}', b"\xc0\xaf{}"], ids=["0xff", "latin-1", "overlong"]
)
def test_broken_utf8_is_415_not_an_undocumented_400(server: ServeProcess, admin: dict[str, str], body: bytes) -> None:
    for path, headers in (("/due-diligence", admin), ("/batches", None), ("/auth/login", None)):
        problem = assert_problem(post(server, path, body, headers), 415, "json_not_utf8")
        assert "byte" in problem["detail"]


# -- A3: members' routes refuse the caller before reading the body ------------------------------------------------


def early_answer(
    server: ServeProcess, method: str, path: str, declared: int, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    """Send the headers of a `declared`-byte body and its first 64 KiB only, then read the answer: it can only come
    if the server answers without waiting for the rest (the socket times out otherwise)."""
    lines = [
        f"{method} {path} HTTP/1.1",
        f"Host: 127.0.0.1:{server.port}",
        "Content-Type: application/json",
        f"Content-Length: {declared}",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + b" " * 65_536)
        reply = b""
        while b"\r\n\r\n" not in reply:
            chunk = sock.recv(65_536)
            assert chunk, f"connection closed without an answer: {reply!r}"
            reply += chunk
        head, _, rest = reply.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        answer = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
        while len(rest) < int(answer.get("content-length", "0")):
            chunk = sock.recv(65_536)
            if not chunk:
                break
            rest += chunk
    return int(status_line.split()[1]), answer, rest


@pytest.mark.parametrize(
    ("method", "path", "declared"),
    [
        ("POST", "/capture", 33_554_000),
        ("POST", "/anchors/bundles", 33_554_000),
        ("PUT", f"/documents/{SOME_SHA256}", 16_000_000),
        ("POST", "/due-diligence", 1_000_000),
    ],
)
@pytest.mark.parametrize("token", [None, "Bearer not-a-token-this-service-issued"], ids=["anonymous", "bad-token"])
def test_a_members_route_answers_401_before_reading_the_body(
    server: ServeProcess, method: str, path: str, declared: int, token: str | None
) -> None:
    status, headers, body = early_answer(server, method, path, declared, {"Authorization": token} if token else None)
    assert status == 401, body
    assert headers["content-type"].startswith("application/problem+json")
    assert json.loads(body)["code"] == "unauthorized"
    assert headers["www-authenticate"].startswith("Bearer")
    if token:
        assert 'error="invalid_token"' in headers["www-authenticate"]
    assert_alive(server)


def test_a_member_with_a_good_token_still_has_the_body_read(server: ServeProcess, admin: dict[str, str]) -> None:
    assert_problem(post(server, "/capture/facts", b"{}", admin), 422, "invalid_input")
    assert_problem(post(server, "/capture/facts", b"{}"), 401, "unauthorized")


def rss_bytes(server: ServeProcess) -> int:
    assert server.process is not None
    status = Path(f"/proc/{server.process.pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:"))) * 1024


def test_anonymous_32_mib_bodies_do_not_grow_the_server(server: ServeProcess) -> None:
    """Three whole 32 MiB bodies to /capture from an anonymous caller: each answered 401, and the process does not
    grow by what it was sent (it held every one before, 337 MB -> 1.1 GB for a few)."""
    size = 33_554_000
    before = rss_bytes(server)
    for _ in range(3):
        head = (
            f"POST /capture HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {size}\r\nConnection: close\r\n\r\n"
        ).encode()
        with socket.create_connection(("127.0.0.1", server.port), timeout=60) as sock:
            sock.sendall(head)
            chunk = b" " * 1_048_576
            try:
                for _ in range(size // len(chunk)):
                    sock.sendall(chunk)
                sock.sendall(b" " * (size % len(chunk)))
            except OSError:  # the server may close once it has answered
                pass
            reply = sock.recv(65_536)
        assert reply.startswith(b"HTTP/1.1 401"), reply[:200]
    assert rss_bytes(server) - before < size, "the server held an anonymous body"
    assert_alive(server)


@pytest.mark.parametrize(("path", "signed_in"), [("/batches", False), ("/due-diligence", True), ("/auth/login", False)])
def test_a_json_number_too_long_to_parse_is_422_like_any_invalid_json(
    server: ServeProcess, admin: dict[str, str], path: str, signed_in: bool
) -> None:
    """Python's parser refuses an integer of more than 4,300 digits with a ValueError FastAPI turned into a bare 400."""
    body = b'{"batch_id": ' + b"9" * 5_000 + b"}"
    problem = assert_problem(post(server, path, body, admin if signed_in else None), 422, "invalid_input")
    assert problem["errors"][0]["type"] == "json_invalid"
    assert "digits" in problem["detail"]


def test_the_unread_body_of_a_refused_request_is_never_taken_for_a_request(server: ServeProcess) -> None:
    """The 401 comes before the body is read; on a kept-alive connection, the body that follows is still the body
    (skipped), not a second request smuggled in it."""
    smuggled = f"GET /health HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n\r\n".encode()
    body = smuggled + b" " * (4_096 - len(smuggled))
    head = (
        f"POST /capture HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    then = f"GET /eip712/domain HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\nConnection: close\r\n\r\n".encode()
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(head + body + then)
        replies = b""
        while chunk := sock.recv(65_536):
            replies += chunk
    statuses = re.findall(rb"HTTP/1\.1 (\d{3}) ", replies)
    assert statuses[0] == b"401"
    assert statuses[1:] in ([b"200"], []), replies  # the next real request is answered, or the connection closed
    assert statuses[1:] == [] or b'"primary_type":"ForwardRequest"' in replies  # and it is the domain, not /health
