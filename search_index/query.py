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


@dataclass(frozen=True)
class Ramp:
    """Score part: ``weight * clamp((field - zero) / (full - zero), 0, 1)``; 0 when the document has no number there.
    ``full`` may be below ``zero`` (a part falling as the value grows)."""

    field: str
    zero: float
    full: float
    weight: float


@dataclass(frozen=True)
class Lookup:
    """Score part: the weight given to the document's value in ``weights`` (``default`` for any other value and for
    documents without one); for a list-valued field, the largest over its elements."""

    field: str
    weights: tuple[tuple[Scalar, float], ...]
    default: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "weights", tuple((v, w) for v, w in self.weights))


@dataclass(frozen=True)
class Nearness:
    """Score part: ``weight / (1 + km / half_km)`` from (``lat``, ``lon``); ``missing`` without ``_geo``."""

    lat: float
    lon: float
    half_km: float
    weight: float
    missing: float = 0.0


ScorePart = Ramp | Lookup | Nearness


@dataclass(frozen=True)
class ScoreSort:
    """Highest sum of the parts first (ties in a stable, backend-specific order); hits carry the sum as ``score``.

    Only on its own (the query's only sort), without text, and with ``ids_only``: it is made for candidate
    retrieval (the matcher asks for the best-scoring ids, then reads the truth from the database)."""

    parts: tuple[ScorePart, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "parts", tuple(self.parts))


Sort = SortSpec | GeoSort | ScoreSort


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
    #: Hits carry only ``{"id": ...}`` as their document (no stored document is read or sent).
    ids_only: bool = False

    def __post_init__(self) -> None:
        for name in ("filters", "facets", "sort", "highlight"):
            object.__setattr__(self, name, tuple(getattr(self, name)))


@dataclass(frozen=True)
class Hit:
    """One result: the stored document (only ``{"id": ...}`` for ``ids_only`` queries), a backend-specific relevance
    score (higher is better, None without text; the sum of the parts with a ScoreSort), the distance in km when sorted
    by GeoSort, and HTML-safe highlighted fields (``<mark>`` around matches)."""

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
