"""Index settings as data: one Meilisearch settings document per index in ``search_index/settings/<index>.json``.

The Meilisearch backend sends the file as is; the embedded backend reads the same file for which attributes are
searchable (in ranking order), filterable and sortable, the synonyms, the typo thresholds and the result caps.
Both backends validate queries here, so an unknown filter, facet or sort field is a ``ValueError`` in both.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

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
    ScorePart,
    ScoreSort,
    SearchQuery,
    SortSpec,
)

SETTINGS_DIR = Path(__file__).resolve().parent / "settings"
INDEX_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
FIELD_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
GEO = "_geo"
CUSTOM_RULE_RE = re.compile(r"^([A-Za-z][A-Za-z0-9_]{0,63}):(asc|desc)$")
#: Searchable attributes holding place names: where a query's stop word counts as a word ("hule para": Pará).
PLACE_ATTRIBUTES = frozenset({"region_names", "locality"})
MAX_PER_PAGE = 1000
#: Bumped whenever the embedded backend's text analysis changes, so stored indexes are rebuilt.
ANALYZER_VERSION = 1


@dataclass(frozen=True)
class IndexSettings:
    """The parts of a settings document both backends act on, plus the document itself (``raw``)."""

    index: str
    raw: dict[str, Any]
    searchable: tuple[str, ...]
    filterable: frozenset[str]
    sortable: frozenset[str]
    synonyms: dict[str, tuple[str, ...]]
    typo_enabled: bool
    one_typo: int
    two_typos: int
    max_total_hits: int
    max_values_per_facet: int
    fingerprint: str
    #: Custom ranking rules (``"created_at:desc"``): (field, descending), after the built-in rules.
    tie_breakers: tuple[tuple[str, bool], ...] = ()

    @property
    def place_columns(self) -> tuple[str, ...]:
        """FTS column names (``c<i>``) of the searchable place attributes (embedded backend)."""
        return tuple(f"c{i}" for i, name in enumerate(self.searchable) if name in PLACE_ATTRIBUTES)

    @property
    def columns(self) -> tuple[str, ...]:
        """Filterable and sortable attributes other than ``_geo`` (typed columns in the embedded backend)."""
        return tuple(sorted((self.filterable | self.sortable) - {GEO}))


def check_index_name(index: str) -> str:
    """The index name, or ValueError when it is not a lower-case identifier."""
    if not isinstance(index, str) or not INDEX_NAME_RE.match(index):
        raise ValueError(f"invalid index name {index!r}: use lower-case letters, digits and underscores")
    return index


def parse_settings(index: str, raw: dict[str, Any]) -> IndexSettings:
    """Validate a settings document and extract what the backends need."""

    def names(key: str, allow_geo: bool) -> list[str]:
        values = raw.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"{index}: {key} must be a list of attribute names")
        for value in values:
            if not (FIELD_RE.match(value) or (allow_geo and value == GEO)):
                raise ValueError(f"{index}: unsupported attribute name {value!r} in {key}")
        return values

    searchable = names("searchableAttributes", allow_geo=False)
    if not searchable:
        raise ValueError(f"{index}: searchableAttributes must list the attributes explicitly")
    typo = raw.get("typoTolerance", {})
    sizes = typo.get("minWordSizeForTypos", {})
    synonyms = raw.get("synonyms", {})
    if not isinstance(synonyms, dict):
        raise ValueError(f"{index}: synonyms must be an object")
    tie_breakers = []
    for rule in raw.get("rankingRules", []):
        match = CUSTOM_RULE_RE.match(rule) if isinstance(rule, str) else None
        if match:
            if match[1] not in (set(raw.get("sortableAttributes", [])) - {GEO}):
                raise ValueError(f"{index}: ranking rule {rule!r} needs a sortable attribute")
            tie_breakers.append((match[1], match[2] == "desc"))
    fingerprint = hashlib.sha256(
        json.dumps([ANALYZER_VERSION, raw], sort_keys=True, ensure_ascii=False).encode()
    ).hexdigest()[:16]
    return IndexSettings(
        index=index,
        raw=raw,
        searchable=tuple(searchable),
        filterable=frozenset(names("filterableAttributes", allow_geo=True)),
        sortable=frozenset(names("sortableAttributes", allow_geo=True)),
        synonyms={str(k): tuple(str(v) for v in vs) for k, vs in synonyms.items()},
        typo_enabled=bool(typo.get("enabled", True)),
        one_typo=int(sizes.get("oneTypo", 5)),
        two_typos=int(sizes.get("twoTypos", 9)),
        max_total_hits=int(raw.get("pagination", {}).get("maxTotalHits", 1000)),
        max_values_per_facet=int(raw.get("faceting", {}).get("maxValuesPerFacet", 100)),
        fingerprint=fingerprint,
        tie_breakers=tuple(tie_breakers),
    )


@lru_cache(maxsize=32)
def load_index_settings(index: str) -> IndexSettings:
    """The settings of an index, from ``search_index/settings/<index>.json`` (ValueError when there is none)."""
    check_index_name(index)
    path = SETTINGS_DIR / f"{index}.json"
    if not path.is_file():
        raise ValueError(f"no search settings for index {index!r} (expected {path})")
    return parse_settings(index, json.loads(path.read_text(encoding="utf-8")))


def _finite(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return float(value)


def _check_point(lat: Any, lon: Any) -> None:
    if not -90 <= _finite(lat, "latitude") <= 90 or not -180 <= _finite(lon, "longitude") <= 180:
        raise ValueError(f"invalid coordinates ({lat}, {lon})")


def _check_scalar(value: Any, field: str) -> None:
    if isinstance(value, bool) or isinstance(value, str):
        return
    if isinstance(value, (int, float)):
        _finite(value, f"value for {field!r}")
        return
    raise ValueError(f"filter values for {field!r} must be str, int, float or bool, got {value!r}")


def _check_field(field: Any, allowed: frozenset[str], what: str, settings: IndexSettings) -> None:
    if not isinstance(field, str) or field == GEO or field not in allowed:
        raise ValueError(f"{field!r} is not a {what} attribute of index {settings.index!r}")


def check_filter(flt: Filter, settings: IndexSettings) -> None:
    """ValueError unless the filter is well formed and uses filterable attributes only."""
    if isinstance(flt, Eq):
        _check_field(flt.field, settings.filterable, "filterable", settings)
        _check_scalar(flt.value, flt.field)
    elif isinstance(flt, AnyOf):
        _check_field(flt.field, settings.filterable, "filterable", settings)
        for value in flt.values:
            _check_scalar(value, flt.field)
    elif isinstance(flt, Range):
        _check_field(flt.field, settings.filterable, "filterable", settings)
        if flt.gte is None and flt.lte is None:
            raise ValueError(f"Range on {flt.field!r} needs gte or lte")
        for bound in (flt.gte, flt.lte):
            if bound is not None:
                _finite(bound, f"Range bound on {flt.field!r}")
    elif isinstance(flt, Not):
        check_filter(flt.filter, settings)
    elif isinstance(flt, GeoRadius):
        if GEO not in settings.filterable:
            raise ValueError(f"_geo is not filterable in index {settings.index!r}")
        _check_point(flt.lat, flt.lon)
        if _finite(flt.radius_km, "radius_km") <= 0:
            raise ValueError("radius_km must be positive")
    else:
        raise ValueError(f"unsupported filter {flt!r}")


def check_score_part(part: ScorePart, settings: IndexSettings) -> None:
    """ValueError unless a ScoreSort part is well formed and reads a filterable or sortable attribute."""
    if isinstance(part, Ramp):
        _check_field(part.field, frozenset(settings.columns), "filterable or sortable", settings)
        for number, what in ((part.zero, "zero"), (part.full, "full"), (part.weight, "weight")):
            _finite(number, f"Ramp {what}")
        if part.zero == part.full:
            raise ValueError("Ramp needs zero != full")
    elif isinstance(part, Lookup):
        _check_field(part.field, frozenset(settings.columns), "filterable or sortable", settings)
        _finite(part.default, "Lookup default")
        for value, weight in part.weights:
            _check_scalar(value, part.field)
            _finite(weight, "Lookup weight")
    elif isinstance(part, Nearness):
        if GEO not in settings.sortable:
            raise ValueError(f"_geo is not sortable in index {settings.index!r}")
        _check_point(part.lat, part.lon)
        _finite(part.weight, "Nearness weight")
        _finite(part.missing, "Nearness missing")
        if _finite(part.half_km, "half_km") <= 0:
            raise ValueError("half_km must be positive")
    else:
        raise ValueError(f"unsupported score part {part!r}")


def check_query(query: SearchQuery, settings: IndexSettings) -> None:
    """ValueError unless every part of the query is valid for this index."""
    if not isinstance(query.text, str):
        raise ValueError("text must be a string")
    if isinstance(query.page, bool) or not isinstance(query.page, int) or query.page < 1:
        raise ValueError("page must be an integer >= 1")
    if (
        isinstance(query.per_page, bool)
        or not isinstance(query.per_page, int)
        or not 0 <= query.per_page <= MAX_PER_PAGE
    ):
        raise ValueError(f"per_page must be an integer between 0 and {MAX_PER_PAGE}")
    for flt in query.filters:
        check_filter(flt, settings)
    for facet in query.facets:
        _check_field(facet, settings.filterable, "filterable (facet)", settings)
    for spec in query.sort:
        if isinstance(spec, SortSpec):
            _check_field(spec.field, settings.sortable, "sortable", settings)
        elif isinstance(spec, GeoSort):
            if GEO not in settings.sortable:
                raise ValueError(f"_geo is not sortable in index {settings.index!r}")
            _check_point(spec.lat, spec.lon)
        elif isinstance(spec, ScoreSort):
            if len(query.sort) != 1 or query.text.strip() or not query.ids_only:
                raise ValueError("ScoreSort must be the only sort, without text, in an ids_only query")
            for part in spec.parts:
                check_score_part(part, settings)
        else:
            raise ValueError(f"unsupported sort {spec!r}")
    for name in query.highlight:
        if not isinstance(name, str) or not FIELD_RE.match(name):
            raise ValueError(f"invalid highlight attribute {name!r}")
