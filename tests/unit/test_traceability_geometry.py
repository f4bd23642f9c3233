"""Plot geometry checks of the traceability engine: GEOM_INVALID, POINT_OVER_4HA, AREA_MISMATCH, OUTSIDE_COUNTRY,
DUPLICATE_GEOMETRY and PLOT_OVERLAP, with their boundaries."""

from __future__ import annotations

import math
from typing import Any

import pytest
from shapely.geometry import Point

from app.traceability.engine import (
    check_plots,
    country_shape,
    geodesic_area_ha,
    outside_country,
    parse_geometry,
    parse_plot,
)
from app.traceability.engine.geometry import _country_outlines, distance_outside_km
from app.traceability.model import Member, Plot, Thresholds

# A square in Thailand (Chon Buri province), well inside the country.
LON, LAT = 101.2, 13.3


def square(lon: float, lat: float, side_deg: float) -> dict[str, Any]:
    ring = [[lon, lat], [lon + side_deg, lat], [lon + side_deg, lat + side_deg], [lon, lat + side_deg], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def plot(ref: str, geometry: dict[str, Any], area_ha: float | None = None, member: str = "m1", country: str = "TH"):
    return Plot(ref=ref, member=member, geometry=geometry, area_ha=area_ha, planted_year=2010, country=country)


MEMBERS = {m: Member(m, "g1", f"Name {m}", f"C-{m}", "TH") for m in ("m1", "m2", "m3")}


def codes(found: dict[str, list]) -> dict[str, list[tuple[str, str]]]:
    return {ref: [(c.code, c.severity) for c in checks] for ref, checks in found.items()}


@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        ({"type": "Point", "coordinates": [LON, LAT]}, None),
        (square(LON, LAT, 0.01), None),
        ({"type": "MultiPolygon", "coordinates": []}, "geom_type"),
        ({"type": "Point", "coordinates": [LON, 95.0]}, "geom_coordinates"),
        ({"type": "Point", "coordinates": ["101", LAT]}, "geom_coordinates"),
        ({"type": "Polygon", "coordinates": [[[LON, LAT], [LON + 0.01, LAT], [LON, LAT]]]}, "geom_few_positions"),
        (
            {
                "type": "Polygon",
                "coordinates": [[[LON, LAT], [LON + 0.01, LAT], [LON + 0.01, LAT + 0.01], [LON, LAT + 0.01]]],
            },
            "geom_unclosed",
        ),
        (
            # A bow tie: its edges cross.
            {
                "type": "Polygon",
                "coordinates": [
                    [[LON, LAT], [LON + 0.01, LAT + 0.01], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]
                ],
            },
            "geom_self_intersection",
        ),
        (
            {
                "type": "Polygon",
                "coordinates": [
                    square(LON, LAT, 0.01)["coordinates"][0],
                    square(LON + 0.002, LAT + 0.002, 0.002)["coordinates"][0],
                ],
            },
            "geom_hole",
        ),
    ],
)
def test_parse_geometry_names_what_is_wrong(geometry: dict[str, Any], problem: str | None) -> None:
    shape, found = parse_geometry(geometry)
    assert found == problem
    assert (shape is None) == (problem is not None)


def test_an_invalid_geometry_is_one_geom_invalid_error_and_nothing_else() -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [[[LON, LAT], [LON + 0.01, LAT + 0.01], [LON + 0.01, LAT], [LON, LAT + 0.01], [LON, LAT]]],
    }
    found = check_plots({"p1": plot("p1", bow_tie, 5.0)}, MEMBERS)
    assert codes(found) == {"p1": [("GEOM_INVALID", "error")]}
    assert found["p1"][0].message == "The plot's outline crosses itself."


def test_a_point_without_area_is_geom_invalid() -> None:
    found = check_plots({"p1": plot("p1", {"type": "Point", "coordinates": [LON, LAT]})}, MEMBERS)
    assert [c.message for c in found["p1"]] == ["A plot given as a point needs its area in hectares."]


def test_geodesic_area_is_in_hectares_and_ignores_orientation() -> None:
    ring = square(0.0, 0.0, 0.01)["coordinates"][0]
    clockwise = {"type": "Polygon", "coordinates": [ring[::-1]]}
    area = geodesic_area_ha(parse_geometry(square(0.0, 0.0, 0.01))[0])
    # 0.01 deg x 0.01 deg at the equator on WGS84: 1,113.19 m x 1,105.74 m.
    assert round(area, 2) == 123.09
    assert geodesic_area_ha(parse_geometry(clockwise)[0]) == pytest.approx(area, rel=1e-12)


def test_parse_plot_takes_the_declared_area_else_the_geodesic_one() -> None:
    geometry = square(LON, LAT, 0.001)
    assert parse_plot(plot("p1", geometry, 7.5)).area_ha == 7.5
    assert parse_plot(plot("p1", geometry)).area_ha == geodesic_area_ha(parse_geometry(geometry)[0])


@pytest.mark.parametrize(("area", "flagged"), [(4.0, False), (4.01, True)])
def test_point_over_4_ha(area: float, flagged: bool) -> None:
    found = check_plots({"p1": plot("p1", {"type": "Point", "coordinates": [LON, LAT]}, area)}, MEMBERS)
    expected = [("POINT_OVER_4HA", "error")] if flagged else []
    assert codes(found) == {"p1": expected}
    if flagged:
        assert found["p1"][0].message == "The plot is a point but covers 4.01 ha: plots over 4 ha need a polygon."


@pytest.mark.parametrize(
    ("factor", "flagged"), [(1.10, False), (1.1001, True), (0.90, False), (0.8999, True), (1, False)]
)
def test_area_mismatch_at_exactly_ten_percent(factor: float, flagged: bool) -> None:
    geometry = square(LON, LAT, 0.002)
    measured = geodesic_area_ha(parse_geometry(geometry)[0])
    found = check_plots({"p1": plot("p1", geometry, measured * factor)}, MEMBERS)
    assert codes(found) == {"p1": [("AREA_MISMATCH", "error")] if flagged else []}


# Near the Gulf of Thailand coast at Chon Buri: 0.6 km and 2.4 km out to sea from the shipped outline.
NEAR_COAST = (100.8711, 12.9388)
OFF_COAST = (100.8473, 12.935)


def test_outside_country_with_a_one_km_tolerance_at_the_border() -> None:
    assert outside_country(Point(LON, LAT), "TH") is False
    assert outside_country(Point(LON, LAT), "MY") is True
    assert outside_country(Point(*NEAR_COAST), "TH") is False
    assert outside_country(Point(*OFF_COAST), "TH") is True
    assert round(distance_outside_km(country_shape("TH"), *NEAR_COAST, 1.0), 1) == 0.6
    assert round(distance_outside_km(country_shape("TH"), *OFF_COAST, 1.0), 1) == 2.4


def test_outside_country_is_silent_for_a_country_not_in_the_file() -> None:
    assert outside_country(Point(LON, LAT), "XK") is None
    found = check_plots({"p1": plot("p1", {"type": "Point", "coordinates": [LON, LAT]}, 1.0, country="XK")}, MEMBERS)
    assert found == {"p1": []}


def test_outside_country_checks_every_vertex_of_a_polygon() -> None:
    lon, lat = OFF_COAST
    reaching_out = {
        "type": "Polygon",
        "coordinates": [[[lon, lat], [LON, LAT], [LON, LAT + 0.01], [lon, lat]]],
    }
    found = check_plots(
        {
            "in": plot("in", square(LON, LAT, 0.01), None),
            "out": plot("out", reaching_out, None),
            "my": plot("my", square(LON, LAT, 0.01), None, member="m2", country="my"),
        },
        MEMBERS,
    )
    assert [c.code for c in found["out"]] == ["OUTSIDE_COUNTRY"]
    assert found["out"][0].message == "The plot lies outside its declared country (TH)."
    assert [c.message for c in found["my"] if c.code == "OUTSIDE_COUNTRY"] == [
        "The plot lies outside its declared country (MY)."
    ]


def test_a_plot_without_country_takes_its_members() -> None:
    found = check_plots({"p1": plot("p1", {"type": "Point", "coordinates": [LON, LAT]}, 1.0, country="")}, MEMBERS)
    assert found == {"p1": []}
    members = {"m1": Member("m1", "g1", "A", "C1", "MY")}
    found = check_plots({"p1": plot("p1", {"type": "Point", "coordinates": [LON, LAT]}, 1.0, country="")}, members)
    assert [c.code for c in found["p1"]] == ["OUTSIDE_COUNTRY"]


def test_duplicate_geometry_flags_both_plots_whatever_the_ring_start() -> None:
    ring = square(LON, LAT, 0.01)["coordinates"][0]
    turned = {"type": "Polygon", "coordinates": [[*ring[1:-1], ring[0], ring[1]]]}
    assert turned["coordinates"][0][0] != ring[0]
    found = check_plots(
        {
            "a": plot("a", square(LON, LAT, 0.01), None),
            "b": plot("b", turned, None, member="m2"),
            "c": plot("c", square(LON + 0.05, LAT, 0.01), None, member="m3"),
        },
        MEMBERS,
    )
    assert codes(found) == {"a": [("DUPLICATE_GEOMETRY", "error")], "b": [("DUPLICATE_GEOMETRY", "error")], "c": []}
    assert found["a"][0].message == "The plot has the same geometry as plot b."


def test_duplicate_points() -> None:
    point = {"type": "Point", "coordinates": [LON, LAT]}
    found = check_plots({"a": plot("a", point, 1.0), "b": plot("b", dict(point), 2.0, member="m2")}, MEMBERS)
    assert codes(found) == {"a": [("DUPLICATE_GEOMETRY", "error")], "b": [("DUPLICATE_GEOMETRY", "error")]}


@pytest.mark.parametrize(("overlap", "flagged"), [(0.05, False), (0.06, True), (0.0, False)])
def test_plot_overlap_above_five_percent_of_the_smaller(overlap: float, flagged: bool) -> None:
    side = 0.01
    # b is as large as a and shifted so that the strip they share is `overlap` of a's width.
    b_start = LON + side * (1 - overlap)
    found = check_plots(
        {"a": plot("a", square(LON, LAT, side)), "b": plot("b", square(b_start, LAT, side), member="m2")},
        MEMBERS,
    )
    expected = [("PLOT_OVERLAP", "error")] if flagged else []
    assert codes(found) == {"a": expected, "b": expected}
    if flagged:
        assert found["a"][0].message == "The plot overlaps plot b of another member by 6 % of the smaller plot."


def test_plots_of_one_member_may_overlap() -> None:
    found = check_plots(
        {"a": plot("a", square(LON, LAT, 0.01)), "b": plot("b", square(LON + 0.005, LAT, 0.01))},
        MEMBERS,
    )
    assert found == {"a": [], "b": []}


def test_overlap_share_is_of_the_smaller_plot() -> None:
    # A small plot (0.002 deg) half inside a large one: 50 % of the smaller, 2 % of the larger.
    found = check_plots(
        {
            "big": plot("big", square(LON, LAT, 0.01)),
            "small": plot("small", square(LON + 0.009, LAT + 0.004, 0.002), member="m2"),
        },
        MEMBERS,
    )
    assert [c.message for c in found["big"]] == [
        "The plot overlaps plot small of another member by 50 % of the smaller plot."
    ]
    assert [c.code for c in found["small"]] == ["PLOT_OVERLAP"]


def test_subjects_limit_the_plots_checked_but_not_their_neighbours() -> None:
    plots = {
        "a": plot("a", square(LON, LAT, 0.01)),
        "b": plot("b", square(LON + 0.005, LAT, 0.01), member="m2"),
        "c": plot("c", {"type": "Point", "coordinates": [LON, LAT]}, 9.0, member="m3"),
    }
    found = check_plots(plots, MEMBERS, subjects={"a"})
    assert codes(found) == {"a": [("PLOT_OVERLAP", "error")]}


def test_thresholds_come_from_the_settings() -> None:
    point = plot("p1", {"type": "Point", "coordinates": [LON, LAT]}, 5.0)
    assert check_plots({"p1": point}, MEMBERS, Thresholds(point_max_ha=6.0)) == {"p1": []}
    assert math.isclose(Thresholds().point_max_ha, 4.0)


def test_the_shipped_outlines_cover_the_rubber_growing_countries() -> None:
    assert len(_country_outlines()) == 238
    growers = ["TH", "ID", "VN", "MY", "IN", "CN", "CI", "LR", "NG", "GH", "CM", "GT", "BR", "MX", "LK", "KH", "MM"]
    assert [code for code in growers if country_shape(code) is None] == []
    # Capitals as a sanity check of the ISO numeric -> alpha-2 mapping.
    capitals = {"TH": (100.50, 13.75), "ID": (106.85, -6.21), "CI": (-4.02, 5.35), "BR": (-47.88, -15.79)}
    assert {code: outside_country(Point(*xy), code) for code, xy in capitals.items()} == dict.fromkeys(capitals, False)
