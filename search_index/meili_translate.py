"""Pure translation of structured queries into Meilisearch search parameters, and of responses back.

Filter values are always quoted and escaped (backslash, then double quote), field names come only from the
settings' filterable/sortable lists, numbers are written without exponents: user input cannot add a filter
clause. Covered by tests/search/test_meili_translation.py without a server.
"""

from __future__ import annotations

import math
import re
from typing import Any

from search_index.analysis import POST, PRE, parse_query, safe_highlight
from search_index.index_settings import IndexSettings, check_filter, check_index_name, check_query
from search_index.query import (
    AnyOf,
    Eq,
    Filter,
    GeoRadius,
    GeoSort,
    Hit,
    Lookup,
    Nearness,
    Not,
    Ramp,
    Range,
    ScoreSort,
    SearchQuery,
    SearchResult,
    Sort,
)

_QUERY_OPERATORS_RE = re.compile(r'"|(?:(?<=\s)|^)-+')


def index_uid(prefix: str, index: str) -> str:
    """The Meilisearch index uid of an application index for this deployment (``<prefix>_<index>``)."""
    if not re.match(r"^[A-Za-z0-9_-]{1,200}$", prefix):
        raise ValueError(f"invalid index prefix {prefix!r}")
    return f"{prefix}_{check_index_name(index)}"


def quote(value: str) -> str:
    """A string as a double-quoted Meilisearch filter value."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def number(value: float | int) -> str:
    """A finite number in plain decimal notation."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(value, ".20f").rstrip("0").rstrip(".")
    return text


def literal(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quote(value)
    return number(value)


def filter_expression(flt: Filter) -> str:
    """One filter as a Meilisearch filter expression."""
    if isinstance(flt, Eq):
        return f"{flt.field} = {literal(flt.value)}"
    if isinstance(flt, AnyOf):
        return f"{flt.field} IN [{', '.join(literal(v) for v in flt.values)}]"
    if isinstance(flt, Range):
        if flt.gte is not None and flt.lte is not None:
            return f"{flt.field} {number(flt.gte)} TO {number(flt.lte)}"
        if flt.gte is not None:
            return f"{flt.field} >= {number(flt.gte)}"
        assert flt.lte is not None
        return f"{flt.field} <= {number(flt.lte)}"
    if isinstance(flt, Not):
        return f"NOT ({filter_expression(flt.filter)})"
    if isinstance(flt, GeoRadius):
        return f"_geoRadius({number(flt.lat)}, {number(flt.lon)}, {number(flt.radius_km * 1000)})"
    raise ValueError(f"unsupported filter {flt!r}")


def filter_expressions(filters: tuple[Filter, ...], settings: IndexSettings) -> list[str]:
    """The filters (validated against the settings) as a list Meilisearch ANDs together."""
    for flt in filters:
        check_filter(flt, settings)
    return [filter_expression(f) for f in filters]


def sort_expression(spec: Sort) -> str:
    if isinstance(spec, GeoSort):
        return f"_geoPoint({number(spec.lat)}, {number(spec.lon)}):asc"
    if isinstance(spec, ScoreSort):
        raise ValueError("a ScoreSort has no Meilisearch sort expression (scored by parse_response)")
    return f"{spec.field}:{'desc' if spec.descending else 'asc'}"


def query_text(text: str) -> str:
    """Search text without Meilisearch's phrase quotes and negation dashes (the embedded backend has neither)."""
    return " ".join(_QUERY_OPERATORS_RE.sub(" ", text).split())


def score_sort(query: SearchQuery) -> ScoreSort | None:
    return next((s for s in query.sort if isinstance(s, ScoreSort)), None)


def score_fields(spec: ScoreSort) -> list[str]:
    """The attributes a ScoreSort reads (besides ``id``)."""
    fields = [p.field if isinstance(p, (Ramp, Lookup)) else "_geo" for p in spec.parts]
    return list(dict.fromkeys(fields))


def search_params(query: SearchQuery, settings: IndexSettings) -> dict[str, Any]:
    """The body of ``POST /indexes/<uid>/search`` except ``q``.

    Meilisearch cannot sort by a computed score: a ScoreSort query asks for every match (up to maxTotalHits) with
    only the attributes the score reads, and ``parse_response`` scores, sorts and pages them (see ScoreSort: it is
    for candidate retrieval, over the few thousand offers that pass a request's hard constraints)."""
    check_query(query, settings)
    scored = score_sort(query)
    params: dict[str, Any] = {"page": query.page, "hitsPerPage": query.per_page, "matchingStrategy": "all"}
    if scored:
        params = {"offset": 0, "limit": settings.max_total_hits, "matchingStrategy": "all"}
        params["attributesToRetrieve"] = ["id", *score_fields(scored)]
    elif query.ids_only:
        params["attributesToRetrieve"] = ["id"]
    if parse_query(query.text).words:
        params["showRankingScore"] = True
    if query.filters:
        params["filter"] = filter_expressions(query.filters, settings)
    if query.facets:
        params["facets"] = list(query.facets)
    if query.sort and not scored:
        params["sort"] = [sort_expression(s) for s in query.sort]
    if query.highlight and not query.ids_only:
        params["attributesToHighlight"] = list(query.highlight)
        params["highlightPreTag"] = PRE
        params["highlightPostTag"] = POST
    return params


def _formatted(value: Any) -> str | None:
    if isinstance(value, str):
        return safe_highlight(value)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return safe_highlight(str(value))
    if isinstance(value, list):
        parts = [_formatted(v) for v in value if not isinstance(v, (list, dict, bool)) and v is not None]
        return ", ".join(p for p in parts if p is not None)
    return None


def _key(value: Any) -> Any:
    """How values compare in a Lookup (strings ignore case, as filters do in both backends)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.lower()
    return float(value) if isinstance(value, (int, float)) else None


def _km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(a)))


def document_score(document: dict[str, Any], spec: ScoreSort) -> float:
    """The sum of a ScoreSort's parts for one document (the embedded backend computes the same in SQL)."""
    total = 0.0
    for part in spec.parts:
        if isinstance(part, Ramp):
            value = document.get(part.field)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                total += part.weight * max(0.0, min(1.0, (value - part.zero) / (part.full - part.zero)))
        elif isinstance(part, Lookup):
            weights = {_key(v): w for v, w in reversed(part.weights)}
            value = document.get(part.field)
            values = value if isinstance(value, list) else [] if value is None else [value]
            total += max((weights.get(_key(v), part.default) for v in values), default=part.default)
        elif isinstance(part, Nearness):
            geo = document.get("_geo")
            if isinstance(geo, dict) and geo.get("lat") is not None and geo.get("lng") is not None:
                total += part.weight / (
                    1.0 + _km(part.lat, part.lon, float(geo["lat"]), float(geo["lng"])) / part.half_km
                )
            else:
                total += part.missing
    return total


def _parse_scored(response: dict[str, Any], query: SearchQuery, spec: ScoreSort) -> SearchResult:
    scored = sorted(
        ((document_score(raw, spec), str(raw.get("id"))) for raw in response.get("hits", [])),
        key=lambda item: (-item[0], item[1]),
    )
    start = (query.page - 1) * query.per_page
    hits = [Hit(id=i, document={"id": i}, score=s, distance_km=None) for s, i in scored[start : start + query.per_page]]
    distribution = response.get("facetDistribution") or {}
    facets = {f: {str(k): int(v) for k, v in (distribution.get(f) or {}).items()} for f in query.facets}
    return SearchResult(hits, len(scored), query.page, query.per_page, facets)


def parse_response(response: dict[str, Any], query: SearchQuery) -> SearchResult:
    """A Meilisearch search response as a SearchResult."""
    scored = score_sort(query)
    if scored:
        return _parse_scored(response, query, scored)
    has_text = bool(parse_query(query.text).words)
    geo_sorted = any(isinstance(s, GeoSort) for s in query.sort)
    hits = []
    for raw in response.get("hits", []):
        document = {k: v for k, v in raw.items() if not k.startswith("_") or k == "_geo"}
        if query.ids_only:
            document = {"id": document.get("id")}
        formatted = raw.get("_formatted") or {}
        highlights = {}
        for name in query.highlight:
            value = _formatted(formatted.get(name))
            if value is not None:
                highlights[name] = value
        distance = raw.get("_geoDistance") if geo_sorted else None
        hits.append(
            Hit(
                id=str(document.get("id")),
                document=document,
                score=float(raw["_rankingScore"]) if has_text and "_rankingScore" in raw else None,
                distance_km=distance / 1000 if distance is not None else None,
                highlights=highlights,
            )
        )
    distribution = response.get("facetDistribution") or {}
    facets = {f: {str(k): int(v) for k, v in (distribution.get(f) or {}).items()} for f in query.facets}
    return SearchResult(hits, int(response.get("totalHits", 0)), query.page, query.per_page, facets)
