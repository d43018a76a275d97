"""How each contract event lands in the index's tables: one function per event, applied inside the store's window
transaction. Rows are append-only; mutable state (holder, remaining, suspension, revocation) is derived at read time.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from operator import call, itemgetter
from typing import Any

from ledger.chain.codec import bytes_to_text, gtin_from_int, hex32
from ledger.domain.roles import ROLE_IDS
from ledger.domain.types import Role
from ledger.index.dialect import insert

Args = dict[str, Any]
Meta = dict[str, Any]  # tx_hash, block_number, log_index, block_hash, timestamp

#: The name under which the syncer hands over a log it could not decode (args: event, error, raw, batchId).
UNREADABLE = ""
PARTICIPANT_EVENTS = frozenset(
    {"ParticipantRegistered", "SiteAdded", "RoleGranted", "RoleRevoked", "ParticipantStatusChanged"}
)
DISCLOSURE_EVENTS = frozenset({"DisclosurePublished", "DisclosureAttested", "AttestationRevoked"})


#: The aggregates of the read model: what an event changes, and what a cache holds (see `ledger.index.caches`).
BATCHES, PARTICIPANTS, DISCLOSURES, ANCHORS = "batches", "participants", "disclosures", "anchors"


@dataclass
class Changes:
    """What a window of events changed, so the caches drop exactly the reads that went stale."""

    touched: set[str] = field(default_factory=set)  # batch ids whose reads changed
    new_edges: list[tuple[str, str, int]] = field(default_factory=list)  # (output, input, quantity)
    aggregates: set[str] = field(default_factory=set)  # the aggregates the window's events changed

    def merge(self, other: Changes) -> None:
        self.touched |= other.touched
        self.new_edges += other.new_edges
        self.aggregates |= other.aggregates


#: The stored value of each field of a recorded batch (the contract's struct): column -> (struct field, conversion).
#: The batches table's columns are these, between the batch's keys and its emissions and chain position.
BATCH_RECORD_COLUMNS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "gtin": ("gtin", gtin_from_int),
    "lot": ("lot", bytes_to_text),
    "hs_code": ("hsCode", lambda value: str(value).zfill(6)),
    "quantity": ("quantity", str),
    "unit": ("unit", bytes_to_text),
    "facility": ("facility", lambda value: str(value).zfill(13)),
    "produced_at": ("producedAt", str),
}
#: The record's members stored otherwise than in a column of their own (the codec's `BATCH_FIELDS` names every member;
#: a test checks the two maps together cover it).
BATCH_RECORD_ELSEWHERE: dict[str, str] = {
    "processEmissions": "batches.emissions",
    "emissionsReported": "batches.emissions (NULL when not reported)",
    "inputs": "inputs",
    "documents": "documents",
}
POSITION = ("tx_hash", "block_number", "log_index")  # where on chain a row's event is
#: Each table's columns, named: every insert names them (a table that gains a column breaks no insert by position).
COLUMNS: dict[str, tuple[str, ...]] = {
    "participants": (
        "address",
        "idx",
        "legal_name",
        "country",
        "organisation_id",
        "profile_hash",
        "party_gln",
        *POSITION,
    ),
    "sites": ("gln", "address", "subdivision", "block_number"),
    "roles": ("address", "role", "granted", "block_number", "log_index"),
    "statuses": ("address", "suspended", "reason", *POSITION),
    "batches": ("id", "producer", *BATCH_RECORD_COLUMNS, "emissions", *POSITION),
    "inputs": ("batch_id", "input_id", "quantity", "position", "block_number"),
    "documents": ("batch_id", "hash", "kind", "position", "block_number"),
    "custody": ("batch_id", "from_address", "to_address", "remaining", *POSITION),
    "flags": ("batch_id", "kind", "reason", *POSITION),
    "anchors": ("root", "producer", "count", "uri", *POSITION),
    "anchor_claims": ("batch_id", "root", "block_number", "log_index"),
    "event_roots": ("root", "committer", "count", "uri", *POSITION),
    "disclosure_versions": (
        "disclosure_id",
        "version",
        "participant",
        "period",
        "framework",
        "metrics",
        "document_hash",
        "uri",
        "supersedes",
        "reason",
        "content_hash",
        "is_public",
        *POSITION,
    ),
    "attestations": ("disclosure_id", "version", "auditor", "level", "opinion", "report_hash", *POSITION),
    "revocations": ("disclosure_id", "version", "auditor", "reason", *POSITION),
}
INSERT = {table: insert(table, columns) for table, columns in COLUMNS.items()}


_at: Callable[[Meta], tuple[Any, Any, Any]] = itemgetter(*POSITION)  # an event's position, in POSITION's order
_record_fields = itemgetter(*(name for name, _ in BATCH_RECORD_COLUMNS.values()))
_record_conversions = tuple(convert for _, convert in BATCH_RECORD_COLUMNS.values())


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
        INSERT["participants"],
        (
            a["account"],
            a["index"],
            p["legalName"],
            bytes_to_text(p["country"]),
            organisation,
            hex32(p["profileHash"]),
            str(p["partyGln"]).zfill(13) if p["partyGln"] else None,
            *_at(m),
        ),
    )
    for site in p["sites"]:
        db.execute(
            INSERT["sites"],
            (str(site["gln"]).zfill(13), a["account"], bytes_to_text(site["subdivision"]), m["block_number"]),
        )


def site_added(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(
        INSERT["sites"], (str(a["gln"]).zfill(13), a["account"], bytes_to_text(a["subdivision"]), m["block_number"])
    )


def _role(db: sqlite3.Connection, a: Args, m: Meta, *, granted: bool) -> None:
    role = role_names().get(hex32(a["role"]), hex32(a["role"]))
    db.execute(INSERT["roles"], (a["account"], str(role), int(granted), m["block_number"], m["log_index"]))


def role_granted(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    _role(db, a, m, granted=True)


def role_revoked(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    _role(db, a, m, granted=False)


def participant_status_changed(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(INSERT["statuses"], (a["account"], int(a["suspended"]), a["reason"], *_at(m)))


def batch_recorded(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    r = a["record"]
    batch_id = hex32(a["batchId"])
    record = map(call, _record_conversions, _record_fields(r))
    emissions = str(r["processEmissions"]) if r["emissionsReported"] else None
    db.execute(INSERT["batches"], (batch_id, a["producer"], *record, emissions, *_at(m)))
    inputs = [
        (batch_id, hex32(u["batchId"]), str(u["quantity"]), i, m["block_number"]) for i, u in enumerate(r["inputs"])
    ]
    db.executemany(INSERT["inputs"], inputs)
    changes.touched.add(batch_id)
    for _, input_id, quantity, _, _ in inputs:
        changes.touched.add(input_id)  # its remaining quantity changed
        changes.new_edges.append((batch_id, input_id, int(quantity)))
    documents = [(batch_id, hex32(d["hash"]), d["kind"], i, m["block_number"]) for i, d in enumerate(r["documents"])]
    db.executemany(INSERT["documents"], documents)


def custody_transferred(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute(INSERT["custody"], (hex32(a["batchId"]), a["from"], a["to"], str(a["remaining"]), *_at(m)))
    changes.touched.add(hex32(a["batchId"]))


def batch_flagged(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute(INSERT["flags"], (hex32(a["batchId"]), a["kind"], a["reason"], *_at(m)))
    changes.touched.add(hex32(a["batchId"]))


def batches_anchored(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(INSERT["anchors"], (hex32(a["root"]), a["producer"], a["count"], a["uri"], *_at(m)))


def anchored_batch_claimed(db: sqlite3.Connection, a: Args, m: Meta, changes: Changes) -> None:
    db.execute(INSERT["anchor_claims"], (hex32(a["batchId"]), hex32(a["root"]), m["block_number"], m["log_index"]))
    changes.touched.add(hex32(a["batchId"]))


def disclosure_published(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    disclosure_id = hex32(a["disclosureId"])
    period, framework = bytes_to_text(a["period"]), bytes_to_text(a["framework"])
    if a["version"] > 1:  # amendments carry no period/framework: they are those of version 1
        first = db.execute(
            "SELECT period, framework FROM disclosure_versions WHERE disclosure_id = ? AND version = 1",
            (disclosure_id,),
        ).fetchone()
        period, framework = first["period"], first["framework"]
    metrics = [
        [bytes_to_text(x["code"]), str(x["value"]), x["decimals"], bytes_to_text(x["unit"])] for x in a["metrics"]
    ]
    db.execute(
        INSERT["disclosure_versions"],
        (
            disclosure_id,
            a["version"],
            a["participant"],
            period,
            framework,
            json.dumps(metrics),
            hex32(a["documentHash"]),
            a["uri"],
            a["supersedes"],
            a["reason"],
            hex32(a["contentHash"]),
            int(a["isPublic"]),
            *_at(m),
        ),
    )


def events_committed(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(INSERT["event_roots"], (hex32(a["root"]), a["committer"], a["count"], a["uri"], *_at(m)))


def disclosure_attested(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(
        INSERT["attestations"],
        (
            hex32(a["disclosureId"]),
            a["version"],
            a["auditor"],
            a["level"],
            a["opinion"],
            hex32(a["reportHash"]),
            *_at(m),
        ),
    )


def attestation_revoked(db: sqlite3.Connection, a: Args, m: Meta, _: Changes) -> None:
    db.execute(INSERT["revocations"], (hex32(a["disclosureId"]), a["version"], a["auditor"], a["reason"], *_at(m)))


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

#: The aggregate each event changes: the block applier drops the caches of the aggregates a window touched.
AGGREGATES: dict[str, str] = {
    **dict.fromkeys(PARTICIPANT_EVENTS, PARTICIPANTS),
    **dict.fromkeys(("BatchRecorded", "CustodyTransferred", "BatchFlagged", "AnchoredBatchClaimed"), BATCHES),
    **dict.fromkeys(("BatchesAnchored", "EventsCommitted"), ANCHORS),
    **dict.fromkeys(DISCLOSURE_EVENTS, DISCLOSURES),
}
