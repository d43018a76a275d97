"""`ledger serve --demo --demo-chains ...` records the chosen demo chains once, and refuses an unknown one."""

from __future__ import annotations

import pytest

from ledger.client import Ledger
from ledger.domain.errors import ValidationError
from ledger.workspace import demo_batches, seed_demo_once


def test_the_chosen_demo_chains_are_recorded_once(embedded_ledger: Ledger) -> None:
    assert seed_demo_once(embedded_ledger, chains=["apparel"]) is True
    assert seed_demo_once(embedded_ledger, chains=["apparel"]) is False  # already recorded
    assert embedded_ledger.batch(demo_batches(embedded_ledger, ["apparel"])["passing (garments-a)"]).lot == (
        "HG-DG-25-A-1201"
    )
    assert set(demo_batches(embedded_ledger, ["apparel"])) == {"passing (garments-a)", "flagged (garments-b)"}
    with pytest.raises(ValidationError, match="unknown demo chain 'textiles'"):
        seed_demo_once(embedded_ledger, chains=["apparel", "textiles"])
