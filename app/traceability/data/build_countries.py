"""Build ``countries.json.gz`` (country outlines keyed by ISO 3166-1 alpha-2) from world-atlas's TopoJSON.

A one-off maintenance script, never run by the app. See README.md next to it for the source, the licence and the
precision. Usage::

    cd /tmp && npm pack world-atlas@2 && tar xzf world-atlas-2.*.tgz
    python app/traceability/data/build_countries.py /tmp/package/countries-10m.json

The TopoJSON is decoded here (delta-encoded quantized arcs, a negative index reads arc ``~i`` backwards), the
polygons of one country are merged, simplified with a tolerance of ``SIMPLIFY_DEG`` degrees (topology preserved)
and their coordinates rounded to ``DECIMALS`` decimals; the result is written as compact JSON, gzip-compressed.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pycountry
import shapely
from shapely.geometry import MultiPolygon, Polygon, mapping
from shapely.ops import unary_union

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "countries.json.gz"

#: Douglas-Peucker tolerance in degrees (0.001 deg is 111 m of latitude): far below the check's 1 km tolerance.
SIMPLIFY_DEG = 0.001
#: Decimals kept (0.001 deg: at most 56 m of rounding per coordinate).
DECIMALS = 3

#: Natural Earth units that world-atlas gives no ISO numeric id, counted with the country ISO 3166 files them under.
#: Disputed or unassigned areas (Siachen Glacier, the Spratly Islands, reefs and banks, the UK sovereign base areas
#: on Cyprus, Kosovo, Clipperton) are left out: no plot can then be flagged as outside a country for lying there.
EXTRA_UNITS = {
    "Somaliland": "SO",
    "N. Cyprus": "CY",
    "Cyprus U.N. Buffer Zone": "CY",
    "Baikonur": "KZ",
    "USNB Guantanamo Bay": "CU",
}


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Absolute [lon, lat] positions of every arc (quantized, delta-encoded in the file)."""
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def ring(indexes: list[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Stitch arcs into one ring; each arc after the first starts where the previous one ended."""
    out: list[tuple[float, float]] = []
    for index in indexes:
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        out.extend(points if not out else points[1:])
    return out


def polygons(geometry: dict[str, Any], arcs: list[list[tuple[float, float]]]) -> list[Polygon]:
    parts = geometry["arcs"] if geometry["type"] == "MultiPolygon" else [geometry["arcs"]]
    found = []
    for part in parts:
        # Quantization collapses some tiny islets and lakes to fewer than 4 positions: nothing left to keep.
        rings = [ring(r, arcs) for r in part]
        if len(rings[0]) < 4:
            continue
        rings = rings[:1] + [r for r in rings[1:] if len(r) >= 4]
        shape = Polygon(rings[0], rings[1:])
        found.append(shape if shape.is_valid else shapely.make_valid(shape))
    return found


def alpha2(geometry: dict[str, Any]) -> str | None:
    """ISO 3166-1 alpha-2 code from world-atlas's ISO numeric id (or the name, for the units listed above)."""
    numeric = geometry.get("id")
    if numeric is None:
        return EXTRA_UNITS.get(geometry.get("properties", {}).get("name", ""))
    country = pycountry.countries.get(numeric=str(numeric).zfill(3))
    return country.alpha_2 if country else None


def only_polygons(shape: Any) -> MultiPolygon:
    """The areal part of a shape, flattened (make_valid can nest collections and leave stray lines)."""
    flat: list[Polygon] = []
    stack = [shape]
    while stack:
        item = stack.pop()
        if isinstance(item, Polygon):
            if not item.is_empty:
                flat.append(item)
        elif hasattr(item, "geoms"):
            stack.extend(item.geoms)
    return MultiPolygon(sorted(flat, key=lambda p: p.bounds))


def build(source: Path) -> dict[str, Any]:
    topology = json.loads(source.read_text(encoding="utf-8"))
    arcs = decode_arcs(topology)
    by_code: dict[str, list[Polygon]] = {}
    skipped = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        code = alpha2(geometry)
        if code is None:
            skipped.append(geometry.get("properties", {}).get("name", "?"))
            continue
        if geometry.get("type") in {"Polygon", "MultiPolygon"}:
            by_code.setdefault(code, []).extend(polygons(geometry, arcs))
    countries = {}
    for code in sorted(by_code):
        merged = unary_union(by_code[code]).simplify(SIMPLIFY_DEG, preserve_topology=True)
        # Round each coordinate (set_precision would snap tiny islets away); repair the rare ring that then touches.
        rounded = shapely.transform(merged, lambda xy: np.round(xy, DECIMALS))
        if not rounded.is_valid:
            rounded = shapely.make_valid(rounded, method="structure", keep_collapsed=False)
        countries[code] = mapping(only_polygons(rounded))
    print(f"{len(countries)} countries; left out: {', '.join(sorted(skipped))}", file=sys.stderr)
    return {
        "source": "Natural Earth admin-0 countries 1:10m v4.1.0 via world-atlas@2 countries-10m.json",
        "simplify_deg": SIMPLIFY_DEG,
        "decimals": DECIMALS,
        "countries": countries,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="world-atlas countries-10m.json")
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    data = build(args.source)
    text = json.dumps(data, separators=(",", ":"), sort_keys=True)
    # mtime=0: the same source gives the same bytes, so a rebuild shows no spurious diff.
    with gzip.GzipFile(args.output, "wb", compresslevel=9, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    print(f"wrote {args.output} ({args.output.stat().st_size:,} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
