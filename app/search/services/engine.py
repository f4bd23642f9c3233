"""``search_offers`` against the search backend: the main query, facet counts and suggestions to relax a filter."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from typing import Any

from app.i18n import normalize_locale, translations_for
from app.indexing.documents import OFFERS_INDEX
from app.search.services.fallback import database_search
from app.search.services.params import (
    FACET_GROUP,
    FACETS,
    MAX_SUGGESTIONS,
    MULTI,
    SUGGEST_ORDER,
    SearchParams,
    public_filters,
)
from app.search.services.results import SearchItem, SearchPage, Suggestion, distance_km
from app.search.services.sentences import suggestion_text
from app.settings import get_settings
from app.vocab import CATEGORIES, SPECIES
from search_index import SearchQuery, SearchResult
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.search")


def _item(hit: Any, params: SearchParams) -> SearchItem:
    doc = hit.document
    distance = hit.distance_km if hit.distance_km is not None else distance_km(doc, params.near_lat, params.near_lon)
    return SearchItem(doc, distance, dict(hit.highlights))


def _counts(counts: dict[str, int]) -> dict[str, int]:
    return {value: n for value, n in counts.items() if value != ""}  # offers without a region are not a choice


async def search_offers(params: SearchParams, backend: SearchBackend, *, suggest: bool = True) -> SearchPage:
    """Publicly listed offers matching the parameters, with facet counts (each facet counted without its own filter,
    so other values stay choosable) and, when nothing matches, which filter to relax. Falls back to the database
    when the search engine fails."""
    base = public_filters()
    groups = params.group_filters()

    def query(without: str = "", **kw: Any) -> SearchQuery:
        filters = [f for g, fs in groups.items() if g != without for f in fs]
        return SearchQuery(text="" if without == "q" else params.q, filters=(*base, *filters), **kw)

    main_query = query(
        facets=FACETS,
        sort=params.sort_specs(),
        page=params.page,
        per_page=params.per_page,
        highlight=("title", "description"),
    )
    facet_runs = [f for f in FACETS if FACET_GROUP[f] in groups]
    # Counts only (per_page=0): no hits to rank or read.
    facet_queries = [query(FACET_GROUP[f], facets=(f,), per_page=0) for f in facet_runs]
    batch = getattr(backend, "search_many", None)  # the embedded backend: every query in one worker-thread call
    answered: list[SearchResult] | None = None
    if batch is not None and facet_queries:
        # A failure is answered query by query below, as without the batch (the failing one decides what is lost).
        with contextlib.suppress(Exception):
            answered = await batch(OFFERS_INDEX, [main_query, *facet_queries])
    if answered is None:
        try:
            main = await backend.search(OFFERS_INDEX, main_query)
        except Exception as exc:  # engine down or failing: stay useful with a plain database query
            log.warning("search backend failed, answering from the database: %s", exc)
            return await database_search(params)
    else:
        main = answered[0]
    facets = {f: _counts(c) for f, c in main.facets.items()}
    without: dict[str, int] = {}
    active = params.active_groups()
    extra = [g for g in active if g in ("q", "quantity", "distance")] if suggest and main.total == 0 and active else []
    try:
        results: list[SearchResult] = await asyncio.gather(
            *(backend.search(OFFERS_INDEX, q) for q in (facet_queries if answered is None else [])),
            *(backend.search(OFFERS_INDEX, query(g, per_page=0)) for g in extra),
        )
        if answered is not None:
            results = [*answered[1:], *results]
        for f, result in zip(facet_runs, results, strict=False):
            facets[f] = _counts(result.facets.get(f, {}))
            without[FACET_GROUP[f]] = result.total
        without.update({g: r.total for g, r in zip(extra, results[len(facet_runs) :], strict=True)})
    except Exception as exc:  # keep the main answer; counts narrowed by their own filter are still correct
        log.warning("search backend failed on facet counts: %s", exc)
    page = SearchPage(params, [_item(h, params) for h in main.hits], main.total, facets)
    if suggest and main.total == 0 and active:
        ranked = sorted((g for g in active if without.get(g)), key=lambda g: (-without[g], SUGGEST_ORDER.index(g)))
        page.suggestions = [
            Suggestion(g, without[g], suggestion_text(g, without[g]), "/search?" + params.query_string(g))
            for g in ranked[:MAX_SUGGESTIONS]
        ]
    return page


#: CPU seconds a worker's startup may spend on the searches of the species names (``warm_search_index``), and the
#: wall-clock seconds it may take at most (CPU time, because on a busy machine the wall clock mostly measures waiting).
WARM_CPU_SECONDS = 2.0
WARM_WALL_SECONDS = 20.0
#: Broad texts (over WARM_BROAD matches: their rankings are kept) searched at most: half the rankings the embedded
#: backend keeps per index (``ORDER_ENTRIES``), so the warm neither pushes out its own nor leaves visitors no room.
WARM_TEXTS = 16
#: The same bound on PostgreSQL, whose worker keeps each word's match (a bitmap, a few bytes per matched offer) among
#: 512 (``postgres_bitmaps.EXPRESSION_ENTRIES``) and ranks from the database: every name of ``warm_texts()`` (68).
WARM_TEXTS_POSTGRES = 128
WARM_BROAD = 1000
#: Listed offers from which rankings are warmed: below, the first ranking of the broadest word costs under about
#: 10 ms (2,200 "hule" matches at 10,000 offers), less than warming every name would add to each start.
WARM_RANKINGS_FROM = 10_000
#: The sorts the search page offers besides relevance and distance (which needs a visitor's point).
WARM_SORTS = ("newest", "quantity", "expiry")
#: The backends that keep what a search reads in the worker's memory (``SearchBackend.name``).
WARMED_BACKENDS = frozenset({"embedded", "postgresql"})


def warm_texts(
    language: str, offered: Mapping[str, int] | None = None, categories: Mapping[str, int] | None = None
) -> list[str]:
    """What buyers type most, as far as the site knows it without logging searches, most likely first: the head
    word of each species' common names in ``language`` (the site's default language), then in the other languages
    (Spanish and Portuguese names lead with it, "pino" of "pino de Durango"; English ones end with it, "pine" of
    "Durango pine"), then the genera; within each, every species' first name before any second one, the species
    with the most listed offers first (``offered``: the species facet's counts), then in vocabulary order. Before
    them the head word of each product category's name in ``language`` ("látex", "madera"; "latex", "timber"),
    the category with the most listed offers first (``categories``: the category facet's counts): "látex" is what a
    latex buyer types, as broad as "hule"."""
    counts = offered or {}
    species = sorted(SPECIES, key=lambda name: -counts.get(name, 0))
    by_offers = categories or {}
    catalog = translations_for(normalize_locale(language) or "en")
    texts: dict[str, None] = {}
    for key in sorted(CATEGORIES, key=lambda key: -by_offers.get(key, 0)):
        words = catalog.gettext(CATEGORIES[key]).lower().split()  # "látex de caucho natural", "natural rubber latex"
        texts[words[-1] if language == "en" else words[0]] = None
    languages = [language, *sorted({lang for names in SPECIES.values() for lang in names} - {language})]
    for lang in languages:
        names = [SPECIES[scientific].get(lang, []) for scientific in species]
        for position in range(max(map(len, names), default=0)):  # every species' first name, then the second...
            for species_names in names:
                if position < len(species_names):
                    words = species_names[position].lower().replace("-", " ").split()
                    texts[words[-1] if lang == "en" else words[0]] = None
    texts.update(dict.fromkeys(scientific.split()[0].lower() for scientific in species))
    return list(texts)


async def warm_search_index(backend: SearchBackend, cpu_seconds: float = WARM_CPU_SECONDS) -> None:
    """At a worker's startup, read what the embedded index keeps per process before the first visitor needs it:

    - the public listing's facet counts, so its bitmaps of the fields every search filters and facets on are read
      (about 0.25 s at 100,000 offers);
    - the first of those texts in each of ``WARM_SORTS``, and filtered on each filter group's most offered value;
    - the searches of ``warm_texts()`` as a visitor makes them, in that order, for at most ``cpu_seconds`` of the
      process's CPU time (the whole warm at most WARM_WALL_SECONDS, a search under way then cancelled), until
      WARM_TEXTS broad ones were searched: the first
      search of a broad word ranks all its matches by bm25 (about 100 ms for the 22,000 "hule" offers at 100,000,
      twice that at 200,000); afterwards the worker keeps that ranking.

    The PostgreSQL backend keeps per process what its searches read too (``search_index.postgres_bitmaps``: the
    filter and facet values' bitmaps from one pass over the table, each word's match): the same searches read them.
    The worker answers no request before startup ends, so readiness reflects it. Meilisearch keeps nothing in the
    worker: nothing to warm."""
    if backend.name not in WARMED_BACKENDS:
        return
    # A missing or busy index is no reason to stop the worker; the wall-clock bound holds inside a search too (one
    # search's first reads took several seconds at 1,000,000 offers): it is cancelled, and kept nothing partial.
    with contextlib.suppress(Exception):
        async with asyncio.timeout(WARM_WALL_SECONDS):
            await _warm(backend, cpu_seconds)


async def _warm(backend: SearchBackend, cpu_seconds: float) -> None:
    """The warm's searches (``warm_search_index``)."""
    base = tuple(public_filters())
    listed = await backend.search(OFFERS_INDEX, SearchQuery(filters=base, facets=FACETS, per_page=0))
    if listed.total < WARM_RANKINGS_FROM:
        return
    cpu_end = time.process_time() + cpu_seconds
    broad, limit = 0, WARM_TEXTS_POSTGRES if backend.name == "postgresql" else WARM_TEXTS
    language = get_settings().default_locale.split("_")[0]
    texts = warm_texts(language, listed.facets.get("species"), listed.facets.get("category"))
    for sort in WARM_SORTS:  # a sorted text search's first use reads its column for every offer (~180 ms at 100k)
        await search_offers(SearchParams(q=texts[0], sort=sort), backend)
    # A text search filtered on each group, with the group's most offered value: a filter's first use reads its
    # field's values for every offer (on PostgreSQL 140-180 ms at 100k).
    for group in MULTI:
        if values := listed.facets.get(group):
            top = max(values, key=lambda value: values[value])
            await search_offers(SearchParams.from_query({"q": texts[0], group: [top]}), backend)
    await search_offers(SearchParams.from_query({"q": texts[0], "verified": "true"}), backend)
    for text in texts:
        if broad >= limit or time.process_time() >= cpu_end:
            return
        found = await search_offers(SearchParams(q=text), backend)
        broad += found.total > WARM_BROAD
