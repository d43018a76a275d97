"""The workspace node's state file (anvil's `--state`), and what keeps it usable across any number of restarts.

Two things anvil does with the file would otherwise end a workspace's chain:

- It builds a genesis block at every start, stamped with the time it starts, adds it to the blocks it dumps, and on
  reload keeps whichever block 0 of the file it reads last: the file gains a genesis block per start and from the third
  start on block 0 may be another block. So the genesis time is pinned (`--timestamp`, anvil's option for a
  reproducible genesis hash) to the one the chain was born with, kept in `genesis.json` beside the state file: every
  start builds the very same block 0 (`ledger.chain.node` then sets the clock to now).
- It rewrites the file in place every second (opened with truncation, not written aside and renamed): a `kill -9`
  while it writes leaves a torn file that anvil refuses to load. So a copy of the last file anvil loaded or wrote on a
  clean stop is kept (`state.json.good`) and put back in place of a torn one, which is kept for inspection.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)


def _genesis_blocks(state: dict[str, object]) -> list[dict[str, object]]:
    blocks = state.get("blocks")
    if not isinstance(blocks, list):
        return []
    return [
        block
        for block in blocks
        if isinstance(block, dict)
        and isinstance(block.get("header"), dict)
        and int(str(block["header"].get("number", "-1")), 0) == 0
    ]


def _timestamp(block: dict[str, object]) -> int:
    header = block["header"]
    assert isinstance(header, dict)
    return int(str(header["timestamp"]), 0)


def genesis_timestamp(state_file: Path) -> int | None:
    """The genesis time to start anvil with on `state_file` (its `--timestamp`), None to leave it to anvil.

    A new chain (no state file yet) is born now, and that time is kept in `genesis.json` beside the state file. A
    state file written before the time was kept (it may hold several genesis blocks, one per start) keeps its first
    genesis, the one its block 1 was built on: the others are dropped from the file. A state file that cannot be read
    is left to anvil (which says what is wrong with it)."""
    pin = state_file.with_name("genesis.json")
    if not state_file.exists():
        born = int(time.time())
        pin.write_text(json.dumps({"timestamp": born}) + "\n")
        return born
    try:
        return int(json.loads(pin.read_text())["timestamp"])
    except (OSError, ValueError, KeyError, TypeError):
        pass  # written before genesis times were kept, or damaged: read the state file once
    try:
        state = json.loads(state_file.read_text())
        genesis = sorted(_genesis_blocks(state), key=_timestamp)
    except (OSError, ValueError, TypeError, AttributeError):
        return None
    if not genesis:
        return None
    if len(genesis) > 1:  # keep the first genesis only: anvil would keep whichever it reads last
        assert isinstance(state["blocks"], list)
        state["blocks"] = [block for block in state["blocks"] if block not in genesis[1:]]
        rewritten = state_file.with_name(state_file.name + ".tmp")
        rewritten.write_text(json.dumps(state))
        rewritten.replace(state_file)
    born = _timestamp(genesis[0])
    pin.write_text(json.dumps({"timestamp": born}) + "\n")
    return born


def _good(state_file: Path) -> Path:
    return state_file.with_name(state_file.name + ".good")


def _loading(state_file: Path) -> Path:
    return state_file.with_name(state_file.name + ".loading")


def torn(state_file: Path) -> bool:
    """The file was cut short while anvil wrote it: empty, or not ending with the `}` that closes its JSON object (a
    cheap test, whatever the file's size)."""
    with open(state_file, "rb") as file:
        file.seek(0, 2)
        size = file.tell()
        file.seek(max(0, size - 64))
        return not file.read().rstrip().endswith(b"}")


def restore_if_torn(state_file: Path) -> None:
    """Before anvil loads `state_file`: put the good copy in place of a torn file, and set aside a copy of the file
    about to be loaded (it becomes the good copy once anvil has loaded it, see `loaded`)."""
    if not state_file.exists():
        return
    good = _good(state_file)
    if torn(state_file) and good.exists():
        aside = state_file.with_name(f"{state_file.name}.torn-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}")
        state_file.replace(aside)
        shutil.copyfile(good, state_file)
        log.warning(
            "the node's state file %s was cut short (the node was killed while writing it): moved to %s and "
            "replaced by the copy kept when the node last started or stopped; what was recorded since is "
            "not on the chain",
            state_file.name,
            aside.name,
        )
    shutil.copyfile(state_file, _loading(state_file))


def loaded(state_file: Path) -> None:
    """anvil has loaded the file set aside by `restore_if_torn`: it is the good copy from now on."""
    if _loading(state_file).exists():
        _loading(state_file).replace(_good(state_file))


def keep_good_copy(state_file: Path) -> None:
    """anvil stopped cleanly, its whole state written: keep a copy of it."""
    if state_file.exists() and not torn(state_file):
        shutil.copyfile(state_file, _loading(state_file))
        loaded(state_file)
