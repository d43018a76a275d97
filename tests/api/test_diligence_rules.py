"""The due-diligence rules as pure functions (no HTTP), and the API's layering."""

from __future__ import annotations

import ast
import dataclasses
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.diligence import Policy, Rule, Verdict, evaluate, roll_up
from ledger.diligence.report import disclosure_as_of
from ledger.domain.errors import ValidationError

API_ROOT = Path(__file__).resolve().parents[2] / "api"


def _inputs(ledger: Ledger, batch_id: str):  # type: ignore[no-untyped-def]
    trace = ledger.trace(batch_id)
    disclosures = {n.producer.address: ledger.disclosures(participant=n.producer.address) for n in trace.nodes}
    return trace, disclosures, ledger.block_time(trace.as_of_block)


def test_disclosures_older_than_the_policy_allows_need_review(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    trace, disclosures, now = _inputs(ledger, world.passing_batch)
    report = evaluate(trace, disclosures, Policy(max_disclosure_age_days=30), now + timedelta(days=31))
    assert report.verdict is Verdict.REVIEW
    assert sum(f.rule is Rule.DISCLOSURE_OUTDATED for f in report.findings) == 4


def test_a_supplier_without_disclosures_is_noted_or_reviewed(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    trace, _, now = _inputs(ledger, world.passing_batch)
    lenient = evaluate(trace, {}, Policy(), now)
    assert lenient.verdict is Verdict.PASS and {f.rule for f in lenient.findings} == {Rule.NO_DISCLOSURE}
    strict = evaluate(trace, {}, Policy(required_assurance="limited"), now)  # type: ignore[arg-type]
    assert strict.verdict is Verdict.REVIEW


def test_facts_after_the_report_block_are_ignored(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    revoked = ledger.disclosure(world.disclosures["gin-xinjiang"])
    assert revoked.attestations[0].revoked is not None
    before = disclosure_as_of(revoked, revoked.attestations[0].revoked.block_number - 1)
    assert before is not None and before.attestations[0].active
    assert disclosure_as_of(revoked, revoked.versions[0].tx.block_number - 1) is None


def test_footprint_attribution_follows_the_material(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    footprint = roll_up(ledger.trace(world.flagged_batch))
    steps = {s.batch_id: s for s in footprint.steps}
    assert steps[world.flagged_batch].attribution == 1
    fabric = steps[world.batches["fabric-b"]]
    assert fabric.attribution == (Decimal(68000) / 70000).quantize(Decimal("0.000001"))
    # the footprint of the garments is their own emissions plus the fabric's, pro rata
    assert abs(footprint.total_kg - (Decimal(20000) + fabric.total_kg / 70000 * 68000)) < Decimal("0.01")


def test_a_flag_released_later_no_longer_counts(demo: tuple[Ledger, DemoWorld]) -> None:
    ledger, world = demo
    trace, disclosures, now = _inputs(ledger, world.flagged_batch)
    released = dataclasses.replace(
        trace, nodes=tuple(dataclasses.replace(n, batch=dataclasses.replace(n.batch, flags=())) for n in trace.nodes)
    )
    report = evaluate(released, disclosures, Policy(reject_regions=()), now)
    assert Rule.ACTIVE_FLAG not in {f.rule for f in report.findings}
    assert report.verdict is Verdict.REVIEW


@pytest.mark.parametrize(
    "bad",
    [
        {"reject_regions": ("ZZ",)},
        {"review_regions": ("CN-ZZ",)},
        {"required_frameworks": ("SASB",)},
        {"max_disclosure_age_days": -1},
        {"required_documents": (("tier-1", ()),)},
        {"max_footprint_per_unit_kg": Decimal("NaN")},
        {"max_footprint_per_unit_kg": Decimal(-1)},
    ],
)
def test_policy_refuses_values_that_mean_nothing(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Policy(**bad)  # type: ignore[arg-type]


def test_the_api_never_imports_web3() -> None:
    forbidden = {"web3", "eth_abi", "eth_utils", "eth_account", "hexbytes"}
    for path in API_ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not {n.split(".")[0] for n in names} & forbidden, path
