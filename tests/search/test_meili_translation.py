"""The Meilisearch translation as pure functions: exact filter/sort strings and search bodies, no server needed."""

from __future__ import annotations

import math

import pytest

from search_index import (
    AnyOf,
    Eq,
    GeoRadius,
    GeoSort,
    Lookup,
    Nearness,
    Not,
    Ramp,
    Range,
    ScoreSort,
    SearchQuery,
    SortSpec,
    load_index_settings,
)
from search_index.meili_translate import (
    document_score,
    filter_expression,
    filter_expressions,
    index_uid,
    number,
    parse_response,
    query_text,
    quote,
    search_params,
    sort_expression,
)

SETTINGS = load_index_settings("offers")


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Eq("status", "active"), 'status = "active"'),
        (Eq("certificate_verified", True), "certificate_verified = true"),
        (Eq("certificate_covers", False), "certificate_covers = false"),
        (Eq("quantity_canonical", 12.5), "quantity_canonical = 12.5"),
        (Eq("quantity_canonical", 40.0), "quantity_canonical = 40"),
        (Eq("species", "Swietenia macrophylla"), 'species = "Swietenia macrophylla"'),
        (AnyOf("country", ("MX", "GT")), 'country IN ["MX", "GT"]'),
        (AnyOf("country", ()), "country IN []"),
        (AnyOf("certificate_expires_on", (20270101, 20280101)), "certificate_expires_on IN [20270101, 20280101]"),
        (Range("quantity_canonical", gte=10, lte=100.5), "quantity_canonical 10 TO 100.5"),
        (Range("available_from", gte=20270101), "available_from >= 20270101"),
        (Range("quantity_canonical", lte=-5.25), "quantity_canonical <= -5.25"),
        (Not(Eq("status", "active")), 'NOT (status = "active")'),
        (Not(AnyOf("country", ("MX",))), 'NOT (country IN ["MX"])'),
        (Not(Range("quantity_canonical", gte=1, lte=2)), "NOT (quantity_canonical 1 TO 2)"),
        (GeoRadius(18.5, -88.3, 12.5), "_geoRadius(18.5, -88.3, 12500)"),
        (GeoRadius(-10.65, -68.5, 0.0015), "_geoRadius(-10.65, -68.5, 1.5)"),
        (Not(GeoRadius(18.5, -88.3, 100)), "NOT (_geoRadius(18.5, -88.3, 100000))"),
    ],
)
def test_filter_expressions(flt: object, expected: str) -> None:
    assert filter_expressions((flt,), SETTINGS) == [expected]  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('x" OR status = "active', r'organization_ref = "x\" OR status = \"active"'),
        ('") OR (status = "active', r'organization_ref = "\") OR (status = \"active"'),
        ("x\\", r'organization_ref = "x\\"'),
        ('a\\"b', r'organization_ref = "a\\\"b"'),
        ("it's", '''organization_ref = "it's"'''),
        ("active OR status = paused", 'organization_ref = "active OR status = paused"'),
        ("línea\nnueva", 'organization_ref = "línea\nnueva"'),
    ],
)
def test_string_values_are_quoted_and_escaped(value: str, expected: str) -> None:
    assert filter_expression(Eq("organization_ref", value)) == expected


def test_quote_escapes_backslash_before_quote() -> None:
    assert quote('\\"') == '"\\\\\\""'


@pytest.mark.parametrize(
    "flt",
    [
        Eq("title", "x"),
        Eq("_geo", "x"),
        AnyOf("nope", ("a",)),
        Range("status"),
        Not(Eq("price_amount", "1")),
        Eq("status", None),
        Eq("status", ["a"]),
        Range("quantity_canonical", gte=float("inf")),
        GeoRadius(91, 0, 1),
        GeoRadius(0, 0, 0),
        Eq('status = "x" OR status', "y"),
    ],
)
def test_invalid_filters_raise_value_error(flt: object) -> None:
    with pytest.raises(ValueError):
        filter_expressions((flt,), SETTINGS)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, "3"), (3.0, "3"), (-0.5, "-0.5"), (1e-7, "0.0000001"), (1e20, "100000000000000000000"), (0.1, "0.1")],
)
def test_numbers_are_plain_decimals(value: float, expected: str) -> None:
    assert number(value) == expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_non_finite_numbers_are_rejected(value: float) -> None:
    with pytest.raises(ValueError):
        number(value)


def test_sort_expressions() -> None:
    assert sort_expression(SortSpec("quantity_canonical")) == "quantity_canonical:asc"
    assert sort_expression(SortSpec("created_at", descending=True)) == "created_at:desc"
    assert sort_expression(GeoSort(18.5, -88.3)) == "_geoPoint(18.5, -88.3):asc"


def test_search_params_full_query() -> None:
    query = SearchQuery(
        text="caoba",
        filters=(Eq("status", "active"), Range("quantity_canonical", gte=10)),
        facets=("category", "species"),
        sort=(GeoSort(18.5, -88.3), SortSpec("created_at", descending=True)),
        page=2,
        per_page=25,
        highlight=("title",),
    )
    assert search_params(query, SETTINGS) == {
        "page": 2,
        "hitsPerPage": 25,
        "matchingStrategy": "all",
        "showRankingScore": True,
        "filter": ['status = "active"', "quantity_canonical >= 10"],
        "facets": ["category", "species"],
        "sort": ["_geoPoint(18.5, -88.3):asc", "created_at:desc"],
        "attributesToHighlight": ["title"],
        "highlightPreTag": "\ue000",
        "highlightPostTag": "\ue001",
    }


def test_search_params_minimal_query() -> None:
    assert search_params(SearchQuery(), SETTINGS) == {"page": 1, "hitsPerPage": 20, "matchingStrategy": "all"}


@pytest.mark.parametrize(
    "query",
    [
        SearchQuery(facets=("title",)),
        SearchQuery(sort=(SortSpec("status"),)),
        SearchQuery(per_page=5000),
        SearchQuery(page=0),
        SearchQuery(sort=(GeoSort(0, 200),)),
    ],
)
def test_invalid_queries_raise_before_any_request(query: SearchQuery) -> None:
    with pytest.raises(ValueError):
        search_params(query, SETTINGS)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('caoba "roble" -pino', "caoba roble pino"),
        ("big-leaf mahogany", "big-leaf mahogany"),
        ("  --x  ", "x"),
        ("", ""),
    ],
)
def test_query_text_drops_phrase_and_negation_operators(text: str, expected: str) -> None:
    assert query_text(text) == expected


def test_index_uid() -> None:
    assert index_uid("forestmatch", "offers") == "forestmatch_offers"
    with pytest.raises(ValueError):
        index_uid("bad prefix", "offers")
    with pytest.raises(ValueError):
        index_uid("forestmatch", "Offers/../x")


def test_parse_response() -> None:
    query = SearchQuery(
        text="caoba",
        facets=("category", "status"),
        sort=(GeoSort(18.5, -88.3),),
        highlight=("title", "species_names", "missing"),
        page=1,
        per_page=2,
    )
    response = {
        "hits": [
            {
                "id": "o1",
                "title": "<b>Tablas</b> de caoba",
                "species_names": ["caoba", "mogno"],
                "_geo": {"lat": 19.14, "lng": -88.17},
                "_geoDistance": 72512,
                "_rankingScore": 0.93,
                "_formatted": {
                    "id": "o1",
                    "title": "<b>Tablas</b> de \ue000caoba\ue001",
                    "species_names": ["\ue000caoba\ue001", "mogno"],
                },
            }
        ],
        "totalHits": 7,
        "totalPages": 4,
        "page": 1,
        "hitsPerPage": 2,
        "facetDistribution": {"category": {"timber": 7}},
    }
    result = parse_response(response, query)
    assert (result.total, result.page, result.per_page, result.facets) == (
        7,
        1,
        2,
        {"category": {"timber": 7}, "status": {}},
    )
    hit = result.hits[0]
    assert hit.id == "o1"
    assert hit.document == {
        "id": "o1",
        "title": "<b>Tablas</b> de caoba",
        "species_names": ["caoba", "mogno"],
        "_geo": {"lat": 19.14, "lng": -88.17},
    }
    assert (hit.score, hit.distance_km) == (0.93, 72.512)
    assert hit.highlights == {
        "title": "&lt;b&gt;Tablas&lt;/b&gt; de <mark>caoba</mark>",
        "species_names": "<mark>caoba</mark>, mogno",
    }


def test_parse_response_never_marks_a_function_word() -> None:
    """Meilisearch marks every occurrence of a query's "de"; the embedded backend's rule applies to its output too."""
    query = SearchQuery(text="madera de pino", highlight=("title",))
    formatted = "\ue000Madera\ue001 \ue000de\ue001 \ue000pino\ue001 y tablas \ue000de\ue001 encino"
    response = {"hits": [{"id": "o1", "title": "", "_formatted": {"title": formatted}}], "totalHits": 1}
    assert parse_response(response, query).hits[0].highlights == {
        "title": "<mark>Madera</mark> de <mark>pino</mark> y tablas de encino"
    }


# -- ids only and ScoreSort (scored here: Meilisearch cannot sort by a computed sum) --------------------------------


def test_search_params_ids_only() -> None:
    query = SearchQuery(text="caoba", ids_only=True, highlight=("title",), sort=(SortSpec("created_at"),))
    assert search_params(query, SETTINGS) == {
        "page": 1,
        "hitsPerPage": 20,
        "matchingStrategy": "all",
        "showRankingScore": True,
        "sort": ["created_at:asc"],
        "attributesToRetrieve": ["id"],
    }


SCORED = ScoreSort(
    (
        Ramp("quantity_canonical", 0.0, 20.0, 0.3),
        Lookup("species_keys", (("swietenia macrophylla", 0.15),), default=0.12),
        Lookup("certificate_verified", ((True, 0.15),), default=0.06),
        Nearness(18.5, -88.3, 500.0, 0.2, missing=0.1),
    )
)


def test_search_params_score_sort_asks_for_every_match_with_the_scored_attributes() -> None:
    query = SearchQuery(filters=(Eq("category", "timber"),), sort=(SCORED,), ids_only=True, page=2, per_page=3)
    assert search_params(query, SETTINGS) == {
        "offset": 0,
        "limit": 100000,
        "matchingStrategy": "all",
        "attributesToRetrieve": ["id", "quantity_canonical", "species_keys", "certificate_verified", "_geo"],
        "filter": ['category = "timber"'],
    }


def test_document_score() -> None:
    doc = {
        "id": "a",
        "quantity_canonical": 10,
        "species_keys": ["genus:swietenia", "Swietenia Macrophylla"],
        "certificate_verified": True,
        "_geo": {"lat": 18.5, "lng": -88.3},
    }
    assert document_score(doc, SCORED) == pytest.approx(0.15 + 0.15 + 0.15 + 0.2)
    bare = {"id": "b", "certificate_verified": False, "species_keys": []}
    assert document_score(bare, SCORED) == pytest.approx(0.0 + 0.12 + 0.06 + 0.1)
    far = {"id": "c", "quantity_canonical": 40.0, "species_keys": ["genus:pinus"], "_geo": {"lat": 18.5, "lng": -93.0}}
    km = 2 * 6371.0088 * math.asin(math.sqrt(math.cos(math.radians(18.5)) ** 2 * math.sin(math.radians(4.7) / 2) ** 2))
    assert document_score(far, SCORED) == pytest.approx(0.3 + 0.12 + 0.06 + 0.2 / (1 + km / 500))


def test_parse_response_scores_sorts_and_pages() -> None:
    hits = [
        {"id": "low", "quantity_canonical": 1, "certificate_verified": False},
        {"id": "top", "quantity_canonical": 20, "certificate_verified": True, "_geo": {"lat": 18.5, "lng": -88.3}},
        {"id": "mid", "quantity_canonical": 10, "certificate_verified": True},
        {"id": "tie", "quantity_canonical": 10, "certificate_verified": True},
    ]
    response = {"hits": hits, "estimatedTotalHits": 4, "facetDistribution": {}}
    first = parse_response(response, SearchQuery(sort=(SCORED,), ids_only=True, per_page=2))
    second = parse_response(response, SearchQuery(sort=(SCORED,), ids_only=True, page=2, per_page=2))
    assert [(h.id, round(h.score or 0, 6)) for h in first.hits] == [("top", 0.77), ("mid", 0.52)]
    assert [(h.id, round(h.score or 0, 6)) for h in second.hits] == [("tie", 0.52), ("low", 0.295)]
    assert first.total == second.total == 4
    assert first.hits[0].document == {"id": "top"}
