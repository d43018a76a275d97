"""The bounds on what a caller sends: JSON nesting measured on raw bytes, body limits from the settings, and every
list and string of a request schema capped. (The crash itself is shown against the real server: test_limits.py.)"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from api.app import create_app
from api.limits import json_too_deep
from api.settings import ApiSettings
from ledger.anchoring import build_bundle
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.domain.types import DocumentKind
from tests.api.conftest import TestClient, assert_problem, login
from tests.api.test_anchors import garments

JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("text", "limit", "deep"),
    [
        ("[[[1]]]", 3, False),
        ("[[[[1]]]]", 3, True),
        ('{"a": {"b": [{}]}}', 4, False),
        ('{"a": {"b": [{"c": []}]}}', 4, True),
        ('["[[[[[[[[[[", "{{{{{{{{{{{"]', 1, False),  # brackets inside strings do not nest anything
        ('["\\"[[[[[[[[", [["\\\\"]]]', 3, False),  # nor do they after an escaped quote
        ('["\\\\", [[["x"]]]]', 3, True),  # an escaped backslash ends before the quote that closes the string
        ('[[["]]]]]]]]", [[[[[1]]]]]]]]', 3, True),  # closing brackets in a string do not hide depth
        ('"unterminated [[[[[[[[[[', 1, False),
        ("[" * 100_000, 32, True),
        ("[]" * 100_000, 1, False),
    ],
)
def test_nesting_is_measured_outside_strings(text: str, limit: int, deep: bool) -> None:
    assert json_too_deep(text.encode(), limit) is deep
    assert json_too_deep(text, limit) is deep


@pytest.mark.parametrize(
    "body",
    [
        b'"' + b'\\"' * 500_000 + b"\\",  # one string that never closes, full of escaped quotes
        b'["' + b"a[" * 500_000,
        b"[" * 32 + b"]" * 32 + b'"a' * 500_000,
        b'[""' * 400_000,
    ],
)
def test_measuring_nesting_takes_one_linear_pass_whatever_the_input(body: bytes) -> None:
    started = time.perf_counter()
    json_too_deep(body, 32)
    assert time.perf_counter() - started < 2  # a quadratic scan of 1 MB would take hours


@pytest.fixture
def small(demo_ledger: Ledger) -> Iterator[TestClient]:
    """A service configured with small limits through its settings."""
    settings = ApiSettings(max_body_bytes=4_096, max_bundle_body_bytes=8_192, max_json_depth=4)
    with TestClient(create_app(settings, demo_ledger)) as client:
        client.headers.update(login(client, demo_ledger.chain.operator))  # as the admin
        yield client


def test_the_limits_come_from_the_settings(small: TestClient, world: DemoWorld) -> None:
    deep = {"batch_id": world.passing_batch, "policy": {"required_documents": {"raw": [["certificate"]]}}}
    assert_problem(small.post("/due-diligence", json=deep), 422, "json_too_deep")
    fine = {"batch_id": world.passing_batch, "policy": {"required_documents": {"raw": ["certificate"]}}}
    assert small.post("/due-diligence", json=fine).status_code == 200
    padded = json.dumps(fine) + " " * 5_000
    assert_problem(small.post("/due-diligence", content=padded, headers=JSON), 413, "body_too_large")
    bundle_sized = '{"format": "x"}' + " " * 6_000  # over the JSON limit, within the bundle limit: read, then judged
    assert_problem(small.post("/anchors/bundles", content=bundle_sized, headers=JSON), 422, "invalid_input")
    assert_problem(small.post("/anchors/bundles", content=bundle_sized + " " * 3_000, headers=JSON), 413)


def test_the_policy_query_has_the_same_depth_limit(small: TestClient, world: DemoWorld) -> None:
    policy = json.dumps({"required_documents": {"raw": [[["certificate"]]]}})  # 5 levels, the limit is 4
    reply = small.get(f"/due-diligence/{world.passing_batch}", params={"policy": policy, "format": "json"})
    assert assert_problem(reply, 422, "json_too_deep")["field"] == "policy"


BOUND_ERRORS = {"string_too_long", "too_long", "less_than_equal", "string_pattern_mismatch"}


def assert_out_of_bounds(reply: Any) -> None:
    """A 422 naming the bound the input broke (not a later check that happened to refuse it)."""
    problem = assert_problem(reply, 422, "invalid_input")
    assert problem["errors"][0]["type"] in BOUND_ERRORS, problem


@pytest.mark.parametrize(
    "policy",
    [
        {"reject_regions": ["CN-XJ" + "X" * 10_000]},
        {"review_regions": ["X" * 7]},
        {"required_frameworks": ["GRI", "ESRS", "ISSB", "GRI"]},
        {"required_documents": {"raw" * 1_000: ["certificate"]}},
        {"required_documents": {str(n): ["certificate"] for n in range(260)}},
        {"required_documents": {"raw": ["certificate"] * (len(DocumentKind) + 1)}},
    ],
)
def test_every_list_and_string_of_a_policy_is_bounded(
    client: TestClient, world: DemoWorld, policy: dict[str, Any]
) -> None:
    assert_out_of_bounds(client.post("/due-diligence", json={"batch_id": world.passing_batch, "policy": policy}))


BUNDLE_CHANGES: list[dict[str, Any]] = [
    {"format": "x" * 100},
    {"producer": "0x" + "ab" * 5_000},
    {"ledger": "not an address"},
    {"chain_id": 2**70},
    {"proof": ["0x" + "cd" * 5_000]},
    {"produced_at": 10**18},  # past the year 9999: was a 500
]


def test_every_field_of_an_anchor_bundle_is_bounded(client: TestClient, world: DemoWorld) -> None:
    original = build_bundle(world.account("garment").address, [garments("HG-BOUNDS-1")]).to_json()
    assert_problem(client.post("/anchors/bundles", content=original, headers=JSON), 404)  # well-formed, not anchored
    for change in BUNDLE_CHANGES:
        bundle = json.loads(original)
        record = bundle["records"][0]
        for key, value in change.items():
            target = bundle if key in bundle else record if key in record else record["record"]
            target[key] = value
        assert_out_of_bounds(client.post("/anchors/bundles", json=bundle))
