"""API fixtures: a TestClient over the demo ledger (rolled back after each test) and signed-body helpers."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount

with warnings.catch_warnings():  # starlette warns that its TestClient will move from httpx to httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.apiclient.signer import signed_body
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld


@pytest.fixture
def world(demo: tuple[Ledger, DemoWorld]) -> DemoWorld:
    return demo[1]


@pytest.fixture
def demo_ledger(demo: tuple[Ledger, DemoWorld]) -> Ledger:
    return demo[0]


#: A test secret: the same in every test app, so a token from one is accepted by another (as across instances).
TEST_SECRET = "tests-only-3f9a1c7e5b2d8046a1b3c5d7e9f0a2b4"


@pytest.fixture
def settings() -> ApiSettings:
    return ApiSettings(max_page_size=50, max_trace_depth=32, auth_secret=TEST_SECRET, auth_domain="testserver")


def login(client: TestClient, account: LocalAccount) -> dict[str, str]:
    """Sign in as `account` (Sign-In with Ethereum, as any client does); the headers that carry its token."""
    from ledger.apiclient.signer import ApiSigner

    signer = ApiSigner("http://testserver", account, client=client)
    signer.login()
    return signer.headers


@pytest.fixture
def client(demo_ledger: Ledger, settings: ApiSettings) -> Iterator[TestClient]:
    """The API over the demo, signed in as the consortium's admin (who sees everything): tests of who sees what sign
    in as others (`login`) or send no token."""
    with TestClient(create_app(settings, demo_ledger)) as test_client:
        test_client.headers.update(login(test_client, demo_ledger.chain.operator))
        yield test_client


@pytest.fixture
def anonymous(demo_ledger: Ledger, settings: ApiSettings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, demo_ledger)) as test_client:
        yield test_client


class Signer:
    """Builds signed write bodies for a ledger the way an outside client would: domain and nonce from the API."""

    def __init__(self, client: TestClient) -> None:
        self.client = client
        domain = client.get("/eip712/domain").json()
        from ledger.apiclient.signer import domain_from_json

        self.domain, self.ledger_address = domain_from_json(domain)

    def nonce(self, account: LocalAccount) -> int:
        return int(self.client.get(f"/participants/{account.address}/nonce").json()["nonce"])

    def body(
        self, account: LocalAccount, data: str, *, nonce: int | None = None, ttl: int = 3_600, now: float | None = None
    ) -> dict[str, Any]:
        return signed_body(
            account,
            self.domain,
            self.ledger_address,
            data,
            nonce=self.nonce(account) if nonce is None else nonce,
            ttl=ttl,
            now=now,
        )


@pytest.fixture
def signer(client: TestClient) -> Signer:
    return Signer(client)


#: What a problem body must never carry: node URLs (hosted ones hold API keys), file paths, tracebacks, secrets.
LEAKS = re.compile(
    "|".join(
        (
            r"https?://",
            r"wss?://",
            r"ConnectionPool",
            r"host=",
            r"url: /",  # node URLs and what requests says of them
            r"(?<![\w.])/(?:tmp|work|home|root|var|etc|usr)/",
            r"\.sqlite",
            r"\.ledger/",  # files of the workspace
            r"Traceback",
            r'File "',
            r"SecretStr",
            r"private key",
        )
    )
)


def assert_no_leak(body: dict[str, Any]) -> None:
    """No field of a problem body but its `type` URI names a URL, a path, a traceback or a secret."""
    text = json.dumps({k: v for k, v in body.items() if k != "type"})
    assert not LEAKS.search(text), f"problem body leaks: {LEAKS.search(text)} in {text}"


def assert_problem(reply: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The reply is an RFC 9457 problem with this status (and code), and leaks nothing (`assert_no_leak`)."""
    assert reply.status_code == status, reply.text
    assert reply.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = reply.json()
    assert {"type", "title", "status", "detail", "code"} <= body.keys()
    assert body["status"] == status
    if code is not None:
        assert body["code"] == code, body
    assert_no_leak(body)
    return body
