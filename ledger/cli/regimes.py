"""`ledger regimes`: the rule packs (`list`), and the screening lists they read (`load-list`, `lists`)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ledger.cli.base import InvocationConsole, command_group
from ledger.domain.errors import ValidationError

if TYPE_CHECKING:
    from ledger.regimes.screening import ListVersion

console = InvocationConsole(soft_wrap=True)


def register_commands(app: typer.Typer) -> None:
    """`ledger regimes list`, `load-list` and `lists`."""
    regimes_app = command_group(help="Due-diligence rule packs per legal regime, and the screening lists they read.")
    regimes_app.command("list")(list_packs)
    regimes_app.command("load-list")(load_list)
    regimes_app.command("lists")(show_lists)
    app.add_typer(regimes_app, name="regimes")


HomeOption = Annotated[
    Path | None, typer.Option(envvar="LEDGER_HOME", help="workspace (lists: <home>/screening/lists.sqlite)")
]


def list_packs() -> None:
    """Every pack with its version and rules (id, severity, article, applies from, what it checks)."""
    from ledger.regimes import packs

    for pack in packs():
        console.print(f"[bold]{pack.regime.value}[/]: {pack.title}, rules {pack.rules_version} ({pack.law})")
        for rule in pack.rules:
            console.print(
                f"  {rule.id:<11} {rule.severity.value:<6} from {rule.applies_from}  {rule.article}: {rule.message}"
            )


def load_list(
    name: Annotated[str, typer.Argument(help="the list: uflpa")],
    file: Annotated[
        Path,
        typer.Argument(
            exists=True,
            dir_okay=False,
            help="CSV with a 'name' column (and optionally aliases, country, address, listed_on, reference)",
        ),
    ],
    list_date: Annotated[str, typer.Option("--date", help="the date the list was published (YYYY-MM-DD)")],
    encoding: Annotated[str | None, typer.Option(help="the file's encoding if not UTF-8 or UTF-16 with a BOM")] = None,
    home: HomeOption = None,
) -> None:
    """Keep a screening list file as the list's next version (the same file and date again: no new version)."""
    from ledger.config import get_settings
    from ledger.workspace import open_lists

    try:
        published = date.fromisoformat(list_date)
    except ValueError:
        raise ValidationError(f"--date must be YYYY-MM-DD, got {list_date!r}", field="date") from None
    lists = open_lists(home or get_settings().home)
    try:
        kept = lists.versions(name)
        replaced = lists.current(name, published)
        version = lists.load(name, file.read_bytes(), published, encoding=encoding, source=file.name)
        later = [v for v in kept if v.list_date > published and lists.current(name, v.list_date) == v]
    finally:
        lists.close()
    console.print(
        f"{version.name} list version {version.version} of {version.list_date}: "
        f"{_entries(version.entries)} (SHA-256 {version.sha256[:16]}…)"
    )
    console.print(_what_changed(version, kept, replaced, later))


def _what_changed(
    version: ListVersion, kept: list[ListVersion], replaced: ListVersion | None, later: list[ListVersion]
) -> str:
    """What loading `version` did to the versions `kept` before: a report uses the newest version published on or
    before its date (`ScreeningLists.current`), so a new file replaces the one in use from its date on, but not a
    version published later (such as the demo's sample list, dated 2026-10-01)."""
    if any(v.version == version.version for v in kept):
        return f"already kept as version {version.version}: nothing changed"
    if not kept:
        return f"the first {version.name} list kept here: reports dated {version.list_date} or later use it"
    first = min(later, key=lambda v: v.list_date) if later else None
    span = (
        f"dated {version.list_date} or later"
        if first is None
        else f"dated {version.list_date} to {first.list_date - timedelta(days=1)}"
    )
    words = [
        f"It replaces {_named(replaced)} in reports {span}." if replaced is not None else f"Reports {span} use it."
    ]
    if first is not None:
        words.append(
            f"{_named(first).capitalize()} is still the one used in reports dated {first.list_date} or "
            "later (a report takes the newest list published on or before its date)."
        )
    return " ".join(words)


def _named(v: ListVersion) -> str:
    return f"version {v.version} (published {v.list_date}: {v.source or 'no source named'})"


def show_lists(name: Annotated[str, typer.Argument(help="the list: uflpa")] = "uflpa", home: HomeOption = None) -> None:
    """The versions of a screening list kept in the workspace."""
    from ledger.config import get_settings
    from ledger.workspace import open_lists

    lists = open_lists(home or get_settings().home)
    try:
        versions = lists.versions(name)
    finally:
        lists.close()
    console.print(f"{name}: {len(versions)} version(s)")
    for v in versions:
        console.print(
            f"  version {v.version} published {v.list_date}: {_entries(v.entries)}, loaded "
            f"{v.loaded_at.isoformat()} from {v.source or '-'}, SHA-256 {v.sha256}"
        )


def _entries(count: int) -> str:
    return f"{count:,} {'entry' if count == 1 else 'entries'}"
