"""How each contract event lands in the index's tables: one function per event, applied inside the store's window
transaction. Rows are append-only; mutable state (holder, remaining, suspension, revocation) is derived at read time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from ledger.codec import bytes_to_text, gtin_from_int, hex32
from ledger.roles import ROLE_IDS
from ledger.types import Role

Args = dict[str, Any]
Meta = dict[str, Any]  # tx_hash, block_number, log_index, block_hash, timestamp

#: The name under which the syncer hands over a log it could not decode (args: event, error, raw, batchId).
UNREADABLE = ""
PARTICIPANT_EVENTS = frozenset({"ParticipantRegistered", "SiteAdded", "RoleGranted", "RoleRevoked",
                                "ParticipantStatusChanged"})
DISCLOSURE_EVENTS = frozenset({"DisclosurePublished", "DisclosureAttested", "AttestationRevoked"})


@dataclass
class Changes:
    """What a window of events changed, so the store can drop exactly the cached reads that went stale."""

    touched: set[str] = field(default_factory=set)  # batch ids whose reads changed
    new_edges: list[tuple[str, str, int]] = field(default_factory=list)  # (output, input, quantity)


Handler = Callable[[sqlite3.Connection, Args, Meta, Changes], None]


def batch_id_in(args: Args) -> str | None:
    """The batch an event is about, if any (as 0x-hex)."""
    raw = args.get("batchId")
    if isinstance(raw, bytes):
        return hex32(raw)
    return raw.lower() if isinstance(raw, str) else None


@cache
def role_names() -> dict[str, Role]:
    return {hex32(role_id): role for role, role_id in ROLE_IDS.items()}


def participant_registered(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    p = a["profile"]
    organisation = hex32(p["organisationId"]) if any(p["organisationId"]) else None
    db.execute(
        "INSERT INTO participants VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (a["account"], a["index"], p["legalName"], bytes_to_text(p["country"]), organisation,
         hex32(p["profileHash"]), str(p["partyGln"]).zfill(13) if p["partyGln"] else None, m["tx_hash"],
         m["block_number"], m["log_index"]),
    )
    for site in p["sites"]:
        db.execute("INSERT INTO sites VALUES (?, ?, ?, ?)",
                   (str(site["gln"]).zfill(13), a["account"], bytes_to_text(site["subdivision"]), m["block_number"]))


def site_added(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO sites VALUES (?, ?, ?, ?)",
               (str(a["gln"]).zfill(13), a["account"], bytes_to_text(a["subdivision"]), m["block_number"]))


def _role(db: sqlite3.Connection, a: Args, m: Meta, *, granted: bool) -> None:
    role = role_names().get(hex32(a["role"]), hex32(a["role"]))
    db.execute("INSERT INTO roles VALUES (?, ?, ?, ?, ?)",
               (a["account"], str(role), int(granted), m["block_number"], m["log_index"]))


def role_granted(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    _role(db, a, m, granted=True)


def role_revoked(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    _role(db, a, m, granted=False)


def participant_status_changed(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO statuses VALUES (?, ?, ?, ?, ?, ?)",
               (a["account"], int(a["suspended"]), a["reason"], m["tx_hash"], m["block_number"], m["log_index"]))


def batch_recorded(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    r = a["record"]
    batch_id = hex32(a["batchId"])
    db.execute(
        "INSERT INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (batch_id, a["producer"], gtin_from_int(r["gtin"]), bytes_to_text(r["lot"]), str(r["hsCode"]).zfill(6),
         str(r["quantity"]), bytes_to_text(r["unit"]), str(r["facility"]).zfill(13), str(r["producedAt"]),
         str(r["processEmissions"]) if r["emissionsReported"] else None, m["tx_hash"], m["block_number"],
         m["log_index"]),
    )
    inputs = [(batch_id, hex32(u["batchId"]), str(u["quantity"]), i, m["block_number"])
              for i, u in enumerate(r["inputs"])]
    db.executemany("INSERT INTO inputs VALUES (?, ?, ?, ?, ?)", inputs)
    changes.touched.add(batch_id)
    for _, input_id, quantity, _, _ in inputs:
        changes.touched.add(input_id)  # its remaining quantity changed
        changes.new_edges.append((batch_id, input_id, int(quantity)))
    db.executemany(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?)",
        [(batch_id, hex32(d["hash"]), d["kind"], i, m["block_number"]) for i, d in enumerate(r["documents"])],
    )


def custody_transferred(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute("INSERT INTO custody VALUES (?, ?, ?, ?, ?, ?, ?)",
               (hex32(a["batchId"]), a["from"], a["to"], str(a["remaining"]), m["tx_hash"], m["block_number"],
                m["log_index"]))
    changes.touched.add(hex32(a["batchId"]))


def batch_flagged(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute("INSERT INTO flags VALUES (?, ?, ?, ?, ?, ?)",
               (hex32(a["batchId"]), a["kind"], a["reason"], m["tx_hash"], m["block_number"], m["log_index"]))
    changes.touched.add(hex32(a["batchId"]))


def batches_anchored(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO anchors VALUES (?, ?, ?, ?, ?, ?, ?)",
               (hex32(a["root"]), a["producer"], a["count"], a["uri"], m["tx_hash"], m["block_number"],
                m["log_index"]))


def anchored_batch_claimed(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute("INSERT INTO anchor_claims VALUES (?, ?, ?, ?)",
               (hex32(a["batchId"]), hex32(a["root"]), m["block_number"], m["log_index"]))
    changes.touched.add(hex32(a["batchId"]))


def disclosure_published(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    disclosure_id = hex32(a["disclosureId"])
    period, framework = bytes_to_text(a["period"]), bytes_to_text(a["framework"])
    if a["version"] > 1:  # amendments carry no period/framework: they are those of version 1
        first = db.execute("SELECT period, framework FROM disclosure_versions WHERE disclosure_id = ? "
                           "AND version = 1", (disclosure_id,)).fetchone()
        period, framework = first["period"], first["framework"]
    metrics = [[bytes_to_text(x["code"]), str(x["value"]), x["decimals"], bytes_to_text(x["unit"])]
               for x in a["metrics"]]
    db.execute(
        "INSERT INTO disclosure_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (disclosure_id, a["version"], a["participant"], period, framework, json.dumps(metrics),
         hex32(a["documentHash"]), a["uri"], a["supersedes"], a["reason"], hex32(a["contentHash"]),
         int(a["isPublic"]), m["tx_hash"], m["block_number"], m["log_index"]),
    )


def events_committed(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO event_roots VALUES (?, ?, ?, ?, ?, ?, ?)",
               (hex32(a["root"]), a["committer"], a["count"], a["uri"], m["tx_hash"], m["block_number"],
                m["log_index"]))


def disclosure_attested(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO attestations VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
               (hex32(a["disclosureId"]), a["version"], a["auditor"], a["level"], a["opinion"],
                hex32(a["reportHash"]), m["tx_hash"], m["block_number"], m["log_index"]))


def attestation_revoked(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute("INSERT INTO revocations VALUES (?, ?, ?, ?, ?, ?, ?)",
               (hex32(a["disclosureId"]), a["version"], a["auditor"], a["reason"], m["tx_hash"],
                m["block_number"], m["log_index"]))


HANDLERS: dict[str, Handler] = {
    "ParticipantRegistered": participant_registered,
    "SiteAdded": site_added,
    "RoleGranted": role_granted,
    "RoleRevoked": role_revoked,
    "ParticipantStatusChanged": participant_status_changed,
    "BatchRecorded": batch_recorded,
    "CustodyTransferred": custody_transferred,
    "BatchFlagged": batch_flagged,
    "BatchesAnchored": batches_anchored,
    "AnchoredBatchClaimed": anchored_batch_claimed,
    "EventsCommitted": events_committed,
    "DisclosurePublished": disclosure_published,
    "DisclosureAttested": disclosure_attested,
    "AttestationRevoked": attestation_revoked,
}
