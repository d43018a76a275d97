"""Event commitments: a participant commits the Merkle root of the CBV 2.0 hashes of the EPCIS events it captured
(`commitEvents`). The function validates its input and returns the ledger calldata; `CHECKS` re-checks calldata
signed anywhere else by the same rules."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ledger.chain.calls import encode_call
from ledger.domain import rules
from ledger.domain import validation as v


def commit_events(root: str, count: int, uri: str) -> str:
    """`commitEvents(root, count, uri)`: a non-zero root over 1 to 2**32-1 event hashes, a URI of at most
    `rules.MAX_REASON_BYTES` bytes (the contract's bound) naming what was captured."""
    raw = v.merkle_commitment(root, count, "events")
    v.text(uri, "uri", max_bytes=rules.MAX_REASON_BYTES, required=False)
    return encode_call("commitEvents", raw, count, uri)


def _check_commit(args: Mapping[str, Any], sender: str) -> None:
    commit_events(args["root"], int(args["count"]), args["uri"])


CHECKS: dict[str, Callable[[Mapping[str, Any], str], None]] = {"commitEvents": _check_commit}
