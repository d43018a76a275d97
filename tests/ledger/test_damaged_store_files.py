"""A SQLite store file damaged past its header (one page garbled, the header intact) is found when the store opens
(`PRAGMA quick_check`) and moved aside like an unreadable one; damage found while the store runs raises
`StoreDamagedError` (a 503), never a bare `sqlite3.DatabaseError`. The index, the EPCIS event store and the screening
lists then move the file aside and go on with a fresh one, as on opening; the relayer's outbox is left in place (its
rows are referred to by id while the relayer runs) and says so in the log until the next start."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledger.domain.errors import StoreDamagedError
from ledger.epcis.store import EventStore
from ledger.index import IndexStore
from ledger.regimes import ScreeningLists
from ledger.relay.outbox import Outbox
from tests.damage import garble

#: Per store: how to open it, a b-tree its open-time check never read before (the damage it let through) and a read.
STORES: dict[str, tuple[Callable[[Path], Any], str, Callable[[Any], object]]] = {
    "index": (IndexStore, "inputs", lambda store: store.checkpoint),
    "outbox": (Outbox, "entries_key", lambda store: store.counts()),
    "events": (EventStore, "captures", lambda store: store.job("a-capture")),
    "lists": (ScreeningLists, "entries", lambda store: store.versions("uflpa")),
}


@pytest.mark.parametrize("store", STORES.values(), ids=STORES.keys())
def test_a_store_file_damaged_past_its_header_is_moved_aside_on_opening(store: tuple[Any, ...], tmp_path: Path) -> None:
    open_store, unchecked, read = store
    path = tmp_path / "file.sqlite"
    open_store(path).close()
    garble(path, unchecked)
    damaged = open_store(path)
    try:
        assert damaged.moved_aside is not None and damaged.moved_aside.name.startswith("file.sqlite.unreadable-")
        read(damaged)  # the fresh file answers
    finally:
        damaged.close()


@pytest.mark.parametrize(
    "store", [v for k, v in STORES.items() if k != "outbox"], ids=[k for k in STORES if k != "outbox"]
)
def test_damage_found_while_running_moves_the_file_aside_and_the_store_goes_on(
    store: tuple[Any, ...], tmp_path: Path
) -> None:
    open_store, _, read = store
    path = tmp_path / "file.sqlite"
    running = open_store(path)
    try:
        read(running)
        garble(path)
        with pytest.raises(StoreDamagedError, match="moved aside"):
            read(running)
        assert [p.name for p in tmp_path.glob("file.sqlite.unreadable-*Z")] == [running.moved_aside.name]
        read(running)  # a fresh file from then on
        read(running)
    finally:
        running.close()
    open_store(path).close()  # and the fresh file opens as it is
    assert len(list(tmp_path.glob("file.sqlite.unreadable-*Z"))) == 1


def test_damage_found_in_the_outbox_while_running_is_a_503_and_logged_and_the_file_kept(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "outbox.sqlite"
    outbox = Outbox(path)
    try:
        outbox.counts()
        garble(path)
        with caplog.at_level(logging.ERROR, logger="ledger.sqlite_files"):
            for _ in range(2):  # each request that needs it, not only the first
                with pytest.raises(StoreDamagedError, match="restart the service"):
                    outbox.counts()
        assert [r.getMessage() for r in caplog.records if "outbox.sqlite is damaged" in r.getMessage()], caplog.text
        assert len([r for r in caplog.records if "is damaged" in r.getMessage()]) == 1  # one line, not one a request
        assert not list(tmp_path.glob("outbox.sqlite.unreadable-*Z"))
    finally:
        outbox.close()
    again = Outbox(path)  # the next start moves it aside
    assert again.moved_aside is not None
    again.close()
