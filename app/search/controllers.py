"""The buyer search page (/search, htmx search-as-you-type over a plain GET form) and the public search API."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from app.i18n import get_locale
from app.places import collation_key, country_name, region_name
from app.search import services
from app.search.services import SearchPage, SearchParams, search_offers
from app.validation import FieldErrors
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CLAIMS, label, species_label, vocabulary_schema
from app.web.api_support import PUBLIC, api_errors
from app.web.render import render
from search_index.backend import SearchBackend


@dataclass
class FacetOption:
    value: str
    label: str
    count: int | None
    selected: bool


_VOCAB: dict[str, dict[str, str]] = {"category": CATEGORIES, "product_type": ALL_PRODUCT_TYPES, "claim": CLAIMS}


def facet_options(page: SearchPage, name: str) -> list[FacetOption]:
    """The checkboxes of one filter: values with matches (with counts when the engine answered) and chosen ones,
    in vocabulary order or by their label in the reader's language."""
    counts = page.facets.get(name, {})
    chosen = list(getattr(page.params, name))
    locale = get_locale()

    def text(value: str) -> str:
        if name in _VOCAB:
            return label(_VOCAB[name], value)
        if name == "species":
            return species_label(value, locale)
        if name == "country":
            return country_name(value, locale)
        if name == "region":
            return region_name(value, locale)
        return value

    values = list(dict.fromkeys([*counts, *chosen]))
    if name in _VOCAB:
        keys = list(_VOCAB[name])
        values.sort(key=lambda v: keys.index(v) if v in keys else len(keys))
    else:
        values.sort(key=lambda v: collation_key(text(v), locale))
    return [FacetOption(v, text(v), counts.get(v, 0) if page.facets else None, v in chosen) for v in values]


@get("/search", include_in_schema=False, name="search_page")
async def search_page(request: HTMXRequest, backend: NamedDependency[SearchBackend]) -> Template:
    """Search offers: text, facet filters with counts, quantity, distance, sort; htmx swaps only the results."""
    params = SearchParams.from_query(services.query_dict(request.query_params.multi_items()))
    page = await search_offers(params, backend)
    context = {
        "params": params,
        "result": page,
        "errors": params.errors,
        "facet_options": facet_options,
        "base_query": params.query_string(),
    }
    return render(request, "search/page.html.jinja2", context, fragment="search/_results.html.jinja2")


class SearchPageOut(msgspec.Struct):
    """One page of search results."""

    #: Offer search documents (as indexed), each with ``highlights`` ({field: HTML with <mark>}) and ``distance_km``.
    items: list[dict[str, Any]]
    total: int
    page: int
    per_page: int
    #: Counts per filter value ({"claim": {"FSC 100%": 12}}); each filter's counts ignore that filter's own choice.
    facets: dict[str, dict[str, int]]
    #: True when the search engine was unavailable and a simpler database query answered (no facets or relevance).
    degraded: bool

    @classmethod
    def of(cls, result: SearchPage) -> SearchPageOut:
        """The API's answer for a page of ``search_offers``."""
        return cls(
            items=[item.as_json() for item in result.items],
            total=result.total,
            page=result.page,
            per_page=result.per_page,
            facets=result.facets,
            degraded=result.degraded,
        )


def _doc(text: str, keys: Iterable[str] | None = None) -> Any:
    """A documented query parameter; ``keys``: its values come from this vocabulary (one, or repeated)."""
    if keys is None:
        return QueryParameter(description=text, required=False)
    item = vocabulary_schema(keys)
    return QueryParameter(
        description=text, required=False, schema_extra={"oneOf": [{"type": "array", "items": item}, item]}
    )


Many = list[str] | None
One = str | None


@get("/api/v1/search/offers", tags=["search"], summary="Search offers", security=PUBLIC, responses=api_errors())
async def api_search_offers(
    q: Annotated[
        One,
        _doc(
            "Search words (at most 200 characters); accents and case do not matter, and common "
            "names in Spanish, English and Portuguese find the species."
        ),
    ] = None,
    category: Annotated[Many, _doc("timber or latex; repeat the parameter for several.", CATEGORIES)] = None,
    product_type: Annotated[Many, _doc("Product type key, e.g. sawn_timber; repeatable.", ALL_PRODUCT_TYPES)] = None,
    species: Annotated[Many, _doc("Scientific or common name, or a genus such as Pinus; repeatable.")] = None,
    claim: Annotated[Many, _doc('FSC claim, e.g. "FSC 100%"; repeatable.', CLAIMS)] = None,
    country: Annotated[Many, _doc("ISO 3166-1 code of the producer's country, e.g. MX; repeatable.")] = None,
    region: Annotated[Many, _doc("ISO 3166-2 code of the producer's region, e.g. MX-DUR; repeatable.")] = None,
    verified: Annotated[One, _doc("true: only certificates verified by program staff.")] = None,
    eudr: Annotated[One, _doc("true: only offers backed by lots that are all EUDR-ready.")] = None,
    min_qty: Annotated[One, _doc("Minimum quantity in the canonical unit (m³ for timber, kg DRC for latex).")] = None,
    max_qty: Annotated[One, _doc("Maximum quantity in the canonical unit.")] = None,
    near_lat: Annotated[One, _doc("Latitude of a point (with near_lon): distances and the distance sort.")] = None,
    near_lon: Annotated[One, _doc("Longitude of the point.")] = None,
    within_km: Annotated[One, _doc("Only offers within this many km of the point (needs near_lat, near_lon).")] = None,
    sort: Annotated[
        One,
        _doc(
            "relevance (default), quantity (largest first), distance (nearest first, needs the "
            "point), newest, expiry (certificate valid longest first)."
        ),
    ] = None,
    page: Annotated[One, _doc("Page number from 1; 20 offers a page.")] = None,
    *,
    backend: NamedDependency[SearchBackend],
) -> SearchPageOut:
    """Publicly listed offers (active, under a valid unexpired certificate) matching the search; no sign-in needed."""
    given = {
        "q": q,
        "category": category,
        "product_type": product_type,
        "species": species,
        "claim": claim,
        "country": country,
        "region": region,
        "verified": verified,
        "eudr": eudr,
        "min_qty": min_qty,
        "max_qty": max_qty,
        "near_lat": near_lat,
        "near_lon": near_lon,
        "within_km": within_km,
        "sort": sort,
        "page": page,
    }
    params = SearchParams.from_query({k: v for k, v in given.items() if v is not None})
    if params.errors:
        raise FieldErrors(params.errors)
    return SearchPageOut.of(await search_offers(params, backend, suggest=False))


ROUTES = [search_page, api_search_offers]
