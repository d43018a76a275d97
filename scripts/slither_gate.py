"""Slither over `contracts/`, gated by the accepted-findings list (`scripts/slither` sets up slither and runs this).

Slither compiles through `scripts/slither-solc.js` (the project's solcjs shim with `ledger/chain/compile.py`'s settings)
from a temporary directory, so nothing is left in the work tree. The findings in files under the contracts folder are
then compared with the accepted list (`contracts/slither-accepted.json`: entries {check, element, impact, reason}).
Exit 1, naming each, on a finding of medium or high impact, a finding not in the list, or an entry of the list that
no longer occurs; exit 2 if slither itself fails or the list is malformed; 0 with a one-line summary otherwise.

Usage: .venv/bin/python scripts/slither_gate.py --slither BIN [--contracts DIR] [--accepted FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger.chain.compile import standard_input

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "scripts" / "slither-solc.js"
NEVER_ACCEPTED = frozenset({"High", "Medium"})
IMPACTS = frozenset({"High", "Medium", "Low", "Informational", "Optimization"})
ENTRY_FIELDS = ("check", "element", "impact", "reason")


class GateError(Exception):
    """Slither did not run, or the accepted list is malformed (exit 2: no verdict on the contracts)."""


@dataclass(frozen=True)
class Finding:
    check: str
    element: str
    impact: str
    confidence: str
    where: str
    description: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check, self.element, self.impact)

    def show(self) -> str:
        return f"{self.impact} {self.check} {self.element} ({self.where}), confidence {self.confidence}"


@dataclass(frozen=True)
class Accepted:
    check: str
    element: str
    impact: str
    reason: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.check, self.element, self.impact)

    def show(self) -> str:
        return f"{self.impact} {self.check} {self.element}"


def compiler_settings() -> dict[str, Any]:
    """What `ledger/chain/compile.py` compiles with (optimizer, viaIR, EVM version), minus its output selection."""
    settings = dict(standard_input()["settings"])
    settings.pop("outputSelection")
    return settings


def run_slither(slither: Path, contracts: Path) -> dict[str, Any]:
    """Slither's JSON report on `contracts`, run from a temporary directory (crytic-compile writes to its cwd)."""
    with tempfile.TemporaryDirectory(prefix="slither-") as tmp:
        out = Path(tmp) / "slither.json"
        command = [
            str(slither.absolute()), str(contracts),
            "--solc", str(WRAPPER), "--solc-standard-json",
            "--solc-remaps", f"@openzeppelin/={ROOT / 'node_modules' / '@openzeppelin'}/",
            "--filter-paths", "node_modules",
            "--json", str(out),
        ]  # fmt: skip
        env = {**os.environ, "LEDGER_SOLC_SETTINGS": json.dumps(compiler_settings())}
        try:
            proc = subprocess.run(command, cwd=tmp, env=env, capture_output=True, text=True, check=False)
        except OSError as exc:
            raise GateError(f"cannot run slither: {exc}") from exc
        if not out.is_file():
            raise GateError(f"slither wrote no report (exit {proc.returncode}):\n{_tail(proc.stdout + proc.stderr)}")
        report: dict[str, Any] = json.loads(out.read_text())
    if not report.get("success") or report.get("error"):
        raise GateError(f"slither failed: {report.get('error')}\n{_tail(proc.stdout + proc.stderr)}")
    return report


def _tail(text: str, lines: int = 30) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _qualified(element: Mapping[str, Any]) -> str:
    """`Contract.function`, `Contract.function.variable`, `Contract`: a node stands for its function."""
    parent = element.get("type_specific_fields", {}).get("parent")
    if element["type"] == "node" and parent:
        return _qualified(parent)
    return f"{_qualified(parent)}.{element['name']}" if parent else str(element["name"])


def _file(element: Mapping[str, Any]) -> Path | None:
    filename = element.get("source_mapping", {}).get("filename_absolute")
    return Path(filename).resolve() if filename else None


def _paths(element: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(slither's relative file name, absolute file name) of an element and its parents."""
    mapping = element.get("source_mapping", {})
    if mapping.get("filename_relative") and mapping.get("filename_absolute"):
        yield mapping["filename_relative"], mapping["filename_absolute"]
    parent = element.get("type_specific_fields", {}).get("parent")
    if parent:
        yield from _paths(parent)


def findings(report: Mapping[str, Any], contracts: Path) -> tuple[list[Finding], int]:
    """The findings with an element in a file under `contracts`, and how many other findings there were."""
    contracts = contracts.resolve()
    base = contracts.parent

    def pretty(absolute: str) -> str:
        path = Path(absolute).resolve()
        return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)

    ours: list[Finding] = []
    others = 0
    for result in report.get("results", {}).get("detectors", []):
        elements = result.get("elements", [])
        in_contracts = [e for e in elements if (f := _file(e)) is not None and f.is_relative_to(contracts)]
        if not in_contracts:
            others += 1
            continue
        subject = in_contracts[0]
        lines = subject["source_mapping"].get("lines") or [0]
        description = result.get("description", "").strip()
        for relative, absolute in {p for e in elements for p in _paths(e)}:
            description = description.replace(relative, pretty(absolute))
        ours.append(Finding(
            check=result["check"],
            element=_qualified(subject),
            impact=result["impact"],
            confidence=result.get("confidence", "?"),
            where=f"{pretty(subject['source_mapping']['filename_absolute'])}#{lines[0]}-{lines[-1]}",
            description=description,
        ))  # fmt: skip
    return ours, others


def load_accepted(path: Path) -> list[Accepted]:
    """The accepted list, checked: every field present and a string, a reason given, no medium or high impact."""
    try:
        entries = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise GateError(f"{path}: {exc}") from exc
    if not isinstance(entries, list):
        raise GateError(f"{path}: expected a JSON list of {{{', '.join(ENTRY_FIELDS)}}}")
    accepted: list[Accepted] = []
    for index, entry in enumerate(entries):
        where = f"{path} entry {index}"
        if not isinstance(entry, dict) or set(entry) != set(ENTRY_FIELDS):
            raise GateError(f"{where}: expected exactly the fields {', '.join(ENTRY_FIELDS)}")
        if not all(isinstance(entry[f], str) and entry[f].strip() for f in ENTRY_FIELDS):
            raise GateError(f"{where}: every field must be a non-empty string (the reason too)")
        if entry["impact"] not in IMPACTS:
            raise GateError(f"{where}: impact {entry['impact']!r} is not one of {', '.join(sorted(IMPACTS))}")
        if entry["impact"] in NEVER_ACCEPTED:
            raise GateError(f"{where}: a {entry['impact']} finding cannot be accepted: fix the contract")
        accepted.append(Accepted(**{f: entry[f] for f in ENTRY_FIELDS}))
    keys = [a.key for a in accepted]
    if len(set(keys)) != len(keys):
        raise GateError(f"{path}: an entry is listed twice")
    return accepted


def judge(found: list[Finding], accepted: list[Accepted]) -> list[str]:
    """One line (or block) per problem; empty when every finding is accepted and every entry still occurs."""
    accepted_keys = {a.key for a in accepted}
    problems: list[str] = []
    for finding in sorted(found, key=lambda f: (f.impact not in NEVER_ACCEPTED, f.where)):
        if finding.impact in NEVER_ACCEPTED:
            problem = "medium and high impact findings are never accepted: fix the contract"
        elif finding.key not in accepted_keys:
            problem = "not in the accepted list: fix it, or accept it with a reason"
        else:
            continue
        problems.append(f"{finding.show()}: {problem}\n{textwrap.indent(finding.description, ' ' * 6)}")
    found_keys = {f.key for f in found}
    problems.extend(
        f"{entry.show()}: accepted but no longer found (stale): remove it from the list"
        for entry in accepted
        if entry.key not in found_keys
    )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slither", type=Path, required=True, help="the slither executable")
    parser.add_argument("--contracts", type=Path, default=ROOT / "contracts", help="folder to analyse")
    parser.add_argument("--accepted", type=Path, default=None,
                        help="accepted findings (default: slither-accepted.json in the contracts folder)")  # fmt: skip
    args = parser.parse_args(argv)
    contracts: Path = args.contracts.resolve()
    accepted_path: Path = args.accepted or contracts / "slither-accepted.json"
    started = time.monotonic()
    try:
        accepted = load_accepted(accepted_path)
        found, others = findings(run_slither(args.slither, contracts), contracts)
    except GateError as exc:
        print(f"slither: {exc}", file=sys.stderr)
        return 2
    problems = judge(found, accepted)
    elapsed = time.monotonic() - started
    if problems:
        shown = contracts.relative_to(ROOT) if contracts.is_relative_to(ROOT) else contracts
        print(f"slither: {len(problems)} problem(s) in {shown}/ ({elapsed:.0f} s):", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        print(f"Accepted findings and their reasons: {accepted_path}", file=sys.stderr)
        return 1
    outside = f", {others} outside it ignored" if others else ""
    print(f"slither: {len(found)} finding(s) in {contracts.name}/, none medium or high, each accepted with its reason "
          f"in {accepted_path.name}{outside} ({elapsed:.0f} s)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
