"""Reads of the disclosures aggregate (versions, attestations and their revocations), and the records that cite a
document by its hash."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ledger.chain.codec import from_scaled
from ledger.domain.types import (
    Address,
    AssuranceLevel,
    Attestation,
    Citation,
    CitationKind,
    Disclosure,
    DisclosureId,
    DisclosureVersion,
    DocumentKind,
    Hash32,
    MetricValue,
    Opinion,
)
from ledger.index.base import SqlIndex
from ledger.index.batches import DOCUMENT_KINDS

LEVELS = list(AssuranceLevel)
OPINIONS = list(Opinion)


class Disclosures(SqlIndex):
    """The disclosures aggregate's reads, and document citations."""

    def disclosure(self, disclosure_id: str) -> Disclosure | None:
        """A disclosure with its versions and attestations. Built objects are cached until a disclosure event."""
        with self._lock:
            found = self.caches.disclosures.get(disclosure_id)
            if found is None:
                found = self._load_disclosure(disclosure_id)
                if found is not None:
                    self.caches.keep_disclosure(found)
            return found

    def _load_disclosure(self, disclosure_id: str) -> Disclosure | None:
        rows = self._rows(
            "SELECT * FROM disclosure_versions WHERE disclosure_id = ? ORDER BY version", (disclosure_id,)
        )
        if not rows:
            return None
        versions = tuple(
            DisclosureVersion(
                version=int(r["version"]),
                metrics=tuple(
                    MetricValue(code, from_scaled(int(value), int(decimals)), unit)
                    for code, value, decimals, unit in json.loads(r["metrics"])
                ),
                document_hash=Hash32(r["document_hash"]),
                uri=r["uri"],
                supersedes=int(r["supersedes"]),
                reason=r["reason"],
                content_hash=Hash32(r["content_hash"]),
                signer=Address(r["participant"]),
                tx=self._tx_ref(r),
                public=bool(r["is_public"]),
            )
            for r in rows
        )
        # Each attestation is revoked by the first revocation of its version by its auditor that follows it (an
        # auditor may attest, revoke, attest again and revoke again: each revocation ends one attestation).
        pending: dict[tuple[int, str], list[sqlite3.Row]] = {}
        for r in self._rows(
            "SELECT * FROM revocations WHERE disclosure_id = ? ORDER BY block_number, log_index", (disclosure_id,)
        ):
            pending.setdefault((int(r["version"]), r["auditor"]), []).append(r)
        attestations = []
        for a in self._rows(
            "SELECT * FROM attestations WHERE disclosure_id = ? ORDER BY block_number, log_index", (disclosure_id,)
        ):
            later = [
                r
                for r in pending.get((int(a["version"]), a["auditor"]), [])
                if (r["block_number"], r["log_index"]) > (a["block_number"], a["log_index"])
            ]
            revoked = later[0] if later else None
            if revoked is not None:
                pending[(int(a["version"]), a["auditor"])].remove(revoked)
            attestations.append(
                Attestation(
                    disclosure_id=DisclosureId(disclosure_id),
                    version=int(a["version"]),
                    auditor=Address(a["auditor"]),
                    level=LEVELS[a["level"]],
                    opinion=OPINIONS[a["opinion"]],
                    report_hash=Hash32(a["report_hash"]),
                    tx=self._tx_ref(a),
                    revoked=self._tx_ref(revoked) if revoked is not None else None,
                    revoke_reason=revoked["reason"] if revoked is not None else None,
                )
            )
        first = rows[0]
        return Disclosure(
            DisclosureId(disclosure_id),
            Address(first["participant"]),
            first["period"],
            first["framework"],
            versions,
            tuple(attestations),
        )

    def disclosure_ids(
        self,
        *,
        participant: str | None = None,
        period: str | None = None,
        framework: str | None = None,
        after: tuple[int, int] | None = None,
        limit: int = 1_000,
    ) -> list[tuple[str, int, int]]:
        clauses: list[str] = ["version = 1"]
        params: list[Any] = []
        for column, value in (("participant", participant), ("period", period), ("framework", framework)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if after is not None:
            clauses.append("(block_number, log_index) > (?, ?)")
            params.extend(after)
        rows = self._rows(
            f"SELECT disclosure_id, block_number, log_index FROM disclosure_versions WHERE {' AND '.join(clauses)} "
            "ORDER BY block_number, log_index LIMIT ?",
            [*params, limit],
        )
        return [(r["disclosure_id"], int(r["block_number"]), int(r["log_index"])) for r in rows]

    def document_citations(self, document_hash: str) -> list[Citation]:
        """Every record that commits to `document_hash` (0x + 64 lower-case hex digits): batches citing it among
        their documents, disclosure versions, attestations (assurance reports) and participant profiles; in chain
        order."""
        found: list[Citation] = []
        for r in self._rows(
            "SELECT d.batch_id, d.kind, b.producer, b.tx_hash, b.block_number, b.log_index "
            "FROM documents d JOIN batches b ON b.id = d.batch_id WHERE d.hash = ?",
            (document_hash,),
        ):
            found.append(
                Citation(
                    CitationKind.BATCH,
                    r["batch_id"],
                    Address(r["producer"]),
                    self._tx_ref(r),
                    document_kind=DOCUMENT_KINDS[r["kind"]] if r["kind"] < len(DOCUMENT_KINDS) else DocumentKind.OTHER,
                )
            )
        for r in self._rows(
            "SELECT disclosure_id, version, participant, tx_hash, block_number, log_index "
            "FROM disclosure_versions WHERE document_hash = ?",
            (document_hash,),
        ):
            found.append(
                Citation(
                    CitationKind.DISCLOSURE,
                    r["disclosure_id"],
                    Address(r["participant"]),
                    self._tx_ref(r),
                    version=int(r["version"]),
                )
            )
        for r in self._rows(
            "SELECT disclosure_id, version, auditor, tx_hash, block_number, log_index "
            "FROM attestations WHERE report_hash = ?",
            (document_hash,),
        ):
            found.append(
                Citation(
                    CitationKind.ATTESTATION,
                    r["disclosure_id"],
                    Address(r["auditor"]),
                    self._tx_ref(r),
                    version=int(r["version"]),
                )
            )
        for r in self._rows(
            "SELECT address, tx_hash, block_number, log_index FROM participants WHERE profile_hash = ?",
            (document_hash,),
        ):
            found.append(Citation(CitationKind.PARTICIPANT, r["address"], Address(r["address"]), self._tx_ref(r)))
        found.sort(key=lambda c: (c.tx.block_number, c.tx.log_index))
        return found
