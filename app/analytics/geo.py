"""The map without a network: the shipped country outline (static/geo) and points in projected degrees.

The outline is Natural Earth 1:110m admin-0 countries from the npm package ``world-atlas@2.0.2`` (public
domain data; package ISC), converted once to GeoJSON with ``topojson-client@3.1.0``; see static/geo/README.md.
``python -m app.analytics.geo`` cuts the outline's rings at the antimeridian (``split_ring``) and writes the static
SVG the no-JavaScript fallback draws under its points.
Projection for the fallback: equirectangular, x = lon + 180, y = 90 - lat.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from app.analytics.schemas import MapPoint
from app.places import WORLD_OUTLINE
from app.web.static_assets import static_file

WORLD_GEOJSON = WORLD_OUTLINE
WORLD_SVG = "geo/world-110m.svg"


Point = tuple[float, float]
Ring = list[Point]


def _unwrap(ring: Ring) -> Ring:
    """The ring with longitudes made continuous: each step taken the short way round (179 -> -179 is +2, not -358)."""
    out = [ring[0]]
    for lon, lat in ring[1:]:
        step = lon - out[-1][0]
        step -= 360 * round(step / 360)
        out.append((round(out[-1][0] + step, 2), lat))
    return out


def _clip(points: Ring, edge: float, keep_below: bool) -> Ring:
    """Sutherland-Hodgman against one meridian: the part of an open ring at lon <= edge (or >= edge)."""

    def inside(point: Point) -> bool:
        return point[0] <= edge if keep_below else point[0] >= edge

    def crossing(a: Point, b: Point) -> Point:
        t = (edge - a[0]) / (b[0] - a[0])
        return (edge, round(a[1] + t * (b[1] - a[1]), 2))

    out: Ring = []
    for i, current in enumerate(points):
        previous = points[i - 1]
        if inside(current):
            if not inside(previous):
                out.append(crossing(previous, current))
            out.append(current)
        elif inside(previous):
            out.append(crossing(previous, current))
    return out


def _area(ring: Ring) -> float:
    return abs(sum(a[0] * b[1] - b[0] * a[1] for a, b in zip(ring, ring[1:] + ring[:1], strict=True))) / 2


def _plain(value: float) -> float | int:
    """Coordinates as the file writes them: 180 rather than 180.0, at most two decimals."""
    value = round(value, 2)
    return int(value) if value == int(value) else value


def split_ring(ring: Ring) -> list[Ring]:
    """A closed ring as closed rings that never cross the antimeridian (lon ±180).

    Drawn flat, a ring crossing ±180 joins a point near 180 to one near -180 with a line across the whole world.
    The ring is unwrapped, closed along the pole when it goes round one (Antarctica's ends meet only through the
    pole), then cut at ±180 into one piece per side. A ring that crosses nothing is returned as it is, so running
    this on its own output changes nothing.
    """
    raw = [(float(lon), float(lat)) for lon, lat in ring]
    if raw[0] != raw[-1]:
        raw.append(raw[0])
    points = _unwrap(raw)
    turn = points[-1][0] - points[0][0]  # 0, or ±360 for a ring that goes round a pole
    if abs(turn) > 180:
        # Close it along the pole instead of straight back: down to the pole, along it, up to the start.
        pole = -90.0 if sum(lat for _lon, lat in points) < 0 else 90.0
        end, start = points[-1][0], points[0][0]
        steps = max(1, math.ceil(abs(end - start) / 90))
        points += [(round(end + (start - end) * i / steps, 2), pole) for i in range(steps + 1)]
    else:
        points = points[:-1]  # the repeated first point; the clip works on an open ring
    low, high = min(p[0] for p in points), max(p[0] for p in points)
    if low >= -180 and high <= 180 and abs(turn) <= 180:
        return [[(lon, lat) for lon, lat in ring]]
    pieces: list[Ring] = []
    for shift in (-360.0, 0.0, 360.0):
        moved = [(lon + shift, lat) for lon, lat in points]
        piece = _clip(_clip(moved, 180, keep_below=True), -180, keep_below=False)
        if len(piece) >= 3 and _area(piece) > 0:
            closed: Ring = []
            for lon, lat in piece:  # a vertex on the cut comes out twice: keep one
                point = (_plain(lon), _plain(lat))
                if not closed or point != closed[-1]:
                    closed.append(point)
            if closed[-1] == closed[0]:
                closed.pop()
            pieces.append(closed + [closed[0]])
    return pieces


def split_geometry(geometry: dict[str, Any]) -> dict[str, Any]:
    """A Polygon or MultiPolygon with every ring cut at the antimeridian (a MultiPolygon when anything was cut)."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    out: list[list[Ring]] = []
    changed = False
    for polygon in polygons:
        outer = split_ring(polygon[0])
        holes = [piece for hole in polygon[1:] for piece in split_ring(hole)]
        changed = changed or len(outer) != 1 or outer[0] != [tuple(p) for p in polygon[0]]
        for piece in outer:
            lons = [lon for lon, _lat in piece]
            inside = [h for h in holes if min(lons) <= h[0][0] <= max(lons)]
            out.append([piece, *inside])
    if not changed:
        return geometry
    return {"type": "MultiPolygon", "coordinates": [[[list(p) for p in ring] for ring in poly] for poly in out]}


def load_world() -> dict[str, Any]:
    return json.loads(static_file(WORLD_GEOJSON).read_text(encoding="utf-8"))


def fix_world(data: dict[str, Any]) -> dict[str, Any]:
    """The outline with every ring that crosses the antimeridian cut there (see ``split_ring``)."""
    features = [{**f, "geometry": split_geometry(f["geometry"])} for f in data["features"]]
    return {**data, "features": features}


def world_path(data: dict[str, Any] | None = None) -> str:
    """One SVG path of every country outline, in projected degrees."""
    data = data or load_world()
    parts: list[str] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                pts = [f"{round(lon + 180, 1):g} {round(90 - lat, 1):g}" for lon, lat in ring]
                parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


def world_svg(data: dict[str, Any] | None = None) -> str:
    """The static outline the no-JavaScript map draws under its points."""
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180" width="360" height="180">'
        f'<path d="{world_path(data)}" fill="#e4eadf" stroke="#98a890" stroke-width="0.15"/></svg>\n'
    )


def write_world() -> tuple[int, int]:
    """Cut the shipped outline at the antimeridian (in place) and write the SVG from it; returns both sizes."""
    data = fix_world(load_world())
    geojson = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    static_file(WORLD_GEOJSON).write_text(geojson, encoding="utf-8")
    svg = world_svg(data)
    static_file(WORLD_SVG).write_text(svg, encoding="utf-8")
    return len(geojson.encode()), len(svg.encode())


@dataclass(frozen=True)
class MapDot:
    x: float
    y: float
    r: float
    count: int


@dataclass(frozen=True)
class StaticMap:
    view_box: str
    producers: list[MapDot]
    unmet: list[MapDot]


def static_map(producers: list[MapPoint], unmet: list[MapPoint]) -> StaticMap:
    """The view box around every point (the Americas when there are none) and the projected dots."""
    points = producers + unmet
    if points:
        lons, lats = [p.lon for p in points], [p.lat for p in points]
        x0, x1 = min(lons) + 180 - 8, max(lons) + 180 + 8
        y0, y1 = 90 - max(lats) - 8, 90 - min(lats) + 8
    else:
        x0, x1, y0, y1 = 10.0, 150.0, 15.0, 150.0
    x0, y0 = max(x0, 0.0), max(y0, 0.0)
    width, height = min(x1, 360.0) - x0, min(y1, 180.0) - y0
    scale = max(width, height) / 100

    def dots(items: list[MapPoint]) -> list[MapDot]:
        return [
            MapDot(
                x=round(p.lon + 180, 2),
                y=round(90 - p.lat, 2),
                r=round(scale * (0.6 + math.log2(max(p.count, 1))) * 0.5, 2),
                count=p.count,
            )
            for p in items
        ]

    return StaticMap(view_box=f"{x0:g} {y0:g} {width:g} {height:g}", producers=dots(producers), unmet=dots(unmet))


if __name__ == "__main__":
    sizes = write_world()
    print(f"wrote static/{WORLD_GEOJSON} ({sizes[0]} bytes) and static/{WORLD_SVG} ({sizes[1]} bytes)")
