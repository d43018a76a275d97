"""A harness for the rule packs' tests: the demo's three chains on a real (embedded) chain, their documents in a real
vault, the sample UFLPA list loaded, and builders that record more batches citing documents put in that vault."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from ledger.client import Ledger
from ledger.demo.apparel import DemoWorld
from ledger.demo.rubber import GTIN_CONCENTRATE, GTIN_FIELD_LATEX, GTIN_GLOVES
from ledger.diligence import due_diligence
from ledger.documents.vault import Vault
from ledger.domain.types import BatchId, Document, DocumentKind, Gln, Hash32, InputUse, NewBatch
from ledger.regimes import Regime, RegimeSection, ScreeningLists

#: A date past every rule's applies_from: every rule is in force.
LATER = date(2099, 12, 31)
COOP_SITE, GLOVES_SITE = Gln("9551234000010"), Gln("9553234000014")


def position(lon: float, lat: float) -> list[float]:
    return [lon, lat]


def square(lon: float, lat: float, size: float = 0.0016) -> list[list[list[float]]]:
    """A closed square ring of `size` degrees (about 3.1 ha at 5.7 N for the default)."""
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return [[[round(x, 6), round(y, 6)] for x, y in ring]]


def plot_feature(
    plot_id: str,
    geometry: dict[str, Any],
    *,
    area: float | None = None,
    country: str = "MY",
    start: str | None = "2026-05-01",
    end: str | None = "2026-07-31",
) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "PlotId": plot_id,
        "ProducerName": "Kedah Smallholder Rubber Cooperative Bhd",
        "ProducerCountry": country,
        "ProductionPlace": "Baling, Kedah",
    }
    if area is not None:
        properties["Area"] = area
    if start is not None:
        properties["ProductionStartDate"] = start
    if end is not None:
        properties["ProductionEndDate"] = end
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def geojson_bytes(features: list[dict[str, Any]], *, decimals: int = 6) -> bytes:
    """GeoJSON with every number outside strings written with `decimals` decimals (trailing zeros kept)."""
    text = json.dumps({"type": "FeatureCollection", "features": features})
    return re.sub(r'(?<![\w."-])(-?\d+\.\d+)(?![\w."])', lambda m: f"{float(m.group(1)):.{decimals}f}", text).encode()


def good_plots(prefix: str = "T") -> list[dict[str, Any]]:
    return [
        plot_feature(f"{prefix}-1", {"type": "Polygon", "coordinates": square(100.91, 5.67)}, area=3.1),
        plot_feature(f"{prefix}-2", {"type": "Point", "coordinates": position(100.93, 5.69)}, area=1.2),
    ]


@dataclass
class Harness:
    ledger: Ledger
    world: DemoWorld
    vault: Vault
    lists: ScreeningLists
    counter: list[int] = field(default_factory=lambda: [0])

    # -- documents ---------------------------------------------------------------------------------------------

    def put(self, content: bytes, *, by: Sequence[str] | None = None) -> Hash32:
        """Upload `content` as each of `by` (addresses); by default as every participant of the demo world, so the
        documents a test records are its producer's own whoever records them (tests of who uploaded pass `by`)."""
        uploaders = by if by is not None else [p.account.address for p in self.world.participants.values()]
        stored = self.vault.put(content)
        for uploader in uploaders:
            self.vault.put(content, uploader=uploader)
        return stored.hash

    def put_json(self, body: dict[str, Any]) -> Hash32:
        return self.put(json.dumps(body, ensure_ascii=False).encode())

    def doc(
        self,
        content: bytes | dict[str, Any],
        kind: DocumentKind,
        *,
        store: bool = True,
        by: Sequence[str] | None = None,
    ) -> Document:
        data = json.dumps(content).encode() if isinstance(content, dict) else content
        if store:
            return Document(self.put(data, by=by), kind)
        from ledger.documents.vault import sha256_of

        return Document(sha256_of(data), kind)

    # -- reports -----------------------------------------------------------------------------------------------

    def report(self, batch_id: str, *regimes: Regime | str, as_of: date = LATER) -> dict[str, RegimeSection]:
        report = due_diligence(self.ledger, batch_id, regimes=regimes, as_of=as_of, vault=self.vault, lists=self.lists)
        return {s.regime.value: s for s in report.regimes}

    def section(self, batch_id: str, regime: Regime | str, as_of: date = LATER) -> RegimeSection:
        return self.report(batch_id, regime, as_of=as_of)[Regime(regime).value]

    # -- chains ------------------------------------------------------------------------------------------------

    def lot(self) -> str:
        self.counter[0] += 1
        return f"T{self.counter[0]:03d}"

    def rubber_lot(
        self,
        *,
        raw_documents: tuple[Document, ...] | None = None,
        gloves_documents: tuple[Document, ...] | None = None,
        latex_kg: str = "20000",
        concentrate_kg: str = "10000",
        plots: list[dict[str, Any]] | None = None,
    ) -> dict[str, BatchId]:
        """Field latex -> concentrate -> gloves, all made by the demo's cooperative (one bulk transaction). By
        default every document a compliant lot needs; pass documents to replace them."""
        a = self.world.account
        lot = self.lot()
        if raw_documents is None:
            raw_documents = self.rubber_documents(lot, plots)
        if gloves_documents is None:
            gloves_documents = (self.doc(dds(), DocumentKind.DUE_DILIGENCE_STATEMENT),)
        produced = self.world_time()
        coop = a("rubber-coop")
        ids = [
            self.ledger.batch_id_of(coop.address, gtin, f"{prefix}-{lot}")
            for gtin, prefix in ((GTIN_FIELD_LATEX, "FL"), (GTIN_CONCENTRATE, "LC"), (GTIN_GLOVES, "GL"))
        ]
        # One transaction: the cooperative taps, concentrates and dips its own latex (a real lineage, recorded in bulk).
        self.ledger.record_batches(
            coop,
            [
                NewBatch(
                    GTIN_FIELD_LATEX,
                    f"FL-{lot}",
                    "400110",
                    Decimal(latex_kg),
                    "KGM",
                    COOP_SITE,
                    produced,
                    documents=raw_documents,
                ),
                NewBatch(
                    GTIN_CONCENTRATE,
                    f"LC-{lot}",
                    "400110",
                    Decimal(concentrate_kg),
                    "KGM",
                    COOP_SITE,
                    produced + timedelta(hours=1),
                    inputs=(InputUse(ids[0], Decimal(latex_kg)),),
                ),
                NewBatch(
                    GTIN_GLOVES,
                    f"GL-{lot}",
                    "401519",
                    Decimal("500000"),
                    "PR",
                    COOP_SITE,
                    produced + timedelta(hours=2),
                    inputs=(InputUse(ids[1], Decimal(concentrate_kg)),),
                    documents=gloves_documents,
                ),
            ],
        )
        return {"raw": ids[0], "concentrate": ids[1], "gloves": ids[2]}

    def rubber_documents(self, lot: str, plots: list[dict[str, Any]] | None = None) -> tuple[Document, ...]:
        """What a compliant raw latex batch carries: plot map, deforestation-free evidence, land titles."""
        features = plots if plots is not None else good_plots(lot)
        ids = [f["properties"]["PlotId"] for f in features]
        return (
            self.doc(geojson_bytes(features), DocumentKind.PLOT_GEOLOCATION),
            self.doc(deforestation(ids), DocumentKind.DEFORESTATION_EVIDENCE),
            self.doc(b"%PDF-1.4 land titles " + lot.encode(), DocumentKind.LEGALITY_PERMIT),
        )

    @staticmethod
    def world_time() -> datetime:
        """A production time a month back (after the demo's plot maps end their production periods)."""
        return datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


def deforestation(plot_ids: list[str], *, baseline: str = "2020-12-31", free: bool = True) -> dict[str, Any]:
    return {
        "format": "deforestation-evidence/1",
        "method": "satellite",
        "baseline_date": baseline,
        "deforestation_free": free,
        "plots": plot_ids,
    }


def dds(*, risk: str | None = "negligible", reference: str | None = "26MYKDTEST0001") -> dict[str, Any]:
    body: dict[str, Any] = {"format": "eudr-dds/1", "verification_number": "VTEST01"}
    if reference is not None:
        body["reference_number"] = reference
    if risk is not None:
        body["risk_assessment"] = risk
    return body
