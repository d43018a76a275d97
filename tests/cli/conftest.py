"""CLI fixtures: the export commands pointed at the demo fixture's chain."""

from __future__ import annotations

import pytest

from ledger.cli import export as export_cli
from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.index import IndexStore


@pytest.fixture
def on_demo_chain(demo: tuple[Ledger, DemoWorld], monkeypatch: pytest.MonkeyPatch) -> Ledger:
    """The export commands read the demo fixture's chain (a real anvil node) instead of the workspace's node."""
    ledger, _ = demo
    monkeypatch.setattr(
        export_cli, "open_ledger", lambda _url: Ledger(ledger.chain, ledger.deployment, IndexStore(":memory:"))
    )
    monkeypatch.setattr(export_cli, "open_chain", lambda _url: ledger.chain)
    monkeypatch.setenv("COLUMNS", "200")
    return ledger
