"""Buyer search over the offers index: parameters, the query with facets and suggestions, and a database fallback.

Split by concern: ``params`` (``SearchParams`` parsing and the filters it becomes), ``highlight`` (safe HTML from the
backend's highlights), ``results`` (the offers found and the page of them), ``sentences`` (the human sentences about
a search), ``engine`` (``search_offers`` against the backend) and ``fallback`` (the SQL query when the engine fails).
"""

from __future__ import annotations

from app.search.services.engine import log, search_offers
from app.search.services.highlight import display_text, highlight_segments
from app.search.services.params import (
    FACET_GROUP,
    FACETS,
    GROUP_PARAMS,
    MAX_KM,
    MAX_PAGE,
    MAX_Q,
    MAX_SUGGESTIONS,
    MULTI,
    PER_PAGE,
    SORTS,
    SUGGEST_ORDER,
    SearchParams,
    public_filters,
    query_dict,
)
from app.search.services.results import SearchItem, SearchPage, Suggestion, distance_km
from app.search.services.sentences import group_name, suggestion_text

__all__ = [
    "FACETS",
    "FACET_GROUP",
    "GROUP_PARAMS",
    "MAX_KM",
    "MAX_PAGE",
    "MAX_Q",
    "MAX_SUGGESTIONS",
    "MULTI",
    "PER_PAGE",
    "SORTS",
    "SUGGEST_ORDER",
    "SearchItem",
    "SearchPage",
    "SearchParams",
    "Suggestion",
    "display_text",
    "distance_km",
    "group_name",
    "highlight_segments",
    "log",
    "public_filters",
    "query_dict",
    "search_offers",
    "suggestion_text",
]
