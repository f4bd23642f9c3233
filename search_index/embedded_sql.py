"""SQL for the embedded backend's queries: structured filters, sort keys and ScoreSort sums over the ``docs`` table
(aliased ``d``), always with bound parameters."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from search_index.embedded_store import Layout, col, sql_value
from search_index.query import (
    AnyOf,
    Eq,
    Filter,
    GeoRadius,
    GeoSort,
    Lookup,
    Nearness,
    Not,
    Ramp,
    Range,
    ScoreSort,
    SortSpec,
)

EARTH_RADIUS_KM = 6371.0088


def distance_sql(lat: float, lon: float) -> tuple[str, list[Any]]:
    """Haversine distance in km from (lat, lon) to the document's point (NULL without one)."""
    sql = (
        f"({2 * EARTH_RADIUS_KM!r} * asin(min(1.0, sqrt(pow(sin(radians(d.lat - ?) / 2), 2) + "
        "cos(radians(?)) * cos(radians(d.lat)) * pow(sin(radians(d.lon - ?) / 2), 2)))))"
    )
    return sql, [lat, lat, lon]


class FilterCompiler:
    """Translate structured filters into SQL over ``d`` (the docs table) with bound parameters."""

    def __init__(self, layout: Layout, list_fields: set[str]) -> None:
        self.layout = layout
        self.list_fields = list_fields
        self.params: list[Any] = []

    def _membership(self, field: str, condition: str, params: list[Any]) -> str:
        if field in self.list_fields:
            # "rid IN (...)" lets SQLite either drive from the values index or test membership in the set.
            self.params.append(field)
            self.params.extend(params)
            return f"d.rid IN (SELECT v.rid FROM {self.layout.vals} v WHERE v.field = ? AND v.value {condition})"
        self.params.extend(params)
        return f"d.{col(field)} {condition}"

    def compile(self, flt: Filter) -> str:
        if isinstance(flt, Eq):
            return self._membership(flt.field, "= ?", [sql_value(flt.value)])
        if isinstance(flt, AnyOf):
            if not flt.values:
                return "0"
            marks = ", ".join("?" * len(flt.values))
            return self._membership(flt.field, f"IN ({marks})", [sql_value(v) for v in flt.values])
        if isinstance(flt, Range):
            # One-sided ranges stay one-sided: SQLite's planner takes "BETWEEN" as very selective (1/64 of the rows)
            # and would drive every query from an open-ended range.
            if flt.gte is None:
                return self._membership(flt.field, "<= ?", [flt.lte])
            if flt.lte is None:
                return self._membership(flt.field, ">= ?", [flt.gte])
            return self._membership(flt.field, "BETWEEN ? AND ?", [flt.gte, flt.lte])
        if isinstance(flt, Not):
            return f"NOT IFNULL(({self.compile(flt.filter)}), 0)"
        if isinstance(flt, GeoRadius):
            return self._geo_radius(flt)
        raise ValueError(f"unsupported filter {flt!r}")

    def _geo_radius(self, flt: GeoRadius) -> str:
        angle = flt.radius_km / EARTH_RADIUS_KM
        parts = ["d.lat IS NOT NULL"]
        if angle < math.pi / 2:
            dlat = math.degrees(angle) + 1e-9
            parts.append("d.lat BETWEEN ? AND ?")
            self.params += [flt.lat - dlat, flt.lat + dlat]
            if abs(flt.lat) + dlat < 90:
                dlon = math.degrees(math.asin(math.sin(angle) / math.cos(math.radians(flt.lat)))) + 1e-9
                low, high = flt.lon - dlon, flt.lon + dlon
                if low < -180:
                    parts.append("(d.lon >= ? OR d.lon <= ?)")
                    self.params += [low + 360, high]
                elif high > 180:
                    parts.append("(d.lon >= ? OR d.lon <= ?)")
                    self.params += [low, high - 360]
                else:
                    parts.append("d.lon BETWEEN ? AND ?")
                    self.params += [low, high]
        dist, params = distance_sql(flt.lat, flt.lon)
        parts.append(f"{dist} <= ?")
        self.params += [*params, flt.radius_km]
        return "(" + " AND ".join(parts) + ")"


def score_sql(spec: ScoreSort, layout: Layout, list_fields: set[str]) -> tuple[str, list[Any]]:
    """The sum of a ScoreSort's parts as one SQL expression over ``d``, with its parameters."""
    terms: list[str] = []
    params: list[Any] = []
    for part in spec.parts:
        if isinstance(part, Ramp):
            # min/max of NULL is NULL: documents without a number score 0.
            terms.append(f"coalesce(? * max(0.0, min(1.0, (d.{col(part.field)} - ?) / ?)), 0.0)")
            params += [part.weight, part.zero, float(part.full - part.zero)]
        elif isinstance(part, Lookup):
            cases = " ".join("WHEN ? THEN ?" for _ in part.weights)
            values = [x for value, weight in part.weights for x in (sql_value(value), weight)]
            if not part.weights:
                terms.append("?")
                params.append(part.default)
            elif part.field in list_fields and all(w >= part.default for _, w in part.weights):
                # Largest weight first: one "rid IN (...)" set per weight, built once per query, instead of a
                # subquery per document.
                by_weight: dict[float, list[Any]] = {}
                for value, weight in part.weights:
                    by_weight.setdefault(weight, []).append(sql_value(value))
                clauses = []
                for weight, group in sorted(by_weight.items(), reverse=True):
                    clauses.append(
                        f"WHEN d.rid IN (SELECT v.rid FROM {layout.vals} v WHERE v.field = ? "
                        f"AND v.value IN ({', '.join('?' * len(group))})) THEN ?"
                    )
                    params += [part.field, *group, weight]
                terms.append(f"(CASE {' '.join(clauses)} ELSE ? END)")
                params.append(part.default)
            elif part.field in list_fields:
                terms.append(
                    f"coalesce((SELECT max(CASE v.value {cases} ELSE ? END) FROM {layout.vals} v "
                    "WHERE v.field = ? AND v.rid = d.rid), ?)"
                )
                params += [*values, part.default, part.field, part.default]
            else:
                terms.append(f"(CASE d.{col(part.field)} {cases} ELSE ? END)")
                params += [*values, part.default]
        elif isinstance(part, Nearness):
            dist, dist_params = distance_sql(part.lat, part.lon)
            terms.append(f"(CASE WHEN d.lat IS NULL THEN ? ELSE ? / (1.0 + {dist} / ?) END)")
            params += [part.missing, part.weight, *dist_params, part.half_km]
        else:
            raise ValueError(f"unsupported score part {part!r}")
    return "(" + (" + ".join(terms) or "0.0") + ")", params


def order_sql(
    sort: Sequence[SortSpec | GeoSort | ScoreSort],
) -> tuple[list[tuple[str, str]], list[Any], tuple[str, list[Any]] | None]:
    """(expression, ASC|DESC) sort keys (missing values last), their parameters, and the first GeoSort's distance."""
    terms: list[tuple[str, str]] = []
    params: list[Any] = []
    distance: tuple[str, list[Any]] | None = None
    for spec in sort:
        if isinstance(spec, ScoreSort):
            continue  # ordered by the score column (see embedded_search)
        if isinstance(spec, SortSpec):
            terms += [
                (f"(d.{col(spec.field)} IS NULL)", "ASC"),
                (f"d.{col(spec.field)}", "DESC" if spec.descending else "ASC"),
            ]
        else:
            sql, p = distance_sql(spec.lat, spec.lon)
            distance = distance or (sql, p)
            terms += [("(d.lat IS NULL)", "ASC"), (sql, "ASC")]
            params += p
    return terms, params, distance
