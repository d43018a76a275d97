"""Screening lists: loaded from CSV with their date, validated, kept per version, matched exactly and fuzzily."""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from ledger.demo.documents import SAMPLE_UFLPA_LIST, SAMPLE_UFLPA_LIST_DATE
from ledger.domain.errors import ValidationError
from ledger.regimes.screening import ScreeningLists, normalise, parse_csv

LIST = (
    "name,aliases,country\nXinjiang Example Cotton Co Ltd,新疆示例棉业有限公司;XJ Example Cotton,CN\n"
    "Hoshine Example Silicon Industry (Shanshan) Co.,,CN\n"
)


@pytest.fixture
def lists(tmp_path: Path) -> Iterator[ScreeningLists]:
    found = ScreeningLists(tmp_path / "lists.sqlite")
    yield found
    found.close()


def test_a_list_is_kept_per_version_and_a_date_picks_the_version_in_force(lists: ScreeningLists) -> None:
    first = lists.load("uflpa", LIST.encode(), date(2025, 1, 15))
    second = lists.load("UFLPA", (LIST + "Another Entity Ltd,,CN\n").encode(), date(2025, 8, 19))
    assert (first.version, first.entries, second.version, second.entries) == (1, 2, 2, 3)
    assert lists.current("uflpa", date(2025, 1, 14)) is None
    assert lists.current("uflpa", date(2025, 3, 1)) == first
    assert lists.current("uflpa", date(2026, 1, 1)) == second
    assert [v.version for v in lists.versions("uflpa")] == [1, 2]


def test_loading_the_same_file_and_date_again_adds_no_version(lists: ScreeningLists) -> None:
    assert lists.load("uflpa", LIST.encode(), date(2025, 1, 15)) == lists.load(
        "uflpa", LIST.encode(), date(2025, 1, 15)
    )
    assert len(lists.versions("uflpa")) == 1


def test_versions_survive_reopening_the_workspace(tmp_path: Path) -> None:
    ScreeningLists(tmp_path / "l.sqlite").load("uflpa", LIST.encode(), date(2025, 1, 15))
    again = ScreeningLists(tmp_path / "l.sqlite")
    assert again.current("uflpa", date(2025, 2, 1)) is not None
    assert again.entries("uflpa", 1)[0].name == "Xinjiang Example Cotton Co Ltd"


@pytest.mark.parametrize("content", [b"entity,country\nSome Co,CN\n", b"aliases;country\nx;y\n", b""])
def test_a_list_with_missing_columns_is_refused(lists: ScreeningLists, content: bytes) -> None:
    with pytest.raises(ValidationError, match=r"lacks the column|empty"):
        lists.load("uflpa", content, date(2025, 1, 15))
    assert lists.versions("uflpa") == []


def test_a_list_in_an_unknown_encoding_is_refused_unless_the_encoding_is_named(lists: ScreeningLists) -> None:
    latin = "name,country\nSociété Générale de Coton,FR\n".encode("latin-1")
    with pytest.raises(ValidationError, match="unknown encoding") as refused:
        lists.load("uflpa", latin, date(2025, 1, 15))
    assert refused.value.field == "encoding"
    loaded = lists.load("uflpa", latin, date(2025, 1, 15), encoding="latin-1")
    assert lists.entries("uflpa", loaded.version)[0].name == "Société Générale de Coton"
    with pytest.raises(ValidationError, match="unknown encoding 'klingon'"):
        lists.load("uflpa", latin, date(2025, 1, 15), encoding="klingon")


def test_utf16_with_a_byte_order_mark_and_utf8_with_one_load(lists: ScreeningLists) -> None:
    assert lists.load("uflpa", LIST.encode("utf-16"), date(2025, 1, 15)).entries == 2
    assert lists.load("uflpa", codecs.BOM_UTF8 + LIST.encode(), date(2025, 1, 16)).entries == 2


def test_an_unknown_list_and_an_empty_name_are_refused(lists: ScreeningLists) -> None:
    with pytest.raises(ValidationError, match="unknown screening list"):
        lists.load("ofac", LIST.encode(), date(2025, 1, 15))
    with pytest.raises(ValidationError, match="line 3: the name is empty"):
        parse_csv(b"name,country\nA Co,CN\n,CN\n")


def test_exact_matches_after_normalising_and_fuzzy_matches_with_their_score(lists: ScreeningLists) -> None:
    used = lists.load("uflpa", LIST.encode(), date(2025, 1, 15))
    matches = lists.screen(
        used,
        [
            "XINJIANG EXAMPLE COTTON COMPANY LIMITED",
            "新疆示例棉业有限公司",
            "Hoshine Example Silicon Industry Shanshan Company",
            "Xinjiang Exampel Coton",
            "Nordic Outdoor Brands AB",
        ],
    )
    by_name = {m.screened: m for m in matches}
    assert by_name["XINJIANG EXAMPLE COTTON COMPANY LIMITED"].exact
    assert by_name["新疆示例棉业有限公司"].exact and by_name["新疆示例棉业有限公司"].matched == "新疆示例棉业有限公司"
    assert by_name["Hoshine Example Silicon Industry Shanshan Company"].exact  # punctuation and legal forms dropped
    fuzzy = by_name["Xinjiang Exampel Coton"]
    assert not fuzzy.exact and 90 <= fuzzy.score < 100
    assert "Nordic Outdoor Brands AB" not in by_name


def test_normalising_drops_case_punctuation_and_legal_forms() -> None:
    assert normalise("Pearl River Weaving & Dyeing Co., Ltd.") == "pearl river weaving and dyeing"
    assert normalise("Ｇｒｏｕｐ") == "group"  # NFKC folds full-width letters; a name of legal words is kept whole


def test_the_sample_list_loads() -> None:
    loaded = ScreeningLists().load("uflpa", SAMPLE_UFLPA_LIST.read_bytes(), SAMPLE_UFLPA_LIST_DATE)
    assert loaded.entries >= 10 and loaded.list_date == SAMPLE_UFLPA_LIST_DATE


def test_the_matchers_kept_are_bounded_by_their_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every version screened against keeps a matcher; together they weigh at most MATCHER_ENTRIES entries (plus one
    per version), the least recently used built again when needed."""
    from ledger.regimes import screening

    monkeypatch.setattr(screening, "MATCHER_ENTRIES", 8)
    lists = ScreeningLists(tmp_path / "lists.sqlite")
    try:
        versions = [lists.load("uflpa", (LIST + f"Entity {n} Ltd,,CN\n").encode(), date(2025, 1, n)) for n in (1, 2, 3)]
        for version in versions:  # three versions of three entries: 12 by weight, over the bound of 8
            assert lists.screen(version, ["Xinjiang Example Cotton Co Ltd"])
        assert lists._cache.weight <= 8
        assert lists.screen(versions[0], ["Xinjiang Example Cotton Co Ltd"])  # the one dropped, built again
    finally:
        lists.close()
