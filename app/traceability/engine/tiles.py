"""Checking a country's plots a cell at a time: each cell's plots with every plot that may touch them, so the shapes
of a whole country are never all in memory at once while overlaps and duplicates are still found exactly."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.traceability.model import Plot

#: Side of the square cells (degrees): a cell's plots are checked with the plots of the 3 x 3 cells around it.
TILE_DEGREES = 0.05


def bounds(geometry: Any) -> tuple[float, float, float, float] | None:
    """(min lon, min lat, max lon, max lat) of a Point or Polygon as stored; None when it has no usable numbers."""
    coordinates = geometry.get("coordinates") if isinstance(geometry, dict) else None
    points: list[tuple[float, float]] = []

    def walk(value: Any) -> None:
        if isinstance(value, list) and len(value) >= 2 and all(isinstance(v, int | float) for v in value[:2]):
            points.append((float(value[0]), float(value[1])))
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(coordinates)
    if not points:
        return None
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _cell(value: float) -> int:
    return int(value // TILE_DEGREES)


def tiles(plots: Mapping[str, Plot]) -> list[tuple[list[str], list[str]]]:
    """``tiles_of`` the plots' bounding boxes."""
    return tiles_of({ref: bounds(plot.geometry) for ref, plot in plots.items()})


Box = tuple[float, float, float, float]


def tiles_of(boxes: Mapping[str, Box | None]) -> list[tuple[list[str], list[str]]]:
    """(subjects, the plots they are checked with) covering every plot once as a subject, from each plot's bounding
    box (``bounds``), cell after cell in order, so a caller can read the plots of a few cells at a time.

    A plot that could overlap or duplicate a subject shares a point with it, so its bounding box's corner lies in the
    3 x 3 cells around the subject's when both are narrower than a cell. A wider plot is checked with every plot in
    the cells its box spans (one cell more around), and is a neighbour of each of those cells; a plot without
    coordinates touches nothing and is checked alone."""
    cells: dict[tuple[int, int], list[str]] = {}
    wide: dict[str, tuple[int, int, int, int]] = {}
    alone: list[str] = []
    for ref, box in boxes.items():
        if box is None:
            alone.append(ref)
        elif box[2] - box[0] >= TILE_DEGREES or box[3] - box[1] >= TILE_DEGREES:
            wide[ref] = (_cell(box[0]) - 1, _cell(box[1]) - 1, _cell(box[2]) + 1, _cell(box[3]) + 1)
        else:
            cells.setdefault((_cell(box[0]), _cell(box[1])), []).append(ref)

    def covering(x: int, y: int) -> list[str]:
        return [r for r, (x0, y0, x1, y1) in wide.items() if x0 <= x <= x1 and y0 <= y <= y1]

    out = []
    for (x, y), subjects in sorted(cells.items()):
        near = [r for dx in (-1, 0, 1) for dy in (-1, 0, 1) for r in cells.get((x + dx, y + dy), [])]
        out.append((subjects, near + covering(x, y)))
    for ref, (x0, y0, x1, y1) in wide.items():
        near = [r for (x, y), refs in cells.items() if x0 <= x <= x1 and y0 <= y <= y1 for r in refs]
        others = [r for r, (a0, b0, a1, b1) in wide.items() if a0 <= x1 and x0 <= a1 and b0 <= y1 and y0 <= b1]
        out.append(([ref], near + others))
    if alone:
        out.append((alone, alone))
    return out
