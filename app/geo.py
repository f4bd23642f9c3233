"""Distances on the Earth: the one great-circle (haversine) formula the app computes in Python.

Matching (distance limits, bundle cohesion), search results (distance shown when the engine gave none) and the demo
generator all measure with it, on the same mean Earth radius.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

#: Mean Earth radius in km (IUGG), the same one the search engines use.
EARTH_RADIUS_KM = 6371.0088

#: A point prepared for many distances from it: (latitude in radians, its cosine, longitude in degrees).
PreparedPoint = tuple[float, float, float]


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km between two points given in degrees."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def prepare(lat: float, lon: float) -> PreparedPoint:
    """The parts of ``haversine_km`` that depend on one point only, computed once for ``distances_km``."""
    p = math.radians(lat)
    return (p, math.cos(p), lon)


def distances_km(origin: PreparedPoint, points: Sequence[PreparedPoint | None]) -> list[float | None]:
    """``haversine_km`` from ``origin`` to each point (None stays None), bit for bit, for many points at once.

    The same operations as ``haversine_km`` with the per-point ones hoisted out of the loop (matching's bundles
    compare every seed with every candidate)."""
    p1, cos1, lon1 = origin
    sin, asin, sqrt, radians = math.sin, math.asin, math.sqrt, math.radians
    out: list[float | None] = []
    for point in points:
        if point is None:
            out.append(None)
            continue
        p2, cos2, lon2 = point
        a = sin((p2 - p1) / 2) ** 2 + cos1 * cos2 * sin(radians(lon2 - lon1) / 2) ** 2
        out.append(2 * EARTH_RADIUS_KM * asin(min(1.0, sqrt(a))))
    return out
