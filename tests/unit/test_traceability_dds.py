"""EUDR due-diligence files: one feature per plot, 6-decimal coordinates, consent for names, areas, splitting at
1,000 producers or the byte limit, and refusal while error checks stand."""

from __future__ import annotations

import json

import pytest

from app.traceability.engine import DdsRefusedError, dds_bytes, dds_files, geodesic_area_ha, parse_geometry
from app.traceability.model import Check, Member, Plot


def member(ref: str, consent: bool = False) -> Member:
    return Member(ref, "g1", f"Name {ref}", f"code-{ref}", "TH", locality=f"Ban {ref}", consent_share_identity=consent)


def point(ref: str, member_ref: str, lon: float = 101.123456789, lat: float = 13.987654321, area: float = 1.5) -> Plot:
    return Plot(ref, member_ref, {"type": "Point", "coordinates": [lon, lat]}, area, 2010, "th")


POLYGON = {
    "type": "Polygon",
    "coordinates": [
        [
            [101.10000004, 13.1],
            [101.11000001, 13.1],
            [101.11, 13.11000049],
            [101.1, 13.11],
            [101.10000004, 13.1],
        ]
    ],
}


def test_one_feature_per_plot_with_the_eu_properties() -> None:
    members = {"m1": member("m1", consent=True), "m2": member("m2")}
    plots = [point("p1", "m1"), Plot("p2", "m2", POLYGON, None, 2012, "TH"), point("p3", "m2", area=0.25)]
    (collection,) = dds_files(plots, members)
    assert collection == {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [101.123457, 13.987654]},
                "properties": {
                    "ProducerName": "Name m1",
                    "ProducerCountry": "TH",
                    "ProductionPlace": "Ban m1",
                    "Area": 1.5,
                },
            },
            {
                "type": "Feature",
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[101.1, 13.1], [101.11, 13.1], [101.11, 13.11], [101.1, 13.11], [101.1, 13.1]]],
                },
                "properties": {
                    "ProducerName": "code-m2",
                    "ProducerCountry": "TH",
                    "ProductionPlace": "Ban m2",
                    "Area": round(geodesic_area_ha(parse_geometry(POLYGON)[0]), 4),
                },
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [101.123457, 13.987654]},
                "properties": {
                    "ProducerName": "code-m2",
                    "ProducerCountry": "TH",
                    "ProductionPlace": "Ban m2",
                    "Area": 0.25,
                },
            },
        ],
    }
    assert collection["features"][1]["properties"]["Area"] == 119.9703  # 1,084 m x 1,106 m at 13.1° N


def test_rounding_drops_positions_that_become_equal() -> None:
    geometry = {
        "type": "Polygon",
        "coordinates": [[[101.1, 13.1], [101.1000000001, 13.1], [101.11, 13.1], [101.11, 13.11], [101.1, 13.1]]],
    }
    (collection,) = dds_files([Plot("p1", "m1", geometry, 10.0, 2010, "TH")], {"m1": member("m1")})
    assert collection["features"][0]["geometry"]["coordinates"] == [
        [[101.1, 13.1], [101.11, 13.1], [101.11, 13.11], [101.1, 13.1]]
    ]


def test_a_file_holds_at_most_1000_producers_and_keeps_a_producers_plots_together() -> None:
    members = {f"m{i:04d}": member(f"m{i:04d}") for i in range(1001)}
    plots = [point(f"p{i:04d}", f"m{i:04d}", lon=100 + i / 10_000) for i in range(1001)]
    plots.append(point("p-extra", "m0999", lon=99.5))
    files = dds_files(plots, members)
    assert [len(f["features"]) for f in files] == [1001, 1]
    producers = [{f["properties"]["ProducerName"] for f in c["features"]} for c in files]
    assert [len(p) for p in producers] == [1000, 1]
    assert producers[1] == {"code-m1000"}
    # Exactly 1,000 producers fit in one file.
    assert len(dds_files(plots[:1000], members)) == 1


def test_files_split_before_the_byte_limit() -> None:
    members = {f"m{i}": member(f"m{i}") for i in range(10)}
    plots = [point(f"p{i}", f"m{i}") for i in range(10)]
    whole = dds_bytes(dds_files(plots, members)[0])
    limit = len(whole) // 3
    files = dds_files(plots, members, max_bytes=limit)
    assert len(files) == 4
    assert all(len(dds_bytes(f)) <= limit for f in files)
    assert sum(len(f["features"]) for f in files) == 10
    assert json.loads(dds_bytes(files[0])) == files[0]


def test_refused_while_an_error_check_stands() -> None:
    members, plots = {"m1": member("m1")}, [point("p1", "m1")]
    error = Check("PLOT_OVERLAP", "error", "p1", "overlap")
    with pytest.raises(DdsRefusedError) as caught:
        dds_files(plots, members, checks=[Check("FAR_FROM_COLLECTOR", "warning", "p1", "far"), error])
    assert caught.value.checks == (error,)
    assert len(dds_files(plots, members, checks=[Check("FAR_FROM_COLLECTOR", "warning", "p1", "far")])) == 1


def test_refused_for_a_plot_whose_geometry_does_not_parse() -> None:
    broken = Plot("p1", "m1", {"type": "Polygon", "coordinates": [[[1, 1], [2, 2], [1, 1]]]}, 1.0, 2010, "TH")
    with pytest.raises(DdsRefusedError) as caught:
        dds_files([broken], {"m1": member("m1")})
    assert [(c.code, c.ref) for c in caught.value.checks] == [("GEOM_INVALID", "p1")]
