"""What the service tells a client about itself: interactive docs that work with no internet, an OpenAPI document
with the bounds the service really applies, and 405 answers that list every allowed method."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from api import docs, problems
from api.settings import ApiSettings
from tests.api.conftest import TestClient, assert_problem

#: Every URL an HTML page can make a browser load: src/href attributes, `url(...)`, and quoted strings in scripts.
URL = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url\(\s*["']?([^"')]+)|["'](/[^"'\s]*)["']""")


def referenced(html: str) -> set[str]:
    return {next(g for g in match.groups() if g) for match in URL.finditer(html)}


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_the_docs_load_everything_from_the_service_itself(client: TestClient, page: str) -> None:
    reply = client.get(page)
    assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/html")
    html = reply.text
    own = str(client.base_url)
    assert "//cdn" not in html
    assert [u for u in re.findall(r"(?:https?:)?//[^\s\"'<>)]+", html) if not u.startswith(own)] == []
    urls = referenced(html)
    assert "/openapi.json" in urls and any(u.endswith(".js") for u in urls), urls
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, (url, asset.text[:200])
        assert asset.content
    scripts = [u for u in urls if u.endswith(".js")]
    assert all(
        client.get(u).headers["content-type"].startswith(("text/javascript", "application/javascript")) for u in scripts
    )


def test_docs_assets_are_only_the_listed_files(client: TestClient) -> None:
    assert_problem(client.get("/docs/assets/package.json"), 404)
    assert client.get("/docs/assets/..%2F..%2Fpackage.json").status_code == 404


def test_without_the_npm_assets_the_docs_say_how_to_install_them(tmp_path: Path) -> None:
    app = FastAPI(docs_url=None, redoc_url=None)
    problems.install(app)
    docs.install(app, node_modules=tmp_path / "node_modules")
    with TestClient(app) as bare:
        for page in ("/docs", "/redoc", "/docs/assets/swagger-ui-bundle.js"):
            problem = assert_problem(bare.get(page), 503, "docs_assets_missing")
            assert "npm ci" in problem["detail"]


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(path, method, op) for path, ops in spec["paths"].items() for method, op in ops.items()]


def _integer_branch(schema: dict[str, Any]) -> dict[str, Any]:
    return next(b for b in schema.get("anyOf", [schema]) if b.get("type") == "integer")


def test_openapi_states_the_bounds_of_this_service(client: TestClient, settings: ApiSettings) -> None:
    spec = client.get("/openapi.json").json()
    caps = {"limit": settings.max_page_size, "max_depth": settings.max_trace_depth}
    seen: dict[str, set[str]] = {"limit": set(), "max_depth": set()}
    for path, method, op in _operations(spec):
        for parameter in op.get("parameters", []):
            if parameter["name"] in caps:
                assert _integer_branch(parameter["schema"])["maximum"] == caps[parameter["name"]], (path, parameter)
                seen[parameter["name"]].add(f"{method.upper()} {path}")
    assert {"GET /batches", "GET /disclosures"} <= seen["limit"]
    assert {"GET /batches/{batch_id}/trace", "GET /due-diligence/{batch_id}"} <= seen["max_depth"]
    report = spec["components"]["schemas"]["DueDiligenceRequest"]["properties"]["max_depth"]
    assert _integer_branch(report)["maximum"] == settings.max_trace_depth


def test_openapi_writes_integer_bounds_as_exact_integers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    nonce = spec["components"]["schemas"]["ForwardRequestIn"]["properties"]["nonce"]
    assert type(nonce["maximum"]) is int and type(nonce["minimum"]) is int, nonce
    assert nonce["maximum"] >= 2**32
    assert "e+" not in client.get("/openapi.json").text


def test_openapi_gives_the_body_limit_of_each_route(client: TestClient, settings: ApiSettings) -> None:
    spec = client.get("/openapi.json").json()
    with_body = [(path, op) for path, _, op in _operations(spec) if "requestBody" in op]
    assert len(with_body) >= 8
    for path, op in with_body:
        limit = {
            "/anchors/bundles": settings.max_bundle_body_bytes,
            "/capture": settings.max_capture_body_bytes,
            "/capture/facts": settings.max_capture_body_bytes,
        }.get(path, settings.max_body_bytes)
        if path.startswith("/documents"):
            limit = settings.max_document_body_bytes
        assert f"{limit:,} bytes" in op["responses"]["413"]["description"], path
        assert f"{limit:,} bytes" in op["requestBody"]["description"], path


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("DELETE", "/batches", {"GET", "POST"}),
        ("PUT", "/disclosures", {"GET", "POST"}),
        ("PATCH", "/due-diligence", {"POST"}),
        ("POST", "/health", {"GET"}),
    ],
)
def test_405_lists_every_allowed_method(client: TestClient, method: str, path: str, allowed: set[str]) -> None:
    reply = client.request(method, path)
    assert_problem(reply, 405, "method_not_allowed")
    assert {m.strip() for m in reply.headers["allow"].split(",")} - {"HEAD"} == allowed
