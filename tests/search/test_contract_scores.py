"""The backend contract for ids-only hits and ScoreSort (the matcher's candidate retrieval), on every backend."""

from __future__ import annotations

import pytest

from search_index import (
    Eq,
    GeoSort,
    Lookup,
    Nearness,
    Ramp,
    ScoreSort,
    SearchBackend,
    SearchQuery,
    SortSpec,
)
from tests.search.corpus import BY_ID, CHETUMAL, DOCS, haversine_km

INDEX = "offers"

SCORE = ScoreSort(
    (
        Ramp("quantity_canonical", 0.0, 20.0, 0.3),
        Lookup("claim", (("FSC 100%", 0.1), ("FSC Mix", 0.08)), default=0.01),
        Lookup("species", (("Swietenia macrophylla", 0.15), ("bucida buceras", 0.12)), default=0.05),
        Lookup("certificate_verified", ((True, 0.15),), default=0.06),
        Nearness(CHETUMAL[0], CHETUMAL[1], 500.0, 0.2, missing=0.1),
    )
)


def expected_score(doc_id: str) -> float:
    """The same sum written out by hand from the corpus."""
    doc = BY_ID[doc_id]
    quantity = doc.get("quantity_canonical")
    total = 0.3 * min(1.0, quantity / 20.0) if quantity is not None else 0.0
    total += {"FSC 100%": 0.1, "FSC Mix": 0.08}.get(doc.get("claim", ""), 0.01)
    species = {"Swietenia macrophylla": 0.15, "Bucida buceras": 0.12}  # lookups ignore case
    total += max((species.get(s, 0.05) for s in doc.get("species", [])), default=0.05)
    total += 0.15 if doc.get("certificate_verified") is True else 0.06
    geo = doc.get("_geo")
    total += 0.2 / (1 + haversine_km(*CHETUMAL, geo["lat"], geo["lng"]) / 500) if geo else 0.1
    return total


@pytest.fixture(name="loaded")
async def fx_loaded(backend: SearchBackend) -> SearchBackend:
    await backend.upsert(INDEX, DOCS)
    return backend


async def test_ids_only_hits_carry_just_the_id(loaded: SearchBackend) -> None:
    full = await loaded.search(INDEX, SearchQuery(filters=(Eq("category", "timber"),), sort=(SortSpec("created_at"),)))
    bare = await loaded.search(
        INDEX, SearchQuery(filters=(Eq("category", "timber"),), sort=(SortSpec("created_at"),), ids_only=True)
    )
    assert [h.id for h in bare.hits] == [h.id for h in full.hits] == ["o1", "o2", "o3", "o5", "o6", "o8"]
    assert [h.document for h in bare.hits] == [{"id": i} for i in ("o1", "o2", "o3", "o5", "o6", "o8")]
    assert bare.total == full.total == 6
    assert full.hits[0].document == BY_ID["o1"]


async def test_ids_only_with_text_keeps_the_relevance_order(loaded: SearchBackend) -> None:
    full = await loaded.search(INDEX, SearchQuery(text="caoba"))
    bare = await loaded.search(INDEX, SearchQuery(text="caoba", ids_only=True))
    assert [h.id for h in bare.hits] == [h.id for h in full.hits]
    assert {h.id for h in bare.hits} == {"o1", "o5"}
    assert all(h.document == {"id": h.id} for h in bare.hits)


async def test_score_sort_orders_by_the_sum_of_its_parts(loaded: SearchBackend) -> None:
    result = await loaded.search(
        INDEX, SearchQuery(filters=(Eq("category", "timber"),), sort=(SCORE,), ids_only=True, per_page=10)
    )
    expected = {i: expected_score(i) for i in ("o1", "o2", "o3", "o5", "o6", "o8")}
    assert result.total == 6
    assert {h.id: h.score for h in result.hits} == pytest.approx(expected, abs=1e-9)
    assert [h.id for h in result.hits] == sorted(expected, key=lambda i: -expected[i])
    # o1: 0.3 * 12.5/20 + 0.1 + 0.15 + 0.15 + 0.2/(1 + 71 km/500); o8 has none of the fields.
    assert result.hits[0].id == "o1"
    assert result.hits[-1].id == "o8"
    assert result.hits[-1].score == pytest.approx(0.01 + 0.05 + 0.06 + 0.1, abs=1e-9)


async def test_score_sort_pages(loaded: SearchBackend) -> None:
    def query(page: int) -> SearchQuery:
        return SearchQuery(sort=(SCORE,), ids_only=True, page=page, per_page=3)

    everything = await loaded.search(INDEX, SearchQuery(sort=(SCORE,), ids_only=True, per_page=100))
    pages = [await loaded.search(INDEX, query(p)) for p in (1, 2, 3)]
    assert [h.id for p in pages for h in p.hits] == [h.id for h in everything.hits]
    assert [len(p.hits) for p in pages] == [3, 3, 2]
    assert {p.total for p in pages} == {8}


async def test_falling_ramp_and_missing_values(loaded: SearchBackend) -> None:
    # Fewer is better here: 0 at 100, the whole weight at 0; o8 has no quantity (0).
    falling = ScoreSort((Ramp("quantity_canonical", 100.0, 0.0, 1.0),))
    result = await loaded.search(INDEX, SearchQuery(sort=(falling,), ids_only=True, per_page=10))
    scores = {h.id: h.score for h in result.hits}
    assert scores == pytest.approx(
        {"o5": 0.97, "o3": 0.93, "o1": 0.875, "o2": 0.6, "o6": 0.45, "o7": 0.0, "o4": 0.0, "o8": 0.0}, abs=1e-9
    )
    assert [h.id for h in result.hits][:5] == ["o5", "o3", "o1", "o2", "o6"]


async def test_lookup_on_a_list_takes_the_largest_element_even_below_the_default(loaded: SearchBackend) -> None:
    # o1's only species weighs less than the default; o5 (same species) too; every other document gets the default.
    below = ScoreSort((Lookup("species", (("swietenia macrophylla", 0.01), ("Pinus engelmannii", 0.5)), default=0.05),))
    result = await loaded.search(INDEX, SearchQuery(sort=(below,), ids_only=True, per_page=10))
    assert {h.id: h.score for h in result.hits} == pytest.approx(
        {"o6": 0.5, "o2": 0.05, "o3": 0.05, "o4": 0.05, "o7": 0.05, "o8": 0.05, "o1": 0.01, "o5": 0.01}, abs=1e-9
    )
    assert result.hits[0].id == "o6"
    assert {h.id for h in result.hits[-2:]} == {"o1", "o5"}


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(text="caoba", sort=(SCORE,), ids_only=True),
        SearchQuery(sort=(SCORE,)),
        SearchQuery(sort=(SCORE, GeoSort(*CHETUMAL)), ids_only=True),
        SearchQuery(sort=(ScoreSort((Ramp("title", 0, 1, 1),)),), ids_only=True),
        SearchQuery(sort=(ScoreSort((Ramp("quantity_canonical", 1, 1, 1),)),), ids_only=True),
        SearchQuery(sort=(ScoreSort((Lookup("description", (("x", 1),)),)),), ids_only=True),
        SearchQuery(sort=(ScoreSort((Nearness(95, 0, 10, 1),)),), ids_only=True),
        SearchQuery(sort=(ScoreSort((Nearness(10, 0, 0, 1),)),), ids_only=True),
    ],
)
async def test_invalid_score_sorts_raise_value_error(loaded: SearchBackend, query: SearchQuery) -> None:
    with pytest.raises(ValueError):
        await loaded.search(INDEX, query)
