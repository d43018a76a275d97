"""What a newcomer follows in the README and in docs/ works as written: the keys it uses are given (and are the demo's
public test keys), a browser is not promised a members-only page, no example leaves files in the project folder, and
every relative link leads to a file (and heading) that exists."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from eth_account import Account

from ledger.chain.connection import ANVIL_OPERATOR_KEY
from ledger.demo.apparel import DEMO_PARTICIPANTS
from ledger.domain.types import Role

ROOT = Path(__file__).resolve().parents[1]
#: The README and every markdown file under docs/: the same rules hold for all of them.
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
TEXTS = {page: page.read_text() for page in PAGES}
ALL_TEXT = "\n\n".join(TEXTS.values())


def blocks(language: str) -> list[str]:
    return [
        block for text in TEXTS.values() for block in re.findall(rf"^```{language}\n(.*?)^```", text, flags=re.S | re.M)
    ]


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
WRITES = re.compile(
    r"(?:(?<![<\d&])\d?>{1,2}(?!&)\s*|--out(?:put)?[= ]\s*|--receipt[= ]\s*|--output-dir\s+|"
    r"\bcurl\b[^|;]*?\s-o\s+|\bLEDGER_HOME=)(?P<target>[^\s;&|)]+)"
)


def written(line: str) -> list[str]:
    return [m["target"] for m in WRITES.finditer(line)]


def test_the_pattern_sees_each_way_an_example_writes_a_file() -> None:
    assert written(
        "ledger sign x > body.json; ledger export --out esg.csv 2> a.log --receipt r.jsonld; "
        "curl -sf -o /dev/null -OJ --output-dir /tmp 2>&1; grep -o 'x' a.log >> b; "
        "LEDGER_HOME=.ledger-a ledger serve"
    ) == ["body.json", "esg.csv", "a.log", "r.jsonld", "/dev/null", "/tmp", "b", ".ledger-a"]


@pytest.mark.parametrize("line", [line for line in shell_lines() if written(line)])
def test_no_example_writes_into_the_project_folder(line: str) -> None:
    for match in WRITES.finditer(line):
        target = match["target"].strip("\"'")
        assert target == "/dev/null" or target.startswith("/tmp/") or target == "/tmp", line


def test_the_demo_admin_key_is_given_and_is_the_deployers() -> None:
    given = re.findall(r"ADMIN_KEY=(0x[0-9a-fA-F]{64})", ALL_TEXT)
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
    for paragraph in re.sub(r"^```.*?^```", "", ALL_TEXT, flags=re.S | re.M).split("\n\n"):
        if "browser" in paragraph and "/due-diligence/" in paragraph:
            assert "token" in paragraph and "401" in paragraph, paragraph


def test_the_vault_examples_uploader_is_the_demo_participant_it_names() -> None:
    from ledger.demo.apparel import demo_account

    given = re.findall(r"^GIN=(0x[0-9a-fA-F]{40})\s+# the Gujarat gin's address", ALL_TEXT, flags=re.M)
    assert given == [demo_account("gin-gujarat").address]


#: A markdown link or image: [text](target) (an optional "title" after the target).
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?(?P<target>[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def without_blocks(text: str) -> str:
    return re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)


def prose(text: str) -> str:
    """The text without its code blocks and inline code (a `[x](y)` there is no link)."""
    return re.sub(r"`[^`\n]*`", "", without_blocks(text))


def anchors(text: str) -> set[str]:
    """The anchors of a page's headings, as GitHub makes them (lower case, punctuation dropped, spaces as hyphens;
    a repeated heading gets -1, -2, ...)."""
    seen: dict[str, int] = {}
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*#*$", without_blocks(text), flags=re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        found.add(f"{slug}-{seen[slug]}" if slug in seen else slug)
        seen[slug] = seen.get(slug, 0) + 1
    return found


def relative_links(page: Path) -> list[str]:
    return [
        m["target"]
        for m in LINK.finditer(prose(TEXTS[page]))
        if not re.match(r"[a-z][a-z0-9+.-]*:", m["target"], flags=re.I)
    ]


def test_the_link_pattern_and_the_anchors_are_githubs() -> None:
    text = 'See [a](docs/api.md), [b](#c-d) and ![e](f.png "t"), not `[g](h.md)` nor [i](https://x.org/j).'
    assert [m["target"] for m in LINK.finditer(prose(text))] == ["docs/api.md", "#c-d", "f.png", "https://x.org/j"]
    assert anchors(
        "# A buyer's due diligence\n## Mapping: EPCIS -> ledger\n### Capacity (by `bench.py`)\n## X\n## X"
    ) == {"a-buyers-due-diligence", "mapping-epcis---ledger", "capacity-by-benchpy", "x", "x-1"}


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_leads_to_a_file_that_exists(page: Path) -> None:
    links = relative_links(page)
    for link in links:
        path, _, anchor = link.partition("#")
        target = (page.parent / unquote(path)).resolve() if path else page
        assert target.exists(), f"{page.relative_to(ROOT)}: {link} names no file"
        assert target.is_relative_to(ROOT), f"{page.relative_to(ROOT)}: {link} leaves the project"
        if anchor and target.suffix == ".md":
            assert anchor in anchors(target.read_text()), f"{page.relative_to(ROOT)}: {link} names no heading"


def test_the_readme_links_every_doc() -> None:
    linked = {(ROOT / unquote(link.partition("#")[0])).resolve() for link in relative_links(ROOT / "README.md")}
    assert not set(PAGES[1:]) - linked, "a doc under docs/ the README's table does not list"
