"""Documents parsed for the rule packs are kept across reports within a memory budget, whatever members cite."""

from __future__ import annotations

from ledger.lru import WeightedLru
from ledger.regimes import context


def test_parsed_documents_kept_across_reports_weigh_at_most_the_budget() -> None:
    kept: WeightedLru[tuple[str, str], tuple[object | None, str | None]] = WeightedLru(1_000)
    for n in range(50):
        assert context._parsed(f"{n:064x}", "size", len, b"x" * 60, kept) == (60, None)
    assert kept.weight <= 1_000
    assert context._parsed("f" * 64, "size", len, b"y" * 100, kept) == (100, None)  # over a sixteenth: parsed, not kept
    assert ("f" * 64, "size") not in kept
