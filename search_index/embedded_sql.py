"""SQL for the embedded backend's queries: structured filters, sort keys and ScoreSort sums over the ``docs`` table
(aliased ``d``), always with bound parameters."""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Sequence
from typing import Any

from search_index.embedded_store import Layout, col, sql_value
from search_index.index_settings import GEO
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
#: Radius up to which a GeoRadius filter may drive a query from the (lat, lon) index (a band about 5 degrees wide).
GEO_INDEX_MAX_KM = 300.0
#: Index entries a range filter may read to learn whether it is selective (see FilterCompiler._range).
RANGE_PROBE = 1000


def distance_sql(lat: float, lon: float) -> tuple[str, list[Any]]:
    """Haversine distance in km from (lat, lon) to the document's point (NULL without one)."""
    # Constants folded into parameters (it runs for every matching row): half-angles by one multiplication, the
    # cosine of the fixed latitude computed once here.
    half, full = math.pi / 360, math.pi / 180
    sql = (
        f"({2 * EARTH_RADIUS_KM!r} * asin(min(1.0, sqrt(pow(sin((d.lat - ?) * {half!r}), 2) + "
        f"? * cos(d.lat * {full!r}) * pow(sin((d.lon - ?) * {half!r}), 2)))))"
    )
    return sql, [lat, math.cos(math.radians(lat)), lon]


class FilterCompiler:
    """Translate structured filters into SQL over ``d`` (the docs table) with bound parameters."""

    def __init__(
        self,
        layout: Layout,
        list_fields: set[str],
        conn: sqlite3.Connection | None = None,
        filters: Sequence[Filter] = (),
    ) -> None:
        self.layout = layout
        self.list_fields = list_fields
        self.params: list[Any] = []
        #: For probing how many documents a range or a list value matches (see ``_range`` and ``_membership``).
        self.conn = conn
        #: Some top-level equality on a scalar column can drive the query from the covering index.
        self.scalar_driver = any(
            isinstance(f, (Eq, AnyOf)) and f.field not in list_fields and f.field != GEO for f in filters
        )

    def _membership(self, field: str, condition: str, params: list[Any], top: bool = False) -> str:
        if field in self.list_fields:
            # "rid IN (...)" lets SQLite either drive from the values index or test membership in the set.
            self.params.append(field)
            self.params.extend(params)
            subquery = f"(SELECT v.rid FROM {self.layout.vals} v WHERE v.field = ? AND v.value {condition})"
            if top and self.scalar_driver and self.conn is not None and self._broad(field, condition, params):
                # SQLite prefers driving from the values index: one table-row lookup per listed document (for
                # "hevea brasiliensis", every latex offer). When the values are broad and an equality on a scalar
                # column can seek the covering index instead, "+" keeps the set a membership test (3x faster
                # for the matcher's species-constrained candidate queries at 100k offers).
                return f"+d.rid IN {subquery}"
            return f"d.rid IN {subquery}"
        self.params.extend(params)
        return f"d.{col(field)} {condition}"

    def _broad(self, field: str, condition: str, params: list[Any]) -> bool:
        assert self.conn is not None
        probe = (
            f"SELECT count(*) FROM (SELECT 1 FROM {self.layout.vals} v WHERE v.field = ? AND v.value {condition} "
            "LIMIT ?)"
        )
        return bool(self.conn.execute(probe, [field, *params, RANGE_PROBE]).fetchone()[0] >= RANGE_PROBE)

    def compile(self, flt: Filter, top: bool = True) -> str:
        """SQL for one filter; ``top`` for a filter ANDed at the top of the WHERE clause (not inside a NOT)."""
        if isinstance(flt, Eq):
            return self._membership(flt.field, "= ?", [sql_value(flt.value)], top)
        if isinstance(flt, AnyOf):
            if not flt.values:
                return "0"
            marks = ", ".join("?" * len(flt.values))
            return self._membership(flt.field, f"IN ({marks})", [sql_value(v) for v in flt.values], top)
        if isinstance(flt, Range):
            return self._range(flt, top)
        if isinstance(flt, Not):
            return f"NOT IFNULL(({self.compile(flt.filter, top=False)}), 0)"
        if isinstance(flt, GeoRadius):
            return self._geo_radius(flt)
        raise ValueError(f"unsupported filter {flt!r}")

    def _range(self, flt: Range, top: bool) -> str:
        """Without histograms (SQLite's STAT4 is not compiled in), the planner guesses a range keeps 1/4 of the rows
        (1/64 for two bounds) and either drives a query from an open-ended range over nearly every row or ignores a
        range that keeps only a few. A probe of at most RANGE_PROBE index entries tells which: a selective range
        is marked likely to drive (``likelihood``), a broad one is kept off its index (``+``)."""
        if flt.gte is None:
            condition, params = "<= ?", [flt.lte]
        elif flt.lte is None:
            condition, params = ">= ?", [flt.gte]
        else:
            condition, params = "BETWEEN ? AND ?", [flt.gte, flt.lte]
        if flt.field in self.list_fields or not top or self.conn is None:
            return self._membership(flt.field, condition, params)
        column = col(flt.field)
        probe = f"SELECT count(*) FROM (SELECT 1 FROM {self.layout.docs} d WHERE d.{column} {condition} LIMIT ?)"
        found = self.conn.execute(probe, [*params, RANGE_PROBE]).fetchone()[0]
        self.params.extend(params)
        if found < RANGE_PROBE:
            return f"likelihood(d.{column} {condition}, 0.001)"
        return f"+d.{column} {condition}"

    def _geo_radius(self, flt: GeoRadius) -> str:
        angle = flt.radius_km / EARTH_RADIUS_KM
        parts = ["d.lat IS NOT NULL"]
        if angle < math.pi / 2:
            dlat = math.degrees(angle) + 1e-9
            # SQLite takes any two-sided range as very selective: a wide band (a radius of thousands of km) would
            # drive the query from the (lat, lon) index over nearly every row. "+" keeps it a plain test there.
            lat = "d.lat" if flt.radius_km <= GEO_INDEX_MAX_KM else "+d.lat"
            parts.append(f"{lat} BETWEEN ? AND ?")
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
