"""Bounded trace reads over the API: the node cap (API_MAX_TRACE_NODES) cuts traces in every format and reports,
and the fast JSON path answers exactly what the documented `TraceOut` model gives."""

from __future__ import annotations

import re
from collections.abc import Iterator

import orjson
import pytest

from api.app import create_app
from api.schemas.batches import TraceOut
from api.settings import ApiSettings
from api.trace_json import TraceJson
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.domain.types import FlagKind, ParticipantProfile, Role, Site
from ledger.trace import MIN_NODES
from tests.api.conftest import TestClient, assert_problem, login
from tests.conftest import account
from tests.ledger.builders import batch, gln
from tests.ledger.lineage import record_fan


@pytest.fixture
def capped(demo_ledger: Ledger) -> Iterator[TestClient]:
    """The API with the smallest node cap."""
    with TestClient(create_app(ApiSettings(max_trace_nodes=MIN_NODES), demo_ledger)) as test_client:
        test_client.headers.update(login(test_client, demo_ledger.chain.operator))  # as the admin
        yield test_client


def test_a_lineage_wider_than_the_cap_answers_a_truncated_trace_in_every_format(
    capped: TestClient, demo_ledger: Ledger
) -> None:
    fan = record_fan(demo_ledger)
    trace = capped.get(f"/batches/{fan.top}/trace").json()
    assert trace["truncated"] is True and trace["truncated_by"] == "max_nodes"
    assert trace["continue_from"] == [fan.mids[1]]
    nodes = {n["batch_id"]: n for n in trace["nodes"]}
    assert set(nodes) == {fan.top, *fan.mids, *fan.raws[0]}
    assert len(trace["edges"]) == 2 + 40
    assert nodes[fan.mids[1]]["consumed"] == [{"output_id": fan.top, "quantity": "2"}]
    assert {n["quantity_consumed"] for n in trace["nodes"] if n["tier"] == 2} == {"1"}

    mermaid = capped.get(f"/batches/{fan.top}/trace", params={"format": "mermaid"}).text
    assert mermaid.count("-->") == 42 and "%% truncated by max_nodes" in mermaid and fan.mids[1] in mermaid
    [cut] = re.findall(r"^  class (\S+) cut$", mermaid, flags=re.MULTILINE)
    assert len(cut.split(",")) == 1

    dot = capped.get(f"/batches/{fan.top}/trace", params={"format": "dot"}).text
    assert dot.count(" -> ") == 42 and dot.count("style=dashed") == 1 and "// truncated by max_nodes" in dot

    rest = capped.get(f"/batches/{fan.mids[1]}/trace").json()
    assert rest["truncated"] is False and rest["continue_from"] == []
    assert {n["batch_id"] for n in rest["nodes"]} == {fan.mids[1], *fan.raws[1]}


def test_max_nodes_pages_smaller_but_never_past_the_setting(
    client: TestClient, demo_ledger: Ledger, settings: ApiSettings
) -> None:
    fan = record_fan(demo_ledger)
    assert client.get(f"/batches/{fan.top}/trace").json()["truncated"] is False
    small = client.get(f"/batches/{fan.top}/trace", params={"max_nodes": MIN_NODES}).json()
    assert small["truncated_by"] == "max_nodes" and small["continue_from"] == [fan.mids[1]]
    assert_problem(client.get(f"/batches/{fan.top}/trace", params={"max_nodes": settings.max_trace_nodes + 1}), 422)
    assert_problem(client.get(f"/batches/{fan.top}/trace", params={"max_nodes": MIN_NODES - 1}), 422)


def test_due_diligence_follows_the_node_cap(capped: TestClient, demo_ledger: Ledger) -> None:
    fan = record_fan(demo_ledger)
    report = capped.post("/due-diligence", json={"batch_id": fan.top}).json()
    [finding] = [f for f in report["findings"] if f["rule"] == "lineage_truncated"]
    assert finding["severity"] == "review" and "larger than the 43 batches checked" in finding["message"]
    assert report["summary"]["truncated"] is True and report["summary"]["batches"] == 43
    page = capped.get(f"/due-diligence/{fan.top}", params={"format": "html"}).text
    assert "cut short" in page


def test_the_fast_json_trace_equals_the_trace_model_on_the_demo(
    client: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    for batch_id in (world.flagged_batch, world.passing_batch, world.batches["yarn-b"]):
        for depth in (1, 2, 32):
            for _ in range(2):  # built, then from the cache
                reply = client.get(f"/batches/{batch_id}/trace", params={"max_depth": depth})
                assert reply.headers["content-type"] == "application/json"
                model = TraceOut.of(demo_ledger.trace(batch_id, depth))
                assert reply.json() == model.model_dump(mode="json")
                assert reply.content == model.model_dump_json().encode()


def test_the_json_trace_shows_a_flag_raised_after_it_was_served(
    client: TestClient, demo_ledger: Ledger, world: DemoWorld
) -> None:
    url = f"/batches/{world.passing_batch}/trace"
    before = client.get(url).json()
    assert before["nodes"][0]["flags"] == []
    demo_ledger.flag_batch(world.account("garment"), world.passing_batch, FlagKind.RECALL, "needle found")
    after = client.get(url).json()
    assert [(f["kind"], f["active"]) for f in after["nodes"][0]["flags"]] == [("recall", True)]
    assert after["as_of_block"] > before["as_of_block"]
    assert after == TraceOut.of(demo_ledger.trace(world.passing_batch, 32)).model_dump(mode="json")


def test_hostile_text_from_the_chain_renders_as_the_trace_model_does(embedded_ledger: Ledger) -> None:
    factory = account("hostile mill")
    name = 'Q"uote \\ back\nslash\t\x01\x1f\x7f </script> ✓ 中文 \U0001f600 \u2028'
    embedded_ledger.register_participant(
        factory.address, ParticipantProfile(name, "CN", (Site(gln(90), "CN-GD"),)), [Role.FACTORY]
    )
    (raw,), _ = embedded_ledger.record_batches(factory, [batch("HOSTILE-RAW", 90)])
    (top,), _ = embedded_ledger.record_batches(factory, [batch("HOSTILE-TOP", 90, inputs=((raw, "1.5"),))])
    embedded_ledger.flag_batch(factory, raw, FlagKind.QUALITY_HOLD, name)
    trace = embedded_ledger.trace(top)
    model = TraceOut.of(trace)
    fast = TraceJson().render(trace)
    assert orjson.loads(fast) == model.model_dump(mode="json")
    assert fast == model.model_dump_json().encode()
