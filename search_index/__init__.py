"""The search layer: one backend protocol, an embedded SQLite FTS5 backend and a Meilisearch backend.

Only this package imports ``meilisearch``. Index settings live as data in ``search_index/settings/<index>.json``.
"""

from __future__ import annotations

from search_index.backend import SearchBackend, SearchBackendError, create_backend
from search_index.index_settings import IndexSettings, load_index_settings
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
    ScorePart,
    ScoreSort,
    SearchQuery,
    SearchResult,
    Sort,
    SortSpec,
)

__all__ = [
    "AnyOf",
    "Eq",
    "Filter",
    "GeoRadius",
    "GeoSort",
    "Hit",
    "IndexSettings",
    "Lookup",
    "Nearness",
    "Not",
    "Ramp",
    "Range",
    "ScorePart",
    "ScoreSort",
    "SearchBackend",
    "SearchBackendError",
    "SearchQuery",
    "SearchResult",
    "Sort",
    "SortSpec",
    "create_backend",
    "load_index_settings",
]
