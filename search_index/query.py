"""Structured search queries and results, the same for every backend.

Filters are values, never strings: each backend translates them (SQL parameters for the embedded backend, quoted and
escaped filter expressions for Meilisearch), so user text can never change the meaning of a filter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Eq:
    """``field`` equals ``value`` (for list-valued fields: one of the elements equals ``value``)."""

    field: str
    value: Scalar


@dataclass(frozen=True)
class AnyOf:
    """``field`` is one of ``values`` (for list-valued fields: any element is one of ``values``)."""

    field: str
    values: tuple[Scalar, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "values", tuple(self.values))


@dataclass(frozen=True)
class Range:
    """``gte <= field <= lte`` on a numeric field; either bound may be left open."""

    field: str
    gte: float | int | None = None
    lte: float | int | None = None


@dataclass(frozen=True)
class Not:
    """Negation of another filter; documents without the field match ``Not(Eq(...))``."""

    filter: Filter


@dataclass(frozen=True)
class GeoRadius:
    """Documents whose ``_geo`` point lies within ``radius_km`` of (``lat``, ``lon``)."""

    lat: float
    lon: float
    radius_km: float


Filter = Eq | AnyOf | Range | Not | GeoRadius


@dataclass(frozen=True)
class SortSpec:
    """Sort by a sortable attribute; documents without the attribute come last either way."""

    field: str
    descending: bool = False


@dataclass(frozen=True)
class GeoSort:
    """Nearest to (``lat``, ``lon``) first; hits then carry ``distance_km``."""

    lat: float
    lon: float


Sort = SortSpec | GeoSort


@dataclass(frozen=True)
class SearchQuery:
    """What to search: free text (last word is a prefix), AND-ed filters, facets, sort, page, highlighted fields."""

    text: str = ""
    filters: tuple[Filter, ...] = ()
    facets: tuple[str, ...] = ()
    sort: tuple[Sort, ...] = ()
    page: int = 1
    per_page: int = 20
    highlight: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("filters", "facets", "sort", "highlight"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class Hit:
    """One result: the stored document, a backend-specific relevance score (higher is better, None without text),
    the distance in km when sorted by GeoSort, and HTML-safe highlighted fields (``<mark>`` around matches)."""

    id: str
    document: dict[str, Any]
    score: float | None
    distance_km: float | None
    highlights: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchResult:
    """One page of hits, the total number of matches and facet counts ``{field: {value: count}}``."""

    hits: list[Hit]
    total: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]]

    @property
    def pages(self) -> int:
        """Number of pages (0 when nothing matched)."""
        return -(-self.total // self.per_page) if self.per_page else 0
