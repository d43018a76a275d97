"""Plot maps: each kind of bad GeoJSON is caught, and the demo's plot maps read clean."""

from __future__ import annotations

import json
from typing import Any

import pytest

from ledger.demo.documents import FILES
from ledger.regimes.geojson import PlotMap, ProblemKind, read_plot_map, ring_area
from tests.evidence import geojson_bytes, plot_feature, position, square


def kinds(found: PlotMap) -> set[ProblemKind]:
    return {p.kind for p in found.problems}


def polygon(ring: list[list[float]], **kwargs: Any) -> bytes:
    return geojson_bytes([plot_feature("P", {"type": "Polygon", "coordinates": [ring]}, **kwargs)])


@pytest.mark.parametrize("name", ["plots-ksrc-26-a.geojson", "plots-ksrc-26-b.geojson", "plots-kutch-2025.geojson"])
def test_the_demo_plot_maps_have_no_problems(name: str) -> None:
    found = read_plot_map((FILES / name).read_bytes())
    assert found.problems == () and found.plots
    for plot in found.plots:
        if plot.computed_area_ha is not None:
            assert plot.declared_area_ha is not None
            assert abs(float(plot.declared_area_ha) - plot.computed_area_ha) < 0.01


@pytest.mark.parametrize(
    "content",
    [
        b"not json at all",
        b'{"plots": []}',
        b"[1, 2, 3]",
        b"\xff\xfe\x00binary",
        json.dumps({"type": "Polygon", "coordinates": []}).encode(),
    ],
)
def test_a_plot_map_that_is_not_geojson_is_refused(content: bytes) -> None:
    found = read_plot_map(content)
    assert kinds(found) == {ProblemKind.NOT_GEOJSON} and not found.geojson


def test_a_feature_collection_without_features_is_refused() -> None:
    assert kinds(read_plot_map(b'{"type": "FeatureCollection", "features": []}')) == {ProblemKind.NO_FEATURES}


def test_a_line_is_not_a_plot() -> None:
    line = geojson_bytes([plot_feature("L", {"type": "LineString", "coordinates": [[100.9, 5.6], [100.91, 5.61]]})])
    assert kinds(read_plot_map(line)) == {ProblemKind.GEOMETRY_TYPE}


def test_a_self_intersecting_polygon_is_refused() -> None:
    bow_tie = [[100.91, 5.67], [100.912, 5.672], [100.912, 5.67], [100.91, 5.672], [100.91, 5.67]]
    found = read_plot_map(polygon(bow_tie, area=1.0))
    assert kinds(found) == {ProblemKind.SELF_INTERSECTION}
    assert "Self-intersection" in found.problems[0].message


@pytest.mark.parametrize("point", [[100.91, 95.5], [190.5, 5.67], [5.67, -100.91]])
def test_coordinates_out_of_range_are_refused(point: list[float]) -> None:
    found = read_plot_map(geojson_bytes([plot_feature("R", {"type": "Point", "coordinates": point}, area=1.0)]))
    assert kinds(found) == {ProblemKind.OUT_OF_RANGE}


@pytest.mark.parametrize("decimals", [0, 3, 5])
def test_coordinates_with_fewer_than_six_decimals_are_refused(decimals: int) -> None:
    content = geojson_bytes(
        [plot_feature("C", {"type": "Polygon", "coordinates": square(100.91, 5.67)}, area=3.1)], decimals=decimals
    )
    assert ProblemKind.PRECISION in kinds(read_plot_map(content))


def test_six_decimals_pass_and_more_pass_too() -> None:
    for decimals in (6, 8):
        content = geojson_bytes(
            [plot_feature("C", {"type": "Point", "coordinates": position(100.91, 5.67)}, area=1.0)], decimals=decimals
        )
        assert read_plot_map(content).problems == ()


def test_an_open_ring_is_refused() -> None:
    ring = [*square(100.91, 5.67)[0][:-1], [100.9101, 5.67]]
    assert ProblemKind.RING_NOT_CLOSED in kinds(read_plot_map(polygon(ring)))


def test_a_ring_of_three_positions_is_refused() -> None:
    ring = [[100.91, 5.67], [100.92, 5.67], [100.91, 5.67]]
    assert kinds(read_plot_map(polygon(ring))) == {ProblemKind.TOO_FEW_POSITIONS}


def test_a_repeated_vertex_and_a_hole_are_refused() -> None:
    ring = [[100.91, 5.67], [100.912, 5.67], [100.9120001, 5.67], [100.912, 5.672], [100.91, 5.672], [100.91, 5.67]]
    assert ProblemKind.DUPLICATE_VERTEX in kinds(read_plot_map(polygon(ring, area=4.9)))
    holed = geojson_bytes(
        [plot_feature("H", {"type": "Polygon", "coordinates": square(100.91, 5.67) + square(100.9105, 5.6705, 0.0002)})]
    )
    assert ProblemKind.HOLES in kinds(read_plot_map(holed))


def test_a_declared_area_more_than_10_percent_off_is_flagged_and_within_10_percent_is_not() -> None:
    computed = ring_area([(x, y) for x, y in square(100.91, 5.67)[0]]) / 10_000
    close = read_plot_map(polygon(square(100.91, 5.67)[0], area=round(computed * 1.09, 2)))
    far = read_plot_map(polygon(square(100.91, 5.67)[0], area=round(computed * 1.2, 2)))
    assert close.problems == () and kinds(far) == {ProblemKind.AREA_MISMATCH}


def test_the_area_of_a_known_square_is_right_within_one_percent() -> None:
    # 0.01 x 0.01 degrees at the equator: 1113.2 m x 1105.7 m on the WGS84 ellipsoid = 123.1 ha; the sphere of the
    # equatorial radius is 0.7 % more, far inside the rule's 10 % tolerance
    ring = [(0.0, 0.0), (0.01, 0.0), (0.01, 0.01), (0.0, 0.01), (0.0, 0.0)]
    assert abs(ring_area(ring) / 10_000 - 123.1) / 123.1 < 0.01


def test_deeply_nested_json_is_refused_without_crashing() -> None:
    found = read_plot_map(b"[" * 200_000 + b"]" * 200_000)
    assert kinds(found) == {ProblemKind.NOT_GEOJSON} and "nested" in found.problems[0].message
