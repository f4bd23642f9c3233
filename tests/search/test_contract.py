"""The search backend contract: every backend must pass these with the real ``offers`` settings."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import pytest

from search_index import AnyOf, Eq, GeoRadius, GeoSort, Not, Range, SearchBackend, SearchQuery, SortSpec
from tests.search.corpus import BY_ID, CHETUMAL, DOCS, haversine_km, offer

INDEX = "offers"


@pytest.fixture(name="loaded")
async def fx_loaded(backend: SearchBackend) -> SearchBackend:
    """The backend with the corpus indexed."""
    await backend.upsert(INDEX, DOCS)
    return backend


async def ids(backend: SearchBackend, text: str = "", **kwargs: Any) -> set[str]:
    result = await backend.search(INDEX, SearchQuery(text=text, per_page=100, **kwargs))
    assert result.total == len(result.hits)
    return {h.id for h in result.hits}


async def ordered(backend: SearchBackend, text: str = "", **kwargs: Any) -> list[str]:
    result = await backend.search(INDEX, SearchQuery(text=text, per_page=100, **kwargs))
    return [h.id for h in result.hits]


# -- documents ---------------------------------------------------------------------------------------------------


async def test_upsert_search_count_delete(backend: SearchBackend) -> None:
    assert await backend.count(INDEX) == 0
    await backend.upsert(INDEX, DOCS)
    assert await backend.count(INDEX) == 8
    result = await backend.search(INDEX, SearchQuery(text="pino"))
    assert [h.id for h in result.hits] == ["o6"]
    assert result.hits[0].document == BY_ID["o6"]
    await backend.delete(INDEX, ["o6", "does-not-exist"])
    assert await backend.count(INDEX) == 7
    assert await ids(backend, "pino") == set()


async def test_upsert_replaces_the_whole_document(loaded: SearchBackend) -> None:
    await loaded.upsert(INDEX, [offer("o6", "Duelas de encino", category="latex", status="paused")])
    assert await loaded.count(INDEX) == 8
    assert await ids(loaded, "pino") == set()
    assert await ids(loaded, "duelas") == {"o6"}
    assert await ids(loaded, filters=(Eq("category", "latex"),)) == {"o4", "o6", "o7"}
    assert await ids(loaded, filters=(Eq("species", "Pinus engelmannii"),)) == set()


async def test_missing_index_is_empty_and_recreated_with_its_settings(backend: SearchBackend) -> None:
    await backend.drop_index(INDEX)  # type: ignore[attr-defined]
    result = await backend.search(INDEX, SearchQuery(text="caoba", facets=("status",)))
    assert (result.total, result.hits, result.facets) == (0, [], {"status": {}})
    assert await backend.count(INDEX) == 0
    await backend.upsert(INDEX, DOCS)
    assert await ids(backend) == set(BY_ID)
    assert await ids(backend, "mogno") == {"o1", "o5"}
    assert await backend.health() is True


async def test_invalid_document_id_is_rejected(backend: SearchBackend) -> None:
    with pytest.raises(ValueError):
        await backend.upsert(INDEX, [{"id": "has space", "title": "x"}])
    with pytest.raises(ValueError):
        await backend.upsert(INDEX, [{"title": "no id"}])
    assert await backend.count(INDEX) == 0


# -- text matching -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pucte", {"o2"}),
        ("Pucté", {"o2"}),
        ("PUCTE", {"o2"}),
        ("Ramon", {"o3"}),
        ("lamina", {"o7"}),
        ("associacao", {"o4"}),
        ("carbon", {"o8"}),
    ],
)
async def test_accent_and_case_insensitive(loaded: SearchBackend, text: str, expected: set[str]) -> None:
    assert await ids(loaded, text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pini", set()),  # 4 letters: no typo allowed
        ("pnio ", set()),  # 4 letters, transposed, not a prefix
        ("caova", {"o1", "o5"}),  # 5 letters, one typo
        ("cavva", set()),  # 5 letters, two typos
        ("mahgany", {"o5"}),  # 7 letters, one typo (deletion)
        ("mahagani", set()),  # 8 letters, two typos
        ("ahogany", set()),  # a typo on the first letter counts as two
        ("serinqueyra", {"o4"}),  # 11 letters, two typos
        ("seringeuira", {"o4"}),  # transposition counts as one typo
        ("serxnqueyra", set()),  # 11 letters, three typos
    ],
)
async def test_typo_tolerance_rules(loaded: SearchBackend, text: str, expected: set[str]) -> None:
    assert await ids(loaded, text) == expected


async def test_last_word_is_a_prefix_unless_followed_by_a_space(loaded: SearchBackend) -> None:
    assert await ids(loaded, "cao") == {"o1", "o5"}
    assert await ids(loaded, "tablas de cao") == {"o1"}
    assert await ids(loaded, "cao ") == set()
    assert await ids(loaded, "cao tablas") == set()  # only the last word is a prefix
    assert await ids(loaded, "mahogan") == {"o5"}
    assert await ids(loaded, "mahgan") == {"o5"}  # prefix with one typo


async def test_every_word_must_match(loaded: SearchBackend) -> None:
    assert await ids(loaded, "madera pucte") == {"o2"}
    assert await ids(loaded, "tablas OR pino") == set()  # OR is a word, not an operator
    assert await ids(loaded, '"caoba" -tablas') == {"o1"}  # neither phrase quotes nor negation
    assert await ids(loaded, "madera pino") == set()
    assert await ids(loaded, "ejido") == {"o1", "o2", "o6"}
    assert await ids(loaded, "ejido noh") == {"o1"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mahogany", {"o1", "o5"}),  # o1 only through the synonym caoba
        ("mogno", {"o1", "o5"}),
        ("caoba", {"o1", "o5"}),
        ("Swietenia macrophylla", {"o1", "o5"}),
        ("swietenia", {"o1", "o5"}),
        ("seringueira", {"o4", "o7"}),  # o7 only through the synonym hule
        ("hule", {"o4", "o7"}),
        ("Hevea", {"o4", "o7"}),
        ("rubber tree", {"o4", "o7"}),
        ("lamina hule", {"o7"}),
    ],
)
async def test_species_synonyms(loaded: SearchBackend, text: str, expected: set[str]) -> None:
    assert await ids(loaded, text) == expected


# -- filters -----------------------------------------------------------------------------------------------------


async def test_eq_filters(loaded: SearchBackend) -> None:
    assert await ids(loaded, filters=(Eq("category", "latex"),)) == {"o4", "o7"}
    assert await ids(loaded, filters=(Eq("certificate_verified", True),)) == {"o1", "o3", "o4", "o5", "o7"}
    assert await ids(loaded, filters=(Eq("certificate_covers", False),)) == {"o3"}
    assert await ids(loaded, filters=(Eq("quantity_canonical", 40),)) == {"o2"}
    assert await ids(loaded, filters=(Eq("species", "Swietenia macrophylla"),)) == {"o1", "o5"}
    assert await ids(loaded, filters=(Eq("claim", "FSC Mix"), Eq("country", "MX"))) == {"o6"}
    assert await ids(loaded, "madera", filters=(Eq("country", "MX"),)) == {"o1", "o2"}


async def test_any_of_filters(loaded: SearchBackend) -> None:
    assert await ids(loaded, filters=(AnyOf("country", ("GT", "BR")),)) == {"o3", "o4"}
    assert await ids(loaded, filters=(AnyOf("species", ("Bucida buceras", "Brosimum alicastrum")),)) == {"o2", "o3"}
    assert await ids(loaded, filters=(AnyOf("status", ()),)) == set()


async def test_range_filters_are_inclusive(loaded: SearchBackend) -> None:
    assert await ids(loaded, filters=(Range("quantity_canonical", gte=12.5, lte=55),)) == {"o1", "o2", "o6"}
    assert await ids(loaded, filters=(Range("quantity_canonical", gte=250),)) == {"o4", "o7"}
    assert await ids(loaded, filters=(Range("quantity_canonical", lte=7),)) == {"o3", "o5"}
    assert await ids(loaded, filters=(Range("available_from", lte=20260201), Range("available_to", gte=20261231))) == {
        "o2",
        "o4",
    }
    assert await ids(loaded, filters=(Range("certificate_expires_on", gte=20280101),)) == {"o3", "o4", "o7"}


async def test_not_filters_include_documents_without_the_field(loaded: SearchBackend) -> None:
    assert await ids(loaded, filters=(Not(Eq("status", "active")),)) == {"o3", "o5", "o8"}
    assert await ids(loaded, filters=(Not(AnyOf("country", ("MX", "BR"))),)) == {"o3", "o5", "o8"}
    assert await ids(loaded, filters=(Not(Eq("species", "Hevea brasiliensis")), Eq("status", "active"))) == {
        "o1",
        "o2",
        "o6",
    }


async def test_filter_values_are_literals(loaded: SearchBackend) -> None:
    await loaded.upsert(INDEX, [offer("q1", "Quoted", organization_ref='org "7" \\ OR x')])
    assert await ids(loaded, filters=(Eq("organization_ref", 'x" OR status = "active'),)) == set()
    assert await ids(loaded, filters=(AnyOf("organization_ref", ('") OR (status = "active',)),)) == set()
    assert await ids(loaded, filters=(Eq("status", "active OR status = paused"),)) == set()
    assert await ids(loaded, filters=(Eq("organization_ref", "x\\"),)) == set()
    assert await ids(loaded, filters=(Eq("organization_ref", 'org "7" \\ OR x'),)) == {"q1"}


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(filters=(Eq("price_amount", "1"),)),
        SearchQuery(filters=(Not(AnyOf("title", ("x",))),)),
        SearchQuery(filters=(Range("nope", gte=1),)),
        SearchQuery(filters=(Range("quantity_canonical"),)),
        SearchQuery(filters=(Eq("_geo", "x"),)),
        SearchQuery(facets=("title",)),
        SearchQuery(sort=(SortSpec("status"),)),
        SearchQuery(sort=(SortSpec("_geo"),)),
        SearchQuery(filters=(GeoRadius(95, 0, 10),)),
        SearchQuery(per_page=1001),
        SearchQuery(page=0),
    ],
)
async def test_invalid_queries_raise_value_error(loaded: SearchBackend, query: SearchQuery) -> None:
    with pytest.raises(ValueError):
        await loaded.search(INDEX, query)


# -- facets, geo, sort, pages, highlights ------------------------------------------------------------------------


async def test_facet_counts(loaded: SearchBackend) -> None:
    result = await loaded.search(INDEX, SearchQuery(facets=("category", "status", "species", "certificate_verified")))
    assert result.facets == {
        "category": {"latex": 2, "timber": 6},
        "status": {"active": 5, "closed": 1, "paused": 1},
        "species": {
            "Brosimum alicastrum": 1,
            "Bucida buceras": 1,
            "Hevea brasiliensis": 2,
            "Pinus engelmannii": 1,
            "Quercus rugosa": 1,
            "Swietenia macrophylla": 2,
        },
        "certificate_verified": {"false": 2, "true": 5},
    }
    result = await loaded.search(
        INDEX, SearchQuery(text="madera", filters=(Eq("country", "MX"),), facets=("product_type", "species"))
    )
    assert result.facets == {
        "product_type": {"roundwood": 1, "sawn_timber": 1},
        "species": {"Bucida buceras": 1, "Swietenia macrophylla": 1},
    }
    result = await loaded.search(INDEX, SearchQuery(text="zzzz", facets=("category",)))
    assert result.facets == {"category": {}}


async def test_facets_count_every_value_of_a_list(loaded: SearchBackend) -> None:
    """A document listing several species counts once under each; single-valued fields stay as they were."""
    await loaded.upsert(
        INDEX,
        [offer("m1", "Tablas mixtas", category="timber", species=["Swietenia macrophylla", "Cedrela odorata"])],
    )
    result = await loaded.search(INDEX, SearchQuery(text="tablas", facets=("species", "category", "status")))
    assert (result.total, result.facets) == (
        2,
        {
            "species": {"Swietenia macrophylla": 2, "Cedrela odorata": 1},
            "category": {"timber": 2},
            "status": {"active": 1},
        },
    )
    assert await ids(loaded, filters=(Eq("species", "cedrela odorata"),)) == {"m1"}


async def test_geo_radius(loaded: SearchBackend) -> None:
    lat, lon = CHETUMAL
    assert await ids(loaded, filters=(GeoRadius(lat, lon, 100),)) == {"o1"}
    assert await ids(loaded, filters=(GeoRadius(lat, lon, 250),)) == {"o1", "o2", "o3"}
    assert await ids(loaded, filters=(GeoRadius(lat, lon, 250), Eq("country", "MX"))) == {"o1", "o2"}
    assert await ids(loaded, filters=(Not(GeoRadius(lat, lon, 2500)),)) == {"o4", "o5", "o8"}


async def test_geo_sort_orders_by_distance(loaded: SearchBackend) -> None:
    lat, lon = CHETUMAL
    result = await loaded.search(INDEX, SearchQuery(sort=(GeoSort(lat, lon),), per_page=100))
    assert [h.id for h in result.hits][:6] == ["o1", "o2", "o3", "o7", "o6", "o4"]
    assert {h.id for h in result.hits[6:]} == {"o5", "o8"}  # no point: last
    for hit in result.hits[:6]:
        geo = BY_ID[hit.id]["_geo"]
        assert hit.distance_km is not None
        assert abs(hit.distance_km - haversine_km(lat, lon, geo["lat"], geo["lng"])) < 0.5
    result = await loaded.search(INDEX, SearchQuery("madera", sort=(GeoSort(28.6, -106.0),)))
    assert [h.id for h in result.hits] == ["o2", "o1"]


async def test_sort_by_numeric_field(loaded: SearchBackend) -> None:
    assert await ordered(loaded, sort=(SortSpec("quantity_canonical"),)) == "o5 o3 o1 o2 o6 o7 o4 o8".split()
    assert (
        await ordered(loaded, sort=(SortSpec("quantity_canonical", descending=True),))
        == "o4 o7 o6 o2 o1 o3 o5 o8".split()
    )
    # The requested sort wins over relevance (o1 matches in its title, o5 only in species names).
    assert await ordered(loaded, "caoba", sort=(SortSpec("quantity_canonical"),)) == ["o5", "o1"]
    assert await ordered(loaded, "caoba", sort=(SortSpec("quantity_canonical", descending=True),)) == ["o1", "o5"]


async def test_pagination(loaded: SearchBackend) -> None:
    pages = []
    for page in (1, 2, 3, 4):
        result = await loaded.search(INDEX, SearchQuery(sort=(SortSpec("created_at"),), page=page, per_page=3))
        assert (result.total, result.page, result.per_page, result.pages) == (8, page, 3, 3)
        pages.append([h.id for h in result.hits])
    assert pages == [["o1", "o2", "o3"], ["o4", "o5", "o6"], ["o7", "o8"], []]
    result = await loaded.search(INDEX, SearchQuery(text="ejido", per_page=0, facets=("country",)))
    assert (result.total, result.hits, result.facets) == (3, [], {"country": {"MX": 3}})


async def test_highlighting_marks_matches_and_escapes_html(loaded: SearchBackend) -> None:
    result = await loaded.search(INDEX, SearchQuery("caoba", highlight=("title",), filters=(Eq("status", "active"),)))
    assert [(h.id, h.highlights) for h in result.hits] == [("o1", {"title": "Tablas de <mark>caoba</mark>"})]
    await loaded.upsert(INDEX, [offer("x1", '<b>Roble</b> & "cedro"', description="<script>roble</script>")])
    result = await loaded.search(INDEX, SearchQuery("roble", highlight=("title", "description")))
    assert [h.highlights for h in result.hits] == [
        {
            "title": "&lt;b&gt;<mark>Roble</mark>&lt;/b&gt; &amp; &quot;cedro&quot;",
            "description": "&lt;script&gt;<mark>roble</mark>&lt;/script&gt;",
        }
    ]
    result = await loaded.search(INDEX, SearchQuery(highlight=("title",), filters=(Eq("organization_ref", "org-5"),)))
    assert [h.highlights for h in result.hits] == [{"title": "Pino real aserrado"}]


def marked(highlight: str) -> list[str]:
    """The highlighted runs of a field, marks next to each other (only spaces between) read as one run."""
    joined = re.sub(r"</mark>(\s+)<mark>", r"\1", highlight)
    return re.findall(r"<mark>(.*?)</mark>", joined)


async def test_highlights_only_what_matched(backend: SearchBackend) -> None:
    """ "hule" is a synonym of "árbol de caucho": the phrase's words are highlighted where it stands whole (nor
    "para" of "para rubber"); function words ("de") are never highlighted, even inside a matched name or typed."""
    await backend.upsert(
        INDEX,
        [
            offer("h1", "Látex de hule para llantas", description="Hule natural de la selva, árbol de caucho joven."),
            offer("h2", "Madera de pino y tablas de encino", description="Pino de Durango, de primera."),
        ],
    )
    for text in ("hule", "HULE", "Húle"):
        result = await backend.search(INDEX, SearchQuery(text, highlight=("title", "description")))
        assert [h.id for h in result.hits] == ["h1"], text
        assert {k: marked(v) for k, v in result.hits[0].highlights.items()} == {
            "title": ["hule"],
            "description": ["Hule", "árbol", "caucho"],
        }, text
    result = await backend.search(INDEX, SearchQuery("madera de pino", highlight=("title", "description")))
    assert [h.id for h in result.hits] == ["h2"]
    assert {k: marked(v) for k, v in result.hits[0].highlights.items()} == {
        "title": ["Madera", "pino"],
        "description": ["Pino"],
    }


async def test_scores_only_with_text(loaded: SearchBackend) -> None:
    result = await loaded.search(INDEX, SearchQuery("caoba"))
    assert all(h.score is not None and h.distance_km is None for h in result.hits)
    result = await loaded.search(INDEX, SearchQuery())
    assert all(h.score is None for h in result.hits)


# -- rebuild -----------------------------------------------------------------------------------------------------


async def _batches(docs: list[dict[str, Any]], size: int) -> AsyncIterator[list[dict[str, Any]]]:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


async def test_rebuild_swaps_in_the_new_documents(loaded: SearchBackend) -> None:
    fresh = [
        offer(f"n{i}", f"Lote nuevo {i}", category="timber", status="active", quantity_canonical=i) for i in range(1, 6)
    ]
    assert await loaded.rebuild(INDEX, _batches(fresh, 2)) == 5
    assert await loaded.count(INDEX) == 5
    assert await ids(loaded, "caoba") == set()
    assert await ids(loaded, "lote") == {"n1", "n2", "n3", "n4", "n5"}
    result = await loaded.search(
        INDEX, SearchQuery(sort=(SortSpec("quantity_canonical", descending=True),), per_page=2)
    )
    assert ([h.id for h in result.hits], result.total) == (["n5", "n4"], 5)
    await loaded.upsert(INDEX, [offer("n6", "Otro lote", status="active")])
    await loaded.delete(INDEX, ["n1"])
    assert await ids(loaded, "lote") == {"n2", "n3", "n4", "n5", "n6"}
    assert await loaded.rebuild(INDEX, [DOCS[:4], DOCS[4:]]) == 8
    assert await ids(loaded, "lote") == set()
    assert await ids(loaded, "mogno") == {"o1", "o5"}


async def test_searches_use_the_old_index_until_the_swap(loaded: SearchBackend) -> None:
    seen = []

    async def slow_batches() -> AsyncIterator[list[dict[str, Any]]]:
        for i in range(3):
            seen.append(await ids(loaded, "caoba"))
            yield [offer(f"n{i}", f"Lote nuevo {i}")]

    assert await loaded.rebuild(INDEX, slow_batches()) == 3
    assert seen == [{"o1", "o5"}] * 3
    assert await ids(loaded, "caoba") == set()
    assert await ids(loaded, "lote") == {"n0", "n1", "n2"}


async def test_failed_rebuild_keeps_the_live_index(loaded: SearchBackend) -> None:
    with pytest.raises(ValueError):
        await loaded.rebuild(INDEX, [[offer("ok", "Bueno")], [{"id": "bad id", "title": "x"}]])
    assert await loaded.count(INDEX) == 8
    assert await ids(loaded, "caoba") == {"o1", "o5"}
