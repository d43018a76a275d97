"""Anvil's state file as the tests that lose blocks on purpose read it."""

from __future__ import annotations

import json
import time
from pathlib import Path


def saved_state(state_file: Path, block: int) -> bytes:
    """The state file's bytes once anvil (which writes it every second) has saved `block` in it, read whole."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            whole = state_file.read_bytes()
            saved = json.loads(whole)["best_block_number"]
            if (int(saved, 16) if isinstance(saved, str) else int(saved)) >= block:
                return whole
        except (OSError, ValueError, KeyError):
            pass  # caught halfway through a write
        time.sleep(0.2)
    raise AssertionError(f"the state file never held block {block}")
