"""What a newcomer follows in the README works as written: the keys it uses are given (and are the demo's public test
keys), a browser is not promised a members-only page, and no example leaves files in the project folder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from eth_account import Account

from ledger.chain import ANVIL_OPERATOR_KEY
from ledger.demo import DEMO_PARTICIPANTS
from ledger.types import Role

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.S | re.M)


def shell_lines() -> list[str]:
    """Every command of the bash examples, continuation lines joined, comments cut off."""
    lines = []
    for block in blocks("bash"):
        command = ""
        for line in block.splitlines():
            code = re.split(r"(?:^|\s)#\s", line, maxsplit=1)[0].rstrip()
            command += " " + code.removesuffix("\\")
            if not code.endswith("\\"):
                if command.strip():
                    lines.append(command.strip())
                command = ""
    return lines


#: Where a command writes a file: a redirection, an output option, curl's -o, a workspace (LEDGER_HOME).
WRITES = re.compile(r"(?:(?<![<\d&])\d?>{1,2}(?!&)\s*|--out(?:put)?[= ]\s*|--receipt[= ]\s*|--output-dir\s+|"
                    r"\bcurl\b[^|;]*?\s-o\s+|\bLEDGER_HOME=)(?P<target>[^\s;&|)]+)")


def written(line: str) -> list[str]:
    return [m["target"] for m in WRITES.finditer(line)]


def test_the_pattern_sees_each_way_an_example_writes_a_file() -> None:
    assert written("ledger sign x > body.json; ledger export --out esg.csv 2> a.log --receipt r.jsonld; "
                   "curl -sf -o /dev/null -OJ --output-dir /tmp 2>&1; grep -o 'x' a.log >> b; "
                   "LEDGER_HOME=.ledger-a ledger serve") == [
        "body.json", "esg.csv", "a.log", "r.jsonld", "/dev/null", "/tmp", "b", ".ledger-a"]


@pytest.mark.parametrize("line", [line for line in shell_lines() if written(line)])
def test_no_example_writes_into_the_project_folder(line: str) -> None:
    for match in WRITES.finditer(line):
        target = match["target"].strip("\"'")
        assert target == "/dev/null" or target.startswith("/tmp/") or target == "/tmp", line


def test_the_demo_admin_key_is_given_and_is_the_deployers() -> None:
    given = re.findall(r"ADMIN_KEY=(0x[0-9a-fA-F]{64})", README)
    assert given and set(given) == {ANVIL_OPERATOR_KEY}


def test_the_python_examples_factory_key_is_a_demo_factorys() -> None:
    assigned = [line for block in blocks("python") for line in block.splitlines() if line.startswith("FACTORY_KEY =")]
    assert len(assigned) == 1
    scope: dict[str, object] = {}
    exec("from ledger.demo import demo_account\n" + assigned[0], scope)  # the README's own line
    address = Account.from_key(scope["FACTORY_KEY"]).address
    factories = {p.account.address for p in DEMO_PARTICIPANTS if Role.FACTORY in p.roles}
    assert address in factories


def test_a_browser_is_not_promised_a_members_only_report() -> None:
    for paragraph in re.sub(r"^```.*?^```", "", README, flags=re.S | re.M).split("\n\n"):
        if "browser" in paragraph and "/due-diligence/" in paragraph:
            assert "token" in paragraph and "401" in paragraph, paragraph


def test_the_vault_examples_uploader_is_the_demo_participant_it_names() -> None:
    from ledger.demo import demo_account

    given = re.findall(r"^GIN=(0x[0-9a-fA-F]{40})\s+# the Gujarat gin's address", README, flags=re.M)
    assert given == [demo_account("gin-gujarat").address]
