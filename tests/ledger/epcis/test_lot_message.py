"""A GTIN given without its lot is refused in plain words: what is missing (the lot, or batch, number) and how to give
it, whichever way the GTIN came (a bare GTIN, a Digital Link URI, an element string)."""

from __future__ import annotations

import pytest

from ledger.epcis.keys import GS1KeyError, gtin_and_lot

GTIN = "06931234000105"


@pytest.mark.parametrize("label", [GTIN, f"https://id.gs1.org/01/{GTIN}", f"(01){GTIN}"])
def test_a_label_without_a_lot_says_what_is_missing_and_how_to_give_it(label: str) -> None:
    with pytest.raises(GS1KeyError) as caught:
        gtin_and_lot(label)
    message = str(caught.value)
    assert caught.value.field == "lot"
    assert "has no lot (batch) number" in message and "AI 10" not in message
    assert f"/01/{GTIN}/10/LOT" in message and f"(01){GTIN}(10)LOT" in message
    assert "://" not in message.split("has no lot")[1]  # problem bodies carry no URL of ours
    assert "lot" in message.split("give")[1]  # ... and says to give the lot beside the GTIN


def test_a_lot_given_apart_is_taken() -> None:
    assert gtin_and_lot(GTIN, "HG-DG-25-B-1202") == (GTIN, "HG-DG-25-B-1202")
