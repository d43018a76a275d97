"""Every SQLite file a service keeps (the index, the relayer's outbox, the EPCIS event store, the screening lists) that
cannot be read is moved aside, kept for inspection, and replaced by an empty one: a broken file never stops the
service (`ledger.sqlite_files.open_database`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.epcis.store import EventStore
from ledger.index import IndexStore
from ledger.regimes import ScreeningLists
from ledger.relay.outbox import Outbox

STORES: dict[str, Callable[[Path], Any]] = {
    "index": IndexStore,
    "outbox": Outbox,
    "events": EventStore,
    "lists": ScreeningLists,
}


@pytest.mark.parametrize("open_store", STORES.values(), ids=STORES.keys())
def test_an_unreadable_store_file_is_moved_aside_and_replaced(
    open_store: Callable[[Path], Any], tmp_path: Path
) -> None:
    path = tmp_path / "store" / "file.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"garbage, not SQLite" * 100)
    store = open_store(path)
    assert store.moved_aside is not None and store.moved_aside.read_bytes().startswith(b"garbage")
    assert store.moved_aside.name.startswith("file.sqlite.unreadable-")
    store.close()
    again = open_store(path)  # the fresh file is kept from now on
    assert again.moved_aside is None
    again.close()
