"""A worker's startup warms the embedded index (``warm_search_index``): the rankings of the species names' searches
are read then, and a warmed search answers exactly as a worker that never warmed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from app.indexing.documents import OFFERS_INDEX
from app.search.services import engine
from app.search.services.engine import search_offers, warm_search_index, warm_texts
from app.search.services.params import SearchParams
from app.settings import get_settings
from search_index import SearchQuery, embedded_search
from search_index.embedded import EmbeddedBackend
from tests.search.relevance_data import documents


def listed(doc: dict[str, Any]) -> dict[str, Any]:
    """A relevance document as a publicly listed offer (what the public filters keep)."""
    return {
        **doc,
        "certificate_status": "valid",
        "certificate_expires_on": 20991231,
        "certificate_covers": True,
    }


@pytest.fixture(name="directory")
async def fx_directory(tmp_path: Path) -> AsyncIterator[Path]:
    writer = EmbeddedBackend(tmp_path, prefix="warm")
    await writer.ensure_index(OFFERS_INDEX)
    await writer.upsert(OFFERS_INDEX, [listed(d) for d in documents()])
    await writer.close()
    yield tmp_path


def page(result: Any) -> tuple[Any, ...]:
    return ([(i.document["id"], str(i.title_html)) for i in result.items], result.total, result.facets)


async def test_startup_keeps_the_rankings_of_the_species_names(
    directory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The relevance set is small: rank every word's matches through the kept ranking, as for a broad word at scale.
    monkeypatch.setattr(engine, "WARM_RANKINGS_FROM", 1)
    monkeypatch.setattr(embedded_search, "SMALL_SET", 0)
    monkeypatch.setattr(engine, "WARM_BROAD", 0)  # every text with matches counts as broad here
    monkeypatch.setattr(engine, "WARM_TEXTS", 30)
    warmed = EmbeddedBackend(directory, prefix="warm", cache_entries=0)
    cold = EmbeddedBackend(directory, prefix="warm", cache_entries=0)
    try:
        await warm_search_index(warmed)
        generation = next(iter(warmed._bitmaps._generations.values()))
        plan = warmed._plans[next(k for k in warmed._plans if k[-1] == "hule")]
        assert plan.expression in generation.orders
        # The default language's names first, in order, until WARM_TEXTS of them had matches.
        texts, broad = [], 0
        listed = await cold.search(OFFERS_INDEX, SearchQuery(facets=("species", "category"), per_page=0))
        language = get_settings().default_locale.split("_")[0]
        for text in warm_texts(language, listed.facets["species"], listed.facets["category"]):
            if broad == engine.WARM_TEXTS:
                break
            texts.append(text)
            broad += (await search_offers(SearchParams(q=text), cold)).total > 0
        assert {k[-1] for k in warmed._plans} == set(texts)
        # the categories' own words come first, as the default language writes them
        assert {"en": "latex", "es": "látex", "pt": "látex"}[language] in texts[:2]
        for text in ("látex", "latex", "hule", "pino", "caoba"):
            params = SearchParams(q=text)
            expected = page(await search_offers(params, cold))
            assert expected[1] > 1
            assert page(await search_offers(params, warmed)) == expected
    finally:
        await warmed.close()
        await cold.close()


def test_the_categories_then_the_default_language_and_the_most_offered_species_lead() -> None:
    # vocabulary order without counts
    assert warm_texts("es")[:5] == ["madera", "látex", "caoba", "cedro", "chicozapote"]
    assert warm_texts("en")[:5] == ["timber", "latex", "mahogany", "cedar", "sapodilla"]
    assert warm_texts("pt")[:2] == ["madeira", "látex"]
    offered = {"Hevea brasiliensis": 900, "Pinus oocarpa": 500, "Swietenia macrophylla": 10}
    categories = {"latex": 900, "timber": 510}
    assert warm_texts("es", offered, categories)[:6] == ["látex", "madera", "hule", "pino", "caoba", "cedro"]
    assert warm_texts("es", offered).index("árbol") > warm_texts("es", offered).index("tornillo")  # second names
    assert {"hule", "pino", "pine", "pinheiro", "pinus"} <= set(warm_texts("pt"))


async def test_a_small_index_warms_its_fields_only(directory: Path) -> None:
    """Below WARM_RANKINGS_FROM listed offers a first ranking is cheap: no name is searched at startup."""
    backend = EmbeddedBackend(directory, prefix="warm", cache_entries=0)
    try:
        await warm_search_index(backend)
        generation = next(iter(backend._bitmaps._generations.values()))
        assert (len(generation.fields) > 0, dict(generation.orders), backend._plans) == (True, {}, {})
    finally:
        await backend.close()


class SlowBackend(EmbeddedBackend):
    """An embedded backend whose every search first waits (a first read that takes long at scale)."""

    async def search(self, index: str, query: SearchQuery) -> Any:
        await asyncio.sleep(5)
        return await super().search(index, query)


async def test_the_wall_clock_bound_holds_inside_a_search(directory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """WARM_WALL_SECONDS bounds the whole warm: a search still under way then is cancelled, not waited for."""
    monkeypatch.setattr(engine, "WARM_WALL_SECONDS", 0.2)
    backend = SlowBackend(directory, prefix="warm", cache_entries=0)
    try:
        started = time.monotonic()
        await warm_search_index(backend)
        assert time.monotonic() - started < 4  # the first search alone waits 5 s
        assert backend._bitmaps._generations == {}  # nothing read: the listing's search was cancelled
    finally:
        await backend.close()
