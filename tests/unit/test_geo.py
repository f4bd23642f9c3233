"""The one distance formula: known distances (the same numbers as before it moved here), its batch form, and the
search engine's SQL expression agreeing with it."""

from __future__ import annotations

import math
import random
import sqlite3

import pytest

from app.geo import EARTH_RADIUS_KM, distances_km, haversine_km, prepare

#: (point, point, km) computed by the matching engine's haversine_km before it moved to app.geo: exact floats.
KNOWN = [
    ((20.6767, -103.3475), (24.0277, -104.6532), 396.06135386310314),  # Guadalajara - Durango
    ((51.5074, -0.1278), (40.7128, -74.006), 5570.229873656523),  # London - New York
    ((-33.8688, 151.2093), (-36.8485, 174.7633), 2155.901303831338),  # Sydney - Auckland
    ((0.0, 179.5), (0.0, -179.5), 111.19508023353322),  # one degree across the antimeridian
    ((89.9, 0.0), (89.9, 180.0), 22.23901604670598),  # over the North Pole
    ((-89.9, 45.0), (-89.9, -135.0), 22.23901604670598),  # over the South Pole
    ((0.0, 0.0), (0.0, 180.0), 20015.114442035923),  # antipodes on the equator
    ((90.0, 0.0), (-90.0, 0.0), 20015.114442035923),  # pole to pole
    ((18.5, -88.3), (18.5, -88.3), 0.0),
]

#: Pairs for comparing implementations, including the antimeridian and the poles.
PAIRS = [(*a, *b) for a, b, _ in KNOWN] + [
    (0.0, -179.9, 0.0, 179.9),
    (65.0, 179.0, 66.0, -179.0),
    (-45.0, -179.99, -45.5, 179.99),
    (89.999, -10.0, 89.999, 170.0),
    (-89.99, 0.0, 89.99, 0.0),
    (10.0, 20.0, -10.0, -160.0),
]


def test_the_earth_radius_is_the_mean_radius_used_so_far() -> None:
    assert EARTH_RADIUS_KM == 6371.0088


@pytest.mark.parametrize(("a", "b", "km"), KNOWN)
def test_known_distances_are_exactly_the_numbers_from_before(
    a: tuple[float, float], b: tuple[float, float], km: float
) -> None:
    assert haversine_km(*a, *b) == km
    assert haversine_km(*b, *a) == km


def test_half_the_globe_and_one_degree_of_a_meridian() -> None:
    assert haversine_km(0.0, 0.0, 0.0, 180.0) == pytest.approx(math.pi * EARTH_RADIUS_KM, rel=1e-15)
    assert haversine_km(10.0, 5.0, 11.0, 5.0) == pytest.approx(EARTH_RADIUS_KM * math.pi / 180, rel=1e-12)


def test_the_batch_form_gives_the_same_floats_and_keeps_missing_points_missing() -> None:
    rng = random.Random(11)
    points = [(rng.uniform(-90, 90), rng.uniform(-180, 180)) for _ in range(300)] + [(a, b) for a, b, _, _ in PAIRS]
    prepared = [prepare(lat, lon) for lat, lon in points]
    for lat1, lon1 in points[::17]:
        row = distances_km(prepare(lat1, lon1), [*prepared, None])
        assert row == [*(haversine_km(lat1, lon1, lat2, lon2) for lat2, lon2 in points), None]


def test_the_embedded_engines_sql_distance_agrees_with_the_python_one() -> None:
    from search_index import embedded_sql

    assert embedded_sql.EARTH_RADIUS_KM == EARTH_RADIUS_KM
    db = sqlite3.connect(":memory:")
    try:
        for lat1, lon1, lat2, lon2 in PAIRS:
            sql, params = embedded_sql.distance_sql(lat1, lon1)
            (km,) = db.execute(f"SELECT {sql} FROM (SELECT ? AS lat, ? AS lon) AS d", [*params, lat2, lon2]).fetchone()
            assert km == pytest.approx(haversine_km(lat1, lon1, lat2, lon2), abs=1e-6), (lat1, lon1, lat2, lon2)
    finally:
        db.close()
