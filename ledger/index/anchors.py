"""Reads of the anchors aggregate (Merkle roots anchored on chain, the records known under them from bundles) and
how a batch is on the ledger; the one off-chain write: the records an imported bundle ties to a root."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ledger.domain.types import Address, BatchId, BatchRecording, Hash32
from ledger.index.base import SqlIndex

ANCHORED_RECORD_COLUMNS = ("batch_id", "root", "producer", "gtin", "lot", "proof")


class Anchors(SqlIndex):
    """The anchors aggregate."""

    def anchor(self, root: str) -> dict[str, Any] | None:
        """The anchor of `root` (producer, count, uri, tx_hash, block_number, log_index), if indexed."""
        row = self._one("SELECT * FROM anchors WHERE root = ?", (root,))
        return dict(row) if row is not None else None

    def add_anchored_records(
        self, root: str, producer: str, records: Sequence[tuple[str, str, str, list[str]]]
    ) -> None:
        """Remember the records (batch id, GTIN, lot, proof) a bundle ties to `root`."""
        with self._tx() as db:
            db.executemany(
                self.dialect.upsert("anchored_records", ANCHORED_RECORD_COLUMNS, ("batch_id", "root")),
                [
                    (batch_id.lower(), root.lower(), producer, gtin, lot, json.dumps(proof))
                    for batch_id, gtin, lot, proof in records
                ],
            )

    def recording(self, batch_id: str) -> BatchRecording | None:
        """Recorded individually (a `BatchRecorded` row), anchored (a known proof to an indexed root), or None."""
        row = self._one(
            "SELECT b.id, b.producer, b.tx_hash, b.block_number, b.log_index, c.root FROM batches b "
            "LEFT JOIN anchor_claims c ON c.batch_id = b.id WHERE b.id = ?",
            (batch_id,),
        )
        if row is not None:
            return BatchRecording(
                BatchId(row["id"]),
                "recorded",
                self._tx_ref(row),
                producer=Address(row["producer"]),
                root=Hash32(row["root"]) if row["root"] else None,
            )
        row = self._one(
            "SELECT r.batch_id, r.root, r.proof, a.producer, a.tx_hash, a.block_number, a.log_index "
            "FROM anchored_records r JOIN anchors a ON a.root = r.root AND a.producer = r.producer "
            "WHERE r.batch_id = ? ORDER BY a.block_number, a.log_index LIMIT 1",
            (batch_id,),
        )
        if row is None:
            return None
        return BatchRecording(
            BatchId(row["batch_id"]),
            "anchored",
            self._tx_ref(row),
            root=Hash32(row["root"]),
            proof=tuple(Hash32(p) for p in json.loads(row["proof"])),
            producer=Address(row["producer"]),
        )
