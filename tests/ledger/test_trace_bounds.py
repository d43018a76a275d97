"""Bounded traces: a lineage larger than the node cap (or deeper than max_depth) answers a truncated trace that says
which bound cut it and where to continue, and tracing on from there covers the rest."""

from __future__ import annotations

import pytest

from ledger.client import Ledger
from ledger.diligence import due_diligence
from ledger.diligence.report import Rule
from ledger.domain.errors import ValidationError
from ledger.domain.types import TraceLimit
from ledger.trace import MAX_INPUTS, MIN_NODES
from tests.ledger.lineage import assert_well_formed, record_fan


def test_a_lineage_wider_than_the_node_cap_answers_a_truncated_trace(embedded_ledger: Ledger) -> None:
    fan = record_fan(embedded_ledger)
    trace = embedded_ledger.trace(fan.top, max_nodes=MIN_NODES)
    # top and both mids (3), then the first mid's 40 raws (43); the second mid's 40 would make 83 > 65
    assert trace.truncated and trace.truncated_by is TraceLimit.MAX_NODES
    assert {n.batch.id for n in trace.nodes} == {fan.top, *fan.mids, *fan.raws[0]}
    assert trace.continue_from == (fan.mids[1],)
    assert len(trace.edges) == 2 + 40
    assert_well_formed(trace)

    whole = embedded_ledger.trace(fan.top)
    assert not whole.truncated and whole.truncated_by is None and whole.continue_from == ()
    assert len(whole.nodes) == fan.size == 83 and len(whole.edges) == 82


def test_tracing_each_batch_of_continue_from_covers_the_rest_of_the_lineage(embedded_ledger: Ledger) -> None:
    fan = record_fan(embedded_ledger, mids=3, raws_per_mid=30)
    seen: set[str] = set()
    edges: set[tuple[str, str]] = set()
    todo = [fan.top]
    traces = 0
    while todo:
        trace = embedded_ledger.trace(todo.pop(), max_nodes=MIN_NODES)
        traces += 1
        assert len(trace.nodes) <= MIN_NODES
        assert_well_formed(trace)
        seen |= {n.batch.id for n in trace.nodes}
        edges |= {(e.input_id, e.output_id) for e in trace.edges}
        todo += trace.continue_from
    whole = embedded_ledger.trace(fan.top)
    assert seen == {n.batch.id for n in whole.nodes}
    assert edges == {(e.input_id, e.output_id) for e in whole.edges}
    assert traces == 2  # top, 3 mids and 2 x 30 raws; then the third mid and its 30 raws


def test_the_depth_limit_names_the_batches_at_the_deepest_tier(embedded_ledger: Ledger) -> None:
    fan = record_fan(embedded_ledger)
    trace = embedded_ledger.trace(fan.top, max_depth=1)
    assert trace.truncated_by is TraceLimit.MAX_DEPTH
    assert trace.continue_from == tuple(sorted(fan.mids))  # node order: sorted within a tier
    assert len(trace.edges) == 2
    assert_well_formed(trace)


def test_a_node_cap_smaller_than_a_batch_and_its_inputs_is_refused(embedded_ledger: Ledger) -> None:
    fan = record_fan(embedded_ledger, mids=1, raws_per_mid=1)
    with pytest.raises(ValidationError) as refused:
        embedded_ledger.trace(fan.top, max_nodes=MIN_NODES - 1)
    assert refused.value.field == "max_nodes"


def test_the_smallest_node_cap_fits_the_most_inputs_the_contract_allows(embedded_ledger: Ledger) -> None:
    assert embedded_ledger.contract.functions.MAX_INPUTS().call() == MAX_INPUTS == MIN_NODES - 1


def test_a_report_over_a_cut_lineage_says_which_bound_cut_it(embedded_ledger: Ledger) -> None:
    fan = record_fan(embedded_ledger)
    capped = due_diligence(embedded_ledger, fan.top, max_nodes=MIN_NODES)
    [finding] = [f for f in capped.findings if f.rule is Rule.LINEAGE_TRUNCATED]
    assert "larger than the 43 batches checked" in finding.message and "1 batch at the cut" in finding.message
    assert capped.summary.truncated and capped.summary.batches == 43

    shallow = due_diligence(embedded_ledger, fan.top, max_depth=1)
    [finding] = [f for f in shallow.findings if f.rule is Rule.LINEAGE_TRUNCATED]
    assert "past tier 1, the deepest traced" in finding.message and "2 batches there" in finding.message

    whole = due_diligence(embedded_ledger, fan.top)
    assert all(f.rule is not Rule.LINEAGE_TRUNCATED for f in whole.findings)
