"""Reference data the packs read, shipped as versioned JSON files in `ledger/regimes/data/` (data, not code: a new
Annex I or benchmark is a new file version, and every report names the versions it used).

HS codes on chain have 6 digits; the data lists chapters (2 digits), headings (4) or subheadings (6), matched as
prefixes, the longest first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from ledger.regimes.model import ReferenceData

DATA = Path(__file__).parent / "data"


def _load(name: str) -> tuple[ReferenceData, dict[str, Any]]:
    raw = json.loads((DATA / name).read_text(encoding="utf-8"))
    meta = ReferenceData(raw["name"], raw["version"], date.fromisoformat(raw["date"]), raw["source"])
    return meta, raw


def longest_prefix(hs_code: str, codes: dict[str, Any]) -> Any | None:
    """The value of the longest code in `codes` that `hs_code` starts with."""
    for size in (6, 4, 2):
        found = codes.get(hs_code[:size])
        if found is not None:
            return found
    return None


@dataclass(frozen=True)
class AnnexEntry:
    code: str
    ex: bool  # only products of the heading made of the commodity are in scope
    commodity: str
    description: str

    @property
    def label(self) -> str:
        return f"{'ex ' if self.ex else ''}{self.code} ({self.commodity}: {self.description})"


@dataclass(frozen=True)
class AnnexI:
    meta: ReferenceData
    entries: dict[str, AnnexEntry]

    def lookup(self, hs_code: str) -> AnnexEntry | None:
        found: AnnexEntry | None = longest_prefix(hs_code, self.entries)
        return found


@cache
def annex_i() -> AnnexI:
    meta, raw = _load("eudr_annex_i.json")
    return AnnexI(
        meta, {e["code"]: AnnexEntry(e["code"], e["ex"], e["commodity"], e["description"]) for e in raw["entries"]}
    )


@dataclass(frozen=True)
class Benchmark:
    meta: ReferenceData
    tiers: dict[str, str]  # country -> "high" | "standard"
    default: str

    def tier(self, country: str) -> str:
        return self.tiers.get(country, self.default)


@cache
def benchmark() -> Benchmark:
    meta, raw = _load("eudr_benchmark.json")
    tiers = {c: "high" for c in raw["high"]} | {c: "standard" for c in raw["standard"]}
    return Benchmark(meta, tiers, raw["default"])


@dataclass(frozen=True)
class CountryBoxes:
    meta: ReferenceData
    boxes: dict[str, tuple[float, float, float, float]]  # min lon, min lat, max lon, max lat

    def contains(self, country: str, lon: float, lat: float) -> bool | None:
        """Whether the position lies in the country's box; None for a country without a box."""
        box = self.boxes.get(country)
        if box is None:
            return None
        return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


@cache
def country_boxes() -> CountryBoxes:
    meta, raw = _load("country_boxes.json")
    return CountryBoxes(meta, {c: (b[0], b[1], b[2], b[3]) for c, b in raw["boxes"].items()})


@dataclass(frozen=True)
class Codes:
    """A set of HS prefixes, each naming a group (a sector, a material)."""

    meta: ReferenceData
    groups: dict[str, str]  # code -> group name

    def group(self, hs_code: str) -> str | None:
        found: str | None = longest_prefix(hs_code, self.groups)
        return found


@cache
def uflpa_sectors() -> Codes:
    meta, raw = _load("uflpa_sectors.json")
    return Codes(meta, {code: s["sector"] for s in raw["sectors"] for code in s["codes"]})


@cache
def raw_materials() -> Codes:
    meta, raw = _load("raw_materials.json")
    return Codes(meta, {code: "raw material" for code in raw["codes"]})


@dataclass(frozen=True)
class AnnexX:
    meta: ReferenceData
    batteries: Codes
    mine: Codes  # ores and concentrates, by material
    processed: Codes  # refined products and compounds, by material

    def material(self, hs_code: str) -> str | None:
        return self.mine.group(hs_code) or self.processed.group(hs_code)


@cache
def annex_x() -> AnnexX:
    meta, raw = _load("battery_annex_x.json")
    return AnnexX(
        meta,
        Codes(meta, {c: "battery" for c in raw["batteries"]}),
        Codes(meta, {c: m["material"] for m in raw["materials"] for c in m["mine"]}),
        Codes(meta, {c: m["material"] for m in raw["materials"] for c in m["processed"]}),
    )


@dataclass(frozen=True)
class RiskAreas:
    meta: ReferenceData
    regions: frozenset[str]
    products: Codes


@cache
def flr_risk() -> RiskAreas:
    meta, raw = _load("flr_risk.json")
    return RiskAreas(meta, frozenset(raw["regions"]), Codes(meta, {c: "risk product" for c in raw["products"]}))
