"""Plot geometry: parse GeoJSON Points and Polygons, geodesic areas, and the plot checks that need only geometry.

Checks here: ``GEOM_INVALID``, ``POINT_OVER_4HA``, ``AREA_MISMATCH``, ``OUTSIDE_COUNTRY`` (one plot at a time) and
``DUPLICATE_GEOMETRY``, ``PLOT_OVERLAP`` (a set of plots, through an STRtree). Areas are geodesic on the WGS84
ellipsoid (pyproj); overlap shares are planar ratios in degrees, which for plots a few km wide differ from the
geodesic ratio by far less than the 5 % threshold's precision. Boundaries compare at 1e-9, so a declared area
exactly 10 % off (relative to the outline's geodesic area) and an overlap of exactly 5 % pass.

``OUTSIDE_COUNTRY`` reads the shipped Natural Earth outlines (``app/traceability/data``, see its README) once per
process, allows 1 km at borders and coasts, and says nothing for a country code the file does not hold.
"""

from __future__ import annotations

import gzip
import json
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry import Point, Polygon
from shapely.geometry.base import BaseGeometry

from app.geo import EARTH_RADIUS_KM
from app.traceability.engine.messages import ERROR, make_check
from app.traceability.model import Check, Plot, Thresholds

COUNTRIES_FILE = Path(__file__).resolve().parent.parent / "data" / "countries.json.gz"
#: How far outside its country's outline a plot may reach (the outlines are a 1:10m generalisation).
BORDER_TOLERANCE_KM = 1.0
#: Digits a geometry is rounded to before comparing for duplicates (and in due-diligence files): about 0.1 m.
DECIMALS = 6

_GEOD = Geod(ellps="WGS84")
_KM_PER_DEGREE = math.pi / 180 * EARTH_RADIUS_KM


@dataclass(frozen=True)
class ParsedPlot:
    """A plot's shape (None when it does not parse) and its area in hectares (declared, else geodesic)."""

    ref: str
    member: str
    shape: Point | Polygon | None
    problem: str | None  # message key of GEOM_INVALID
    area_ha: float | None


def _position(value: Any) -> tuple[float, float] | None:
    if not isinstance(value, list | tuple) or len(value) < 2:
        return None
    lon, lat = value[0], value[1]
    for number in (lon, lat):
        if isinstance(number, bool) or not isinstance(number, int | float) or not math.isfinite(number):
            return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return None
    return (float(lon), float(lat))


def parse_geometry(geometry: Any) -> tuple[Point | Polygon | None, str | None]:
    """The shapely shape of a GeoJSON Point or Polygon, or None and the message key of what is wrong with it."""
    if not isinstance(geometry, Mapping) or geometry.get("type") not in ("Point", "Polygon"):
        return None, "geom_type"
    coordinates = geometry.get("coordinates")
    if geometry["type"] == "Point":
        position = _position(coordinates)
        return (Point(position), None) if position else (None, "geom_coordinates")
    if not isinstance(coordinates, list | tuple) or not all(isinstance(r, list | tuple) for r in coordinates):
        return None, "geom_coordinates"
    if len(coordinates) > 1:
        return None, "geom_hole"
    ring = [_position(p) for p in coordinates[0]] if coordinates else []
    if any(p is None for p in ring):
        return None, "geom_coordinates"
    if len(ring) < 4:
        return None, "geom_few_positions"
    if ring[0] != ring[-1]:
        return None, "geom_unclosed"
    # From an array: shapely converts a list of tuples position by position, several times slower.
    polygon = shapely.polygons(np.array(ring, dtype=float))
    if not polygon.is_valid:
        reason = shapely.is_valid_reason(polygon)
        if "Self-intersection" in reason:
            return None, "geom_self_intersection"
        return None, "geom_few_positions" if "Too few points" in reason else "geom_invalid"
    return polygon, None


def geodesic_area_ha(shape: BaseGeometry) -> float:
    """Area on the WGS84 ellipsoid in hectares (whatever the ring's orientation)."""
    if isinstance(shape, Polygon) and not shape.interiors:
        # The outer ring's coordinates as arrays: pyproj's generic path reads them point by point.
        xy = shapely.get_coordinates(shape.exterior)
        area, _perimeter = _GEOD.polygon_area_perimeter(xy[:, 0], xy[:, 1])
    else:
        area, _perimeter = _GEOD.geometry_area_perimeter(shape)
    return abs(area) / 10_000


def parse_plot(plot: Plot) -> ParsedPlot:
    """Parse a plot's geometry and settle its area (the declared one, else the polygon's geodesic area)."""
    shape, problem = parse_geometry(plot.geometry)
    area = plot.area_ha
    if area is None and isinstance(shape, Polygon):
        area = geodesic_area_ha(shape)
    if problem is None and isinstance(shape, Point) and plot.area_ha is None:
        problem = "point_no_area"
    return ParsedPlot(plot.ref, plot.member, shape, problem, None if area is None else float(area))


def location(plot: Plot) -> tuple[float, float] | None:
    """(latitude, longitude) of a plot: its point, or the mean of its outline's vertices (None when it does not parse).

    Cheap on purpose (no shapely object): a lot's distance checks need it for thousands of plots, to the km."""
    geometry = plot.geometry
    kind = geometry.get("type") if isinstance(geometry, Mapping) else None
    coordinates = geometry.get("coordinates") if kind else None
    if kind == "Point":
        position = _position(coordinates)
        return (position[1], position[0]) if position else None
    if kind != "Polygon" or not isinstance(coordinates, list | tuple) or not coordinates:
        return None
    ring = coordinates[0] if isinstance(coordinates[0], list | tuple) else []
    positions = [p for p in map(_position, ring[:-1]) if p is not None]
    if not positions or len(positions) != len(ring) - 1:
        return None
    return (sum(p[1] for p in positions) / len(positions), sum(p[0] for p in positions) / len(positions))


def area_ha(plot: Plot) -> float | None:
    """A plot's area in hectares: the declared one, else its polygon's geodesic area (None when unknown)."""
    if plot.area_ha is not None:
        return float(plot.area_ha)
    return parse_plot(plot).area_ha


def _over(value: float, limit: float) -> bool:
    """``value > limit`` at 1e-9: a ratio computed as exactly the limit is not over it."""
    return round(value, 9) > limit


def plot_checks(plot: Plot, parsed: ParsedPlot, thresholds: Thresholds) -> list[Check]:
    """GEOM_INVALID, POINT_OVER_4HA and AREA_MISMATCH of one plot."""
    if parsed.problem is not None:
        return [make_check("GEOM_INVALID", ERROR, plot.ref, parsed.problem)]
    found = []
    if isinstance(parsed.shape, Point) and plot.area_ha is not None and plot.area_ha > thresholds.point_max_ha:
        found.append(
            make_check(
                "POINT_OVER_4HA", ERROR, plot.ref, "point_over_limit", area=plot.area_ha, limit=thresholds.point_max_ha
            )
        )
    if isinstance(parsed.shape, Polygon) and plot.area_ha is not None:
        measured = geodesic_area_ha(parsed.shape)
        if measured > 0 and _over(abs(plot.area_ha - measured) / measured, thresholds.area_tolerance):
            found.append(
                make_check(
                    "AREA_MISMATCH",
                    ERROR,
                    plot.ref,
                    "area_mismatch",
                    declared=float(plot.area_ha),
                    measured=round(measured, 2),
                    tolerance=round(thresholds.area_tolerance * 100, 2),
                )
            )
    return found


@cache
def _country_outlines() -> dict[str, Any]:
    # Read once per process, on the first country check (about half a second): never at import.
    with gzip.open(COUNTRIES_FILE, "rt", encoding="utf-8") as handle:
        return json.load(handle)["countries"]


@cache
def country_shape(code: str) -> BaseGeometry | None:
    """The outline of an ISO 3166-1 alpha-2 country, prepared for fast predicates; None when not in the file."""
    data = _country_outlines().get(code.upper())
    if data is None:
        return None
    shape = shapely.geometry.shape(data)
    shapely.prepare(shape)
    return shape


def distance_outside_km(country: BaseGeometry, lon: float, lat: float, limit_km: float) -> float:
    """Distance in km from a position to a country's outline, exact enough up to ``limit_km`` (inf beyond)."""
    half_lat = 2 * limit_km / _KM_PER_DEGREE
    cos_lat = max(math.cos(math.radians(lat)), 0.01)
    half_lon = half_lat / cos_lat
    near = shapely.clip_by_rect(country, lon - half_lon, lat - half_lat, lon + half_lon, lat + half_lat)
    if near.is_empty:
        return math.inf
    # A local equirectangular projection around the position: exact to well under a metre at this scale.
    local = shapely.transform(
        near, lambda xy: np.column_stack(((xy[:, 0] - lon) * cos_lat, xy[:, 1] - lat)) * _KM_PER_DEGREE
    )
    return float(local.distance(Point(0.0, 0.0)))


def outside_country(shape: BaseGeometry, code: str, tolerance_km: float = BORDER_TOLERANCE_KM) -> bool | None:
    """Whether a plot reaches more than ``tolerance_km`` outside its country; None when the country is unknown.

    Every vertex is tested: inside the outline, or within the tolerance of it."""
    return outside_country_many([shape], code, tolerance_km)[0]


def outside_country_many(
    shapes: Sequence[BaseGeometry], code: str, tolerance_km: float = BORDER_TOLERANCE_KM
) -> list[bool | None]:
    """``outside_country`` for many plots of one country, with one point-in-polygon call for all their vertices."""
    country = country_shape(code) if code else None
    if country is None or not shapes:
        return [None] * len(shapes)
    xy, owner = shapely.get_coordinates(np.array(shapes, dtype=object), return_index=True)
    inside = shapely.contains_xy(country, xy[:, 0], xy[:, 1])
    found: list[bool | None] = [False] * len(shapes)
    for k in np.flatnonzero(~inside).tolist():
        i = int(owner[k])
        if not found[i] and distance_outside_km(country, float(xy[k, 0]), float(xy[k, 1]), tolerance_km) > tolerance_km:
            found[i] = True
    return found


def country_checks(plots: Sequence[tuple[Plot, ParsedPlot]], country: str) -> list[Check]:
    """OUTSIDE_COUNTRY among plots of one declared country (nothing when it is not in the shipped outlines)."""
    shaped = [(plot, parsed.shape) for plot, parsed in plots if parsed.shape is not None]
    outside = outside_country_many([shape for _, shape in shaped], country)
    return [
        make_check("OUTSIDE_COUNTRY", ERROR, plot.ref, "outside_country", country=country.upper())
        for (plot, _), out in zip(shaped, outside, strict=True)
        if out
    ]


def _duplicate_keys(shapes: list[BaseGeometry]) -> list[bytes]:
    rounded = shapely.transform(np.array(shapes, dtype=object), lambda xy: np.round(xy, DECIMALS))
    return list(shapely.to_wkb(shapely.normalize(rounded)))


def group_checks(
    parsed: Iterable[ParsedPlot], thresholds: Thresholds, subjects: Collection[str] | None = None
) -> list[Check]:
    """DUPLICATE_GEOMETRY and PLOT_OVERLAP among plots, on the plots in ``subjects`` (all of them when None)."""
    plots = sorted((p for p in parsed if p.shape is not None), key=lambda p: p.ref)
    if not plots:
        return []
    wanted = [subjects is None or p.ref in subjects for p in plots]
    keys = _duplicate_keys([p.shape for p in plots])
    found: list[Check] = []
    same: dict[bytes, list[int]] = {}
    for index, key in enumerate(keys):
        same.setdefault(key, []).append(index)
    for indexes in same.values():
        for i, j in ((i, j) for i in indexes for j in indexes if i != j and wanted[i]):
            other = plots[j].ref
            found.append(make_check("DUPLICATE_GEOMETRY", ERROR, plots[i].ref, "duplicate_geometry", other=other))
    found.extend(_overlaps(plots, keys, wanted, thresholds))
    return found


def _overlaps(plots: list[ParsedPlot], keys: list[bytes], wanted: list[bool], thresholds: Thresholds) -> list[Check]:
    polygons = [i for i, p in enumerate(plots) if isinstance(p.shape, Polygon)]
    if len(polygons) < 2:
        return []
    shapes = np.array([plots[i].shape for i in polygons], dtype=object)
    tree = shapely.STRtree(shapes)
    queried = [k for k, i in enumerate(polygons) if wanted[i]]
    left, right = tree.query(shapes[queried], predicate="intersects")
    pairs = {
        (min(a, b), max(a, b))
        for a, b in zip(np.asarray(queried)[left].tolist(), right.tolist(), strict=True)
        if a != b
        and plots[polygons[a]].member != plots[polygons[b]].member
        and keys[polygons[a]] != keys[polygons[b]]  # identical outlines are DUPLICATE_GEOMETRY already
    }
    if not pairs:
        return []
    first, second = (np.array(side) for side in zip(*sorted(pairs), strict=True))
    common = shapely.area(shapely.intersection(shapes[first], shapes[second]))
    smaller = np.minimum(shapely.area(shapes[first]), shapely.area(shapes[second]))
    found = []
    for a, b, inter, small in zip(first.tolist(), second.tolist(), common.tolist(), smaller.tolist(), strict=True):
        if small <= 0 or not _over(inter / small, thresholds.overlap_share):
            continue
        share = round(inter / small * 100, 1)
        for mine, other in ((a, b), (b, a)):
            if wanted[polygons[mine]]:
                ref, other_ref = plots[polygons[mine]].ref, plots[polygons[other]].ref
                found.append(make_check("PLOT_OVERLAP", ERROR, ref, "plot_overlap", other=other_ref, share=share))
    return found
