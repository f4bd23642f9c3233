"""The map without a network: the shipped country outline (static/geo) and points in projected degrees.

The outline is Natural Earth 1:110m admin-0 countries from the npm package ``world-atlas@2.0.2`` (public
domain data; package ISC), converted once to GeoJSON with ``topojson-client@3.1.0``; see static/geo/README.md.
``python -m app.analytics.geo`` writes the static SVG the no-JavaScript fallback draws under its points.
Projection for the fallback: equirectangular, x = lon + 180, y = 90 - lat.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass

from app.analytics.schemas import MapPoint
from app.web.static_assets import static_file

WORLD_GEOJSON = "geo/world-110m.geojson"
WORLD_SVG = "geo/world-110m.svg"


def world_path() -> str:
    """One SVG path of every country outline, in projected degrees."""
    data = json.loads(static_file(WORLD_GEOJSON).read_text(encoding="utf-8"))
    parts: list[str] = []
    for feature in data["features"]:
        geometry = feature["geometry"]
        polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
        for polygon in polygons:
            for ring in polygon:
                pts = [f"{round(lon + 180, 1):g} {round(90 - lat, 1):g}" for lon, lat in ring]
                parts.append("M" + "L".join(pts) + "Z")
    return "".join(parts)


def write_world_svg() -> int:
    """Write static/geo/world-110m.svg from the GeoJSON; returns its size in bytes."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 360 180" width="360" height="180">'
        f'<path d="{world_path()}" fill="#e4eadf" stroke="#98a890" stroke-width="0.15"/></svg>\n'
    )
    static_file(WORLD_SVG).write_text(svg, encoding="utf-8")
    return len(svg.encode())


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
    print(f"wrote static/{WORLD_SVG}: {write_world_svg()} bytes")
