"""The OpenAPI document tells the truth: who each route is for, the answers a caller can get, and the bounds and
rules the service applies. Each fact is read from `/openapi.json` of the app (no chain needed to serve it)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.settings import ApiSettings
from ledger.anchoring import BUNDLE_FORMAT
from ledger.trace import MAX_NODES

BEARER = {"HTTPBearer": []}
#: Public by design: anyone may call them; a token, if sent, shows more (and a bad one is 401).
TOKEN_OPTIONAL = [
    ("get", "/disclosures"),
    ("get", "/disclosures/export"),
    ("get", "/disclosures/{disclosure_id}"),
    ("get", "/documents/{sha256}"),
    ("get", "/documents/{sha256}/citations"),
]
PUBLIC = [
    ("get", "/batches/{batch_id}/passport"),
    ("get", "/health"),
    ("get", "/eip712/domain"),
    ("post", "/batches"),
    ("get", "/regimes"),
]
MEMBERS = [
    ("get", "/batches"),
    ("post", "/due-diligence"),
    ("post", "/capture"),
    ("post", "/anchors/bundles"),
    ("put", "/documents/{sha256}"),
    ("get", "/capture/{capture_id}"),
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    yield TestClient(create_app(ApiSettings(max_trace_nodes=5_000)))


@pytest.fixture(scope="module")
def schema(client: TestClient) -> dict[str, Any]:
    reply = client.get("/openapi.json")
    assert reply.status_code == 200
    document: dict[str, Any] = reply.json()
    return document


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


@pytest.mark.parametrize(("method", "path"), TOKEN_OPTIONAL)
def test_public_routes_that_read_a_token_declare_it_optional_and_document_its_401(
    schema: dict[str, Any], method: str, path: str
) -> None:
    operation = schema["paths"][path][method]
    assert operation["security"] == [{}, BEARER]
    assert "token was sent" in operation["responses"]["401"]["description"]


def test_the_digital_link_resolver_is_declared_public(schema: dict[str, Any]) -> None:
    resolver = [(p, o) for m, p, o in operations(schema) if p.startswith("/01/") and m == "get"]
    assert resolver
    for path, operation in resolver:
        assert {} in operation.get("security", [{}]), path


@pytest.mark.parametrize(("method", "path"), PUBLIC)
def test_routes_that_read_no_token_declare_no_security(schema: dict[str, Any], method: str, path: str) -> None:
    assert "security" not in schema["paths"][path][method]


@pytest.mark.parametrize(("method", "path"), MEMBERS)
def test_members_routes_require_the_bearer_and_document_the_401(schema: dict[str, Any], method: str, path: str) -> None:
    operation = schema["paths"][path][method]
    assert operation["security"] == [BEARER]
    assert operation["responses"]["401"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/Problem"
    }


def test_the_admins_route_documents_401_and_403(schema: dict[str, Any]) -> None:
    operation = schema["paths"]["/relayer"]["get"]
    assert operation["security"] == [BEARER]
    assert {"401", "403"} <= operation["responses"].keys()


def test_every_json_body_is_documented_utf8_with_its_415(schema: dict[str, Any]) -> None:
    bodies = [
        (m, p, o) for m, p, o in operations(schema) if "application/json" in o.get("requestBody", {}).get("content", {})
    ]
    assert len(bodies) >= 10
    for method, path, operation in bodies:
        assert "UTF-8" in operation["requestBody"]["description"], (method, path)
        answer = operation["responses"]["415"]["content"]["application/problem+json"]
        assert answer["example"]["code"] == "json_not_utf8", (method, path)
        assert "400" not in operation["responses"], (method, path)  # JSON that does not parse is 422
        assert "not parse" in operation["responses"]["422"]["description"], (method, path)


def test_max_nodes_has_the_services_maximum(schema: dict[str, Any]) -> None:
    parameter = next(
        p for p in schema["paths"]["/batches/{batch_id}/trace"]["get"]["parameters"] if p["name"] == "max_nodes"
    )
    integer = next(b for b in parameter["schema"]["anyOf"] if b.get("type") == "integer")
    assert integer["maximum"] == 5_000 != MAX_NODES


def test_lots_carry_the_gs1_character_set(schema: dict[str, Any]) -> None:
    """Every lot the API takes, in a body or a query string, says its character set."""
    components = schema["components"]["schemas"]
    bodies = [operation.get("requestBody", {}) for item in schema["paths"].values() for operation in item.values()]
    pending, taken = set(re.findall(r"#/components/schemas/([^\"]+)\"", json.dumps(bodies))), set()
    while pending:  # the models request bodies refer to, and the models those refer to
        name = pending.pop()
        taken.add(name)
        pending |= set(re.findall(r"#/components/schemas/([^\"]+)\"", json.dumps(components[name]))) - taken
    lots = [
        (name, components[name]["properties"]["lot"])
        for name in taken
        if "lot" in components[name].get("properties", {})
    ]
    lots += [
        (f"{method.upper()} {path}", parameter["schema"])
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "lot"
    ]
    assert {"DueDiligenceRequest", "AnchoredBatchIn", "GET /batches"} <= {name for name, _ in lots}
    for name, lot in lots:
        assert "pattern" in lot, f"{name}: {lot}"
        pattern = re.compile(lot["pattern"])
        assert pattern.match("HG-DG-25-B-1202") and pattern.match("/B%\"&'()*+,.:;<=>?_!")
        assert not pattern.match("lot with spaces") and not pattern.match("x" * 21) and not pattern.match("é")


def test_the_due_diligence_request_names_a_batch_one_way(schema: dict[str, Any]) -> None:
    rule = schema["components"]["schemas"]["DueDiligenceRequest"]["oneOf"]
    assert [branch["required"] for branch in rule] == [["batch_id"], ["gtin"]]


def test_the_bundle_format_is_in_the_schema(schema: dict[str, Any]) -> None:
    assert schema["components"]["schemas"]["AnchorBundleIn"]["properties"]["format"]["enum"] == [BUNDLE_FORMAT]


def test_options_lists_only_methods_the_path_answers(client: TestClient) -> None:
    """`/capture/facts` matches `/capture/{capture_id}` by shape only: its id is 32 hex digits, so GET is not one
    of its methods."""
    reply = client.options("/capture/facts")
    assert reply.status_code == 405
    assert reply.headers["allow"] == "POST"
    job = client.options("/capture/" + "0" * 32)
    assert job.headers["allow"] == "GET"
    get = client.get("/capture/facts")  # the method it lacks: 405, not a 422 for a job id "facts"
    assert get.status_code == 405 and get.headers["allow"] == "POST"
    assert "/capture/{capture_id}" in client.get("/openapi.json").json()["paths"]
