"""EUDR plot maps: GeoJSON documents read and checked the way Art. 2(28) and 9(1)(d) of Reg. 2023/1115 ask.

A plot map is a GeoJSON FeatureCollection (or one Feature), one feature per plot of land, in WGS84 longitude/latitude
(RFC 7946), with the properties of the EU information system's GeoJSON format plus the production dates:

    PlotId              the producer's id of the plot (else the feature's `id`, else its position)
    ProducerName        who produced the commodity on the plot
    ProducerCountry     ISO 3166-1 alpha-2 country of production
    ProductionPlace     the place's name
    Area                area in hectares (required for points: a point is allowed only for plots of at most 4 ha)
    ProductionStartDate, ProductionEndDate   ISO dates (YYYY-MM-DD) of the harvest or production period

`read_plot_map` checks what can be checked without other data (shapely for the geometry):
- only Point, MultiPoint, Polygon and MultiPolygon geometries;
- longitudes in [-180, 180] and latitudes in [-90, 90];
- at least 6 decimals written for every coordinate, and no two consecutive vertices equal once rounded to 6;
- polygon rings closed, with at least 4 positions; no holes; no self-intersection;
- a declared `Area` within 10 % of the area computed from the polygon (on the WGS84 sphere, as geojson-area does).
Problems come back as data (`PlotProblem`), never as exceptions: a plot map that is not GeoJSON is a finding too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise
from typing import Any

from shapely.geometry import Polygon
from shapely.validation import explain_validity

from ledger.domain.errors import ValidationError
from ledger.domain.jsonlimits import load_json

MIN_DECIMALS = 6
POINT_LIMIT_HA = Decimal(4)  # plots over 4 ha need a polygon (Art. 2(28))
AREA_TOLERANCE = Decimal("0.10")  # declared vs computed area
ALLOWED_GEOMETRIES = ("Point", "MultiPoint", "Polygon", "MultiPolygon")
MAX_FEATURES = 10_000
MAX_POSITIONS = 200_000
EARTH_RADIUS_M = 6_378_137.0


class ProblemKind(StrEnum):
    NOT_GEOJSON = "not_geojson"
    NO_FEATURES = "no_features"
    TOO_LARGE = "too_large"
    GEOMETRY_TYPE = "geometry_type"
    MALFORMED = "malformed"
    OUT_OF_RANGE = "out_of_range"
    PRECISION = "precision"
    DUPLICATE_VERTEX = "duplicate_vertex"
    RING_NOT_CLOSED = "ring_not_closed"
    TOO_FEW_POSITIONS = "too_few_positions"
    HOLES = "holes"
    SELF_INTERSECTION = "self_intersection"
    AREA_INVALID = "area_invalid"
    AREA_MISMATCH = "area_mismatch"  # the only problem that needs review rather than failing


@dataclass(frozen=True)
class PlotProblem:
    kind: ProblemKind
    message: str
    plot: str | None = None


@dataclass(frozen=True)
class Plot:
    id: str
    geometry_type: str
    declared_area_ha: Decimal | None
    computed_area_ha: float | None  # polygons only
    producer_name: str | None
    producer_country: str | None
    production_place: str | None
    production_start: date | None
    production_end: date | None
    date_problems: tuple[str, ...]  # dates given but unreadable
    positions: tuple[tuple[float, float], ...]  # every (lon, lat), for checks against the country

    @property
    def is_point(self) -> bool:
        return self.geometry_type in ("Point", "MultiPoint")


@dataclass(frozen=True)
class PlotMap:
    plots: tuple[Plot, ...]
    problems: tuple[PlotProblem, ...]

    @property
    def geojson(self) -> bool:
        """It is GeoJSON with plots (whatever their problems)."""
        return not any(p.kind in (ProblemKind.NOT_GEOJSON, ProblemKind.NO_FEATURES) for p in self.problems)


def read_plot_map(content: bytes) -> PlotMap:
    """Parse and check a plot map."""
    try:
        data = load_json(content, decimals=True)
    except ValidationError as exc:
        return PlotMap((), (PlotProblem(ProblemKind.NOT_GEOJSON, f"the plot map is not GeoJSON: {exc}"),))
    if isinstance(data, dict) and data.get("type") == "Feature":
        features: Any = [data]
    elif isinstance(data, dict) and data.get("type") == "FeatureCollection":
        features = data.get("features")
    else:
        kind = data.get("type") if isinstance(data, dict) else type(data).__name__
        return PlotMap(
            (),
            (
                PlotProblem(
                    ProblemKind.NOT_GEOJSON,
                    f"the plot map is not a GeoJSON FeatureCollection or Feature (its type is {str(kind)[:40]!r})",
                ),
            ),
        )
    if not isinstance(features, list) or not features:
        return PlotMap((), (PlotProblem(ProblemKind.NO_FEATURES, "the plot map holds no features (plots)"),))
    if len(features) > MAX_FEATURES:
        return PlotMap(
            (), (PlotProblem(ProblemKind.TOO_LARGE, f"the plot map holds more than {MAX_FEATURES:,} plots"),)
        )
    plots: list[Plot] = []
    problems: list[PlotProblem] = []
    budget = [MAX_POSITIONS]
    for index, feature in enumerate(features):
        plot, found = _feature(feature, index, budget)
        problems.extend(found)
        if plot is not None:
            plots.append(plot)
        if budget[0] < 0:
            problems.append(
                PlotProblem(ProblemKind.TOO_LARGE, f"the plot map has more than {MAX_POSITIONS:,} positions")
            )
            break
    return PlotMap(tuple(plots), tuple(problems))


def _feature(feature: Any, index: int, budget: list[int]) -> tuple[Plot | None, list[PlotProblem]]:
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return None, [PlotProblem(ProblemKind.NOT_GEOJSON, f"feature #{index + 1} is not a GeoJSON Feature")]
    props = feature.get("properties") or {}
    if not isinstance(props, dict):
        props = {}
    plot_id = _text(props.get("PlotId")) or _text(feature.get("id")) or f"#{index + 1}"
    geometry = feature.get("geometry")
    gtype = geometry.get("type") if isinstance(geometry, dict) else None
    if gtype not in ALLOWED_GEOMETRIES:
        return None, [
            PlotProblem(
                ProblemKind.GEOMETRY_TYPE,
                f"plot {plot_id} has a {str(gtype)[:30]} geometry; "
                "only Point, MultiPoint, Polygon and MultiPolygon describe plots",
                plot_id,
            )
        ]
    assert isinstance(geometry, dict)
    problems: list[PlotProblem] = []
    coords = geometry.get("coordinates")
    positions: list[tuple[float, float]] = []
    computed: float | None = None
    try:
        if gtype == "Point":
            positions.append(_position(coords, plot_id, problems))
        elif gtype == "MultiPoint":
            positions.extend(_position(p, plot_id, problems) for p in _list(coords))
        else:
            polygons = [coords] if gtype == "Polygon" else _list(coords)
            computed = 0.0
            for polygon in polygons:
                computed += _polygon(polygon, plot_id, problems, positions)
    except _Malformed as exc:
        return None, [PlotProblem(ProblemKind.MALFORMED, f"plot {plot_id}: {exc}", plot_id)]
    budget[0] -= len(positions)

    area = props.get("Area")
    declared: Decimal | None = None
    if area is not None:
        if isinstance(area, bool) or not isinstance(area, Decimal | int) or area < 0:
            problems.append(
                PlotProblem(
                    ProblemKind.AREA_INVALID,
                    f"plot {plot_id}: Area must be a non-negative number of hectares, got {str(area)[:30]!r}",
                    plot_id,
                )
            )
        else:
            declared = Decimal(area)
    if computed is not None:
        computed /= 10_000  # m2 -> ha
        if declared is not None and computed > 0 and not _problems_of_geometry(problems):
            gap = abs(declared - Decimal(str(round(computed, 4)))) / Decimal(str(computed))
            if gap > AREA_TOLERANCE:
                problems.append(
                    PlotProblem(
                        ProblemKind.AREA_MISMATCH,
                        f"plot {plot_id} declares {declared} ha; its "
                        f"polygon measures {computed:.2f} ha ({gap:.0%} apart, more than "
                        f"{AREA_TOLERANCE:.0%})",
                        plot_id,
                    )
                )
    start, end, date_problems = _date(props, "ProductionStartDate"), _date(props, "ProductionEndDate"), []
    for key, value in (("ProductionStartDate", start), ("ProductionEndDate", end)):
        if value is _BAD_DATE:
            date_problems.append(f"{key} {str(props.get(key))[:30]!r} is not a date (YYYY-MM-DD)")
    return Plot(
        id=plot_id,
        geometry_type=str(gtype),
        declared_area_ha=declared,
        computed_area_ha=computed,
        producer_name=_text(props.get("ProducerName")),
        producer_country=_text(props.get("ProducerCountry")),
        production_place=_text(props.get("ProductionPlace")),
        production_start=start if isinstance(start, date) else None,
        production_end=end if isinstance(end, date) else None,
        date_problems=tuple(date_problems),
        positions=tuple(positions),
    ), problems


class _Malformed(Exception):
    pass


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise _Malformed("coordinates must be arrays")
    return value


def _number(value: Any) -> bool:
    return isinstance(value, Decimal | int) and not isinstance(value, bool)


def _decimals(value: Decimal | int) -> int:
    if isinstance(value, int):
        return 0
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _position(value: Any, plot_id: str, problems: list[PlotProblem]) -> tuple[float, float]:
    """One [lon, lat] (an altitude may follow), checked for range and written precision."""
    if not isinstance(value, list) or len(value) not in (2, 3) or not all(_number(v) for v in value):
        raise _Malformed("a position must be [longitude, latitude] numbers")
    lon, lat = value[0], value[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        _once(
            problems,
            ProblemKind.OUT_OF_RANGE,
            plot_id,
            f"plot {plot_id} has a position out of range: [{lon}, {lat}] (longitude -180..180, latitude -90..90, "
            "WGS84 in that order)",
        )
    if min(_decimals(lon), _decimals(lat)) < MIN_DECIMALS:
        _once(
            problems,
            ProblemKind.PRECISION,
            plot_id,
            f"plot {plot_id} has coordinates with fewer than {MIN_DECIMALS} decimals (e.g. [{lon}, {lat}])",
        )
    return float(lon), float(lat)


def _polygon(rings: Any, plot_id: str, problems: list[PlotProblem], positions: list[tuple[float, float]]) -> float:
    """Check one polygon (its rings); its area in m2 (0 when it is not a valid polygon)."""
    rings = _list(rings)
    if not rings:
        raise _Malformed("a polygon needs a ring")
    if len(rings) > 1:
        _once(
            problems,
            ProblemKind.HOLES,
            plot_id,
            f"plot {plot_id} has a polygon with holes (interior rings): describe a plot by its outer boundary only",
        )
    valid = True
    outer: list[tuple[float, float]] = []
    for number, ring in enumerate(rings):
        points = [_position(p, plot_id, problems) for p in _list(ring)]
        positions.extend(points)
        if number == 0:
            outer = points
        if len(points) < 4:
            _once(
                problems,
                ProblemKind.TOO_FEW_POSITIONS,
                plot_id,
                f"plot {plot_id} has a ring of {len(points)} positions; a closed ring needs at least 4",
            )
            valid = False
            continue
        if ring[0][:2] != ring[-1][:2]:
            _once(
                problems,
                ProblemKind.RING_NOT_CLOSED,
                plot_id,
                f"plot {plot_id} has a ring that is not closed (its last position must repeat its first)",
            )
            valid = False
        rounded = [(round(lon, MIN_DECIMALS), round(lat, MIN_DECIMALS)) for lon, lat in points[:-1]]
        if any(a == b for a, b in pairwise(rounded)):
            _once(
                problems,
                ProblemKind.DUPLICATE_VERTEX,
                plot_id,
                f"plot {plot_id} repeats a vertex (two consecutive positions equal at {MIN_DECIMALS} decimals)",
            )
            valid = False
    if not valid or _problems_of_geometry(problems):
        return 0.0
    shape = Polygon(outer)
    if not shape.is_valid:
        problems.append(
            PlotProblem(
                ProblemKind.SELF_INTERSECTION,
                f"plot {plot_id} is not a simple polygon: {explain_validity(shape)}",
                plot_id,
            )
        )
        return 0.0
    return ring_area(outer)


def ring_area(ring: list[tuple[float, float]]) -> float:
    """Area in m2 of a closed ring of (lon, lat) degrees on a sphere of the WGS84 equatorial radius (the method of
    Chamberlain and Duquette, 'Some algorithms for polygons on a sphere', as in geojson-area)."""
    count = len(ring)
    if count < 3:
        return 0.0
    total = 0.0
    for i in range(count):
        lower, middle, upper = ring[i], ring[(i + 1) % count], ring[(i + 2) % count]
        total += (math.radians(upper[0]) - math.radians(lower[0])) * math.sin(math.radians(middle[1]))
    return abs(total * EARTH_RADIUS_M * EARTH_RADIUS_M / 2)


def _problems_of_geometry(problems: list[PlotProblem]) -> bool:
    return any(
        p.kind not in (ProblemKind.PRECISION, ProblemKind.AREA_INVALID, ProblemKind.AREA_MISMATCH) for p in problems
    )


def _once(problems: list[PlotProblem], kind: ProblemKind, plot_id: str, message: str) -> None:
    if not any(p.kind is kind and p.plot == plot_id for p in problems):
        problems.append(PlotProblem(kind, message, plot_id))


def _text(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
        return str(value).strip()[:200]
    return None


_BAD_DATE = object()


def _date(props: dict[str, Any], key: str) -> date | object | None:
    value = props.get(key)
    if value is None or value == "":
        return None
    try:
        return date.fromisoformat(str(value)[:10]) if isinstance(value, str) else _BAD_DATE
    except ValueError:
        return _BAD_DATE
