"""Damage a SQLite file of a store past its header, as a failing disk or a stray write would."""

from __future__ import annotations

import os
import sqlite3
import time
from pathlib import Path


def garble(path: Path, *names: str) -> None:
    """Overwrite the root page of each table or index in `names` (all of them if none is named) with random bytes, the
    header page and the schema left as they were, after moving everything in the write-ahead log into the file; then
    write the header as another connection would, so that a connection open on the file reads its pages again."""
    db = sqlite3.connect(path, timeout=30)
    try:
        deadline = time.monotonic() + 30
        while db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] != 0:  # busy: a reader in another process
            assert time.monotonic() < deadline, "the write-ahead log could not be checkpointed"
            time.sleep(0.1)
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        roots = [
            root
            for name, root in db.execute("SELECT name, rootpage FROM sqlite_master WHERE rootpage > 1")
            if not names or name in names
        ]
    finally:
        db.close()
    assert roots and (not names or len(roots) == len(names))
    with open(path, "r+b") as file:
        for root in roots:
            file.seek((root - 1) * page_size)
            file.write(os.urandom(page_size))
    poke = sqlite3.connect(path, isolation_level=None)
    poke.execute("PRAGMA user_version = 7")
    poke.close()
