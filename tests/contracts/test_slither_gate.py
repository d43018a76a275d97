"""scripts/slither_gate.py judges slither's report against the accepted list (slither itself runs in scripts/check).

The reports here have the shape of slither-analyzer 0.11's JSON output; no slither is needed.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"


def _load_gate() -> ModuleType:
    spec = importlib.util.spec_from_file_location("slither_gate", ROOT / "scripts" / "slither_gate.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


gate = _load_gate()


def _mapping(file: Path, lines: list[int]) -> dict[str, Any]:
    return {"filename_absolute": str(file), "filename_relative": f"../..{file}", "lines": lines}


def _contract(name: str, file: Path) -> dict[str, Any]:
    return {"type": "contract", "name": name, "source_mapping": _mapping(file, [1, 99])}


def _function(contract: str, name: str, file: Path, lines: list[int]) -> dict[str, Any]:
    return {"type": "function", "name": name, "source_mapping": _mapping(file, lines),
            "type_specific_fields": {"parent": _contract(contract, file), "signature": f"{name}()"}}  # fmt: skip


def _node(function: dict[str, Any], line: int) -> dict[str, Any]:
    file = Path(function["source_mapping"]["filename_absolute"])
    return {"type": "node", "name": "a > b", "source_mapping": _mapping(file, [line]),
            "type_specific_fields": {"parent": function}}  # fmt: skip


def _result(check: str, impact: str, elements: list[dict[str, Any]]) -> dict[str, Any]:
    where = elements[0]["source_mapping"]["filename_relative"]
    return {"check": check, "impact": impact, "confidence": "Medium", "elements": elements,
            "description": f"{check} in {where}#1-2\n\t- detail ({where}#2)\n"}  # fmt: skip


def _report(*results: dict[str, Any]) -> dict[str, Any]:
    return {"success": True, "error": None, "results": {"detectors": list(results)}}


CHECK_RECORD = _function("BatchLedger", "_checkRecord", CONTRACTS / "BatchLedger.sol", [186, 208])
TODAY = _report(
    _result("timestamp", "Low", [CHECK_RECORD, _node(CHECK_RECORD, 197)]),
    _result("dead-code", "Informational",
            [_function("ProvenanceLedger", "_msgData", CONTRACTS / "ProvenanceLedger.sol", [23, 25])]),
)  # fmt: skip


def _problems(report: dict[str, Any], accepted: list[Any] | None = None) -> list[str]:
    found, _ = gate.findings(report, CONTRACTS)
    entries = gate.load_accepted(CONTRACTS / "slither-accepted.json") if accepted is None else accepted
    problems: list[str] = gate.judge(found, entries)
    return problems


def test_todays_findings_are_exactly_the_committed_accepted_list() -> None:
    assert _problems(TODAY) == []


def test_a_finding_is_named_by_check_contract_and_function_with_the_file_relative_to_the_project() -> None:
    found, others = gate.findings(TODAY, CONTRACTS)
    assert others == 0
    assert [(f.check, f.element, f.impact, f.where) for f in found] == [
        ("timestamp", "BatchLedger._checkRecord", "Low", "contracts/BatchLedger.sol#186-208"),
        ("dead-code", "ProvenanceLedger._msgData", "Informational", "contracts/ProvenanceLedger.sol#23-25"),
    ]
    assert "../.." not in found[0].description and "contracts/BatchLedger.sol#2" in found[0].description


@pytest.mark.parametrize("impact", ["Medium", "High"])
def test_a_medium_or_high_finding_fails_and_can_never_be_accepted(impact: str, tmp_path: Path) -> None:
    payable = _function("ProvenanceLedger", "collectFee", CONTRACTS / "ProvenanceLedger.sol", [31, 33])
    problems = _problems(_report(*TODAY["results"]["detectors"], _result("incorrect-equality", impact, [payable])))
    assert len(problems) == 1
    assert problems[0].startswith(f"{impact} incorrect-equality ProvenanceLedger.collectFee")
    assert "never accepted" in problems[0]
    listed = tmp_path / "accepted.json"
    listed.write_text(json.dumps([{"check": "incorrect-equality", "element": "ProvenanceLedger.collectFee",
                                   "impact": impact, "reason": "we like it"}]))  # fmt: skip
    with pytest.raises(gate.GateError, match="cannot be accepted"):
        gate.load_accepted(listed)


def test_a_low_finding_not_in_the_list_fails() -> None:
    function = _function("DisclosureRegistry", "attestDisclosure", CONTRACTS / "DisclosureRegistry.sol", [50, 60])
    problems = _problems(_report(*TODAY["results"]["detectors"], _result("timestamp", "Low", [function])))
    assert len(problems) == 1
    assert problems[0].startswith("Low timestamp DisclosureRegistry.attestDisclosure")
    assert "not in the accepted list" in problems[0]


def test_an_accepted_entry_that_no_longer_occurs_is_stale() -> None:
    problems = _problems(_report(TODAY["results"]["detectors"][0]))
    assert len(problems) == 1
    assert problems[0].startswith("Informational dead-code ProvenanceLedger._msgData: accepted but no longer found")


def test_a_finding_whose_impact_changed_is_not_covered_by_its_old_entry() -> None:
    raised = _report(_result("timestamp", "Medium", [CHECK_RECORD]), TODAY["results"]["detectors"][1])
    problems = _problems(raised)
    assert len(problems) == 2
    assert problems[0].startswith("Medium timestamp BatchLedger._checkRecord")
    assert problems[1].startswith("Low timestamp BatchLedger._checkRecord: accepted but no longer found")


def test_findings_only_in_dependencies_are_not_ours() -> None:
    dependency = ROOT / "node_modules" / "@openzeppelin" / "contracts" / "utils" / "Address.sol"
    report = _report(*TODAY["results"]["detectors"],
                     _result("assembly", "Informational", [_function("Address", "f", dependency, [1, 2])]))  # fmt: skip
    found, others = gate.findings(report, CONTRACTS)
    assert (len(found), others) == (2, 1)
    assert gate.judge(found, gate.load_accepted(CONTRACTS / "slither-accepted.json")) == []


@pytest.mark.parametrize(
    "entries",
    [
        {"check": "timestamp"},
        [{"check": "timestamp", "element": "BatchLedger._checkRecord", "impact": "Low"}],
        [{"check": "timestamp", "element": "BatchLedger._checkRecord", "impact": "Low", "reason": "  "}],
        [{"check": "timestamp", "element": "BatchLedger._checkRecord", "impact": "Lowish", "reason": "r"}],
        [{"check": "timestamp", "element": "BatchLedger._checkRecord", "impact": "Low", "reason": "r"}] * 2,
    ],
)
def test_a_malformed_accepted_list_is_refused(entries: object, tmp_path: Path) -> None:
    listed = tmp_path / "accepted.json"
    listed.write_text(json.dumps(entries))
    with pytest.raises(gate.GateError):
        gate.load_accepted(listed)
