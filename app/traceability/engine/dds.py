"""Due-diligence files: the lot's plots as GeoJSON FeatureCollections the EU information system reads (EUDR).

One feature per plot, coordinates rounded to 6 decimals (about 0.1 m), properties ``ProducerName`` (the member's
name only with ``consent_share_identity``, else its member code), ``ProducerCountry`` (the plot's country, ISO
3166-1 alpha-2: where the latex was produced), ``ProductionPlace`` (the member's locality) and ``Area`` (hectares:
the declared area, else the polygon's geodesic area). Plots are grouped by member so a producer's plots stay in one
file; a new file starts before one would hold more than ``max_producers`` producers or its ``dds_bytes`` would
exceed ``max_bytes`` (a single producer larger than that is split across files). The refusal while the lot has an
error check is here too: pass the lot's checks and ``dds_files`` raises ``DdsRefusedError``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from itertools import groupby
from typing import Any

from app.traceability.engine.geometry import DECIMALS, geodesic_area_ha, parse_plot
from app.traceability.engine.messages import ERROR, make_check
from app.traceability.model import Check, Member, Plot

MAX_PRODUCERS = 1000
MAX_BYTES = 25 * 1024 * 1024
_EMPTY = {"type": "FeatureCollection", "features": []}


class DdsRefusedError(ValueError):
    """No due-diligence file while error checks stand (the lot's, or a plot whose geometry does not parse)."""

    def __init__(self, checks: Iterable[Check]) -> None:
        self.checks = tuple(checks)
        super().__init__("due-diligence file refused: " + ", ".join(f"{c.code} {c.ref}" for c in self.checks))


def dds_bytes(collection: Mapping[str, Any]) -> bytes:
    """A collection serialized the way its size was counted: compact UTF-8 JSON."""
    return json.dumps(collection, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _round_ring(ring: list[list[float]]) -> list[list[float]]:
    rounded = [[round(x, DECIMALS), round(y, DECIMALS)] for x, y, *_ in ring]
    # Rounding can make neighbours equal: drop the repeats, then close the ring again.
    kept = [p for i, p in enumerate(rounded) if i == 0 or p != rounded[i - 1]]
    if kept[-1] != kept[0]:
        kept.append(kept[0])
    return kept if len(kept) >= 4 else rounded


def rounded_geometry(geometry: Mapping[str, Any]) -> dict[str, Any]:
    """A parsed Point or Polygon with its coordinates rounded to 6 decimals."""
    coordinates = geometry["coordinates"]
    if geometry["type"] == "Point":
        return {"type": "Point", "coordinates": [round(coordinates[0], DECIMALS), round(coordinates[1], DECIMALS)]}
    return {"type": "Polygon", "coordinates": [_round_ring(list(ring)) for ring in coordinates]}


def dds_feature(plot: Plot, member: Member) -> dict[str, Any]:
    """One plot as a GeoJSON feature of the due-diligence file (its geometry must parse)."""
    area = plot.area_ha
    if area is None:
        shape = parse_plot(plot).shape
        area = round(geodesic_area_ha(shape), 4) if shape is not None else None
    return {
        "type": "Feature",
        "geometry": rounded_geometry(plot.geometry),
        "properties": {
            "ProducerName": member.name if member.consent_share_identity else member.member_code,
            "ProducerCountry": (plot.country or member.country).upper(),
            "ProductionPlace": member.locality,
            "Area": float(area) if area is not None else None,
        },
    }


def dds_files(
    plots: Iterable[Plot] | Mapping[str, Plot],
    members: Mapping[str, Member],
    *,
    checks: Iterable[Check] = (),
    max_producers: int = MAX_PRODUCERS,
    max_bytes: int = MAX_BYTES,
) -> list[dict[str, Any]]:
    """The due-diligence FeatureCollections of these plots (raises DdsRefusedError while an error check stands)."""
    items = list(plots.values()) if isinstance(plots, Mapping) else list(plots)
    unique = sorted({p.ref: p for p in items}.values(), key=lambda p: (p.member, p.ref))
    errors = [c for c in checks if c.severity == ERROR]
    for plot in unique:
        problem = parse_plot(plot).problem
        if problem is not None:
            errors.append(make_check("GEOM_INVALID", ERROR, plot.ref, problem))
    if errors:
        raise DdsRefusedError(errors)
    files: list[list[dict[str, Any]]] = []
    current: list[dict[str, Any]] = []
    producers: set[str] = set()
    empty = len(dds_bytes(_EMPTY))
    size = empty
    for member_ref, group in groupby(unique, key=lambda p: p.member):
        features = [dds_feature(plot, members[member_ref]) for plot in group]
        sizes = [len(dds_bytes(f)) for f in features]
        if current and (len(producers) >= max_producers or size + sum(sizes) + len(sizes) > max_bytes):
            files.append(current)
            current, producers, size = [], set(), empty
        for feature, feature_size in zip(features, sizes, strict=True):
            if current and size + feature_size + 1 > max_bytes:
                files.append(current)
                current, producers, size = [], set(), empty
            size += feature_size + (1 if current else 0)
            current.append(feature)
            producers.add(member_ref)
    if current:
        files.append(current)
    return [{"type": "FeatureCollection", "features": features} for features in files]
