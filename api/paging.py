"""Keyset pages over the index: the page size a caller may ask for, and one page of what the caller may see, read
with a bounded scan (a filter that matches little costs at most `SCAN_PAGES` pages' worth of rows, then answers the
page so far with a cursor to go on)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from api.schemas.common import Page, encode_cursor
from api.settings import ApiSettings
from ledger import ValidationError

#: Pages' worth of rows one request may read past to fill a filtered page before answering with a cursor.
SCAN_PAGES = 10

Position = tuple[int, int]  # (block number, log index): where a row stands in the index's order
Row = TypeVar("Row")
Item = TypeVar("Item")


def page_size(limit: int | None, settings: ApiSettings) -> int:
    size = limit or settings.default_page_size
    if size > settings.max_page_size:
        raise ValidationError(f"limit must be at most {settings.max_page_size}", field="limit")
    return size


def filtered_page(
    fetch: Callable[[Position | None, int], Sequence[tuple[Row, Position]]],
    keep: Callable[[Row], Item | None],
    size: int,
    after: Position | None,
) -> Page[Item]:
    """Up to `size` items: the rows `fetch(after, limit)` reads past `after` (a decoded cursor), as `keep` answers
    them (None: not for this caller)."""
    items: list[Item] = []
    last: Position | None = None
    more = False
    budget = SCAN_PAGES * (size + 1)
    while True:
        rows = fetch(after, size + 1)
        for row, position in rows:
            budget -= 1
            item = keep(row)
            if item is None:
                last = after = position
                continue
            if len(items) == size:
                more = True
                break
            items.append(item)
            last = after = position
        if more or len(rows) <= size:
            break
        if budget <= 0:
            more = True
            break
    return Page(items=items, next_cursor=encode_cursor(last) if more and last else None)
