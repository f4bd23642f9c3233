"""Reference data for the demo generator, read once from the JSON tables in ``app/demo/data/``.

The tables (places, producer and buyer names, species, prices, sizes, titles and descriptions) are data, kept out of
the code so the generator stays readable; this module turns them into the typed, immutable values the generator uses.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any


@dataclass(frozen=True, slots=True)
class Place:
    locality: str
    region: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class ProducerSegment:
    """One kind of producer in one area: who they are, where, what they sell and in which language."""

    key: str
    country: str
    category: str
    weight: float
    languages: tuple[str, ...]
    lang: str  # language of offer titles and descriptions: es | pt | en
    currency: str
    places: tuple[Place, ...]
    #: (legal form, name, locality or None). "{place}" in a name expands to one candidate per place.
    names: tuple[tuple[str, str, str | None], ...]
    species: tuple[tuple[str, float], ...]
    products: tuple[tuple[str, float], ...]
    bodies: tuple[str, ...]
    jitter: float = 0.05  # degrees around the locality; kept small so points stay inside the region


@dataclass(frozen=True, slots=True)
class BuyerCity:
    key: str
    country: str
    region: str
    locality: str
    lat: float
    lon: float
    languages: tuple[str, ...]
    lang: str  # language of the company name patterns
    weight: float
    profiles: tuple[tuple[str, float], ...]
    words: tuple[str, ...]


def _frozen(value: Any) -> Any:
    """JSON arrays as tuples, at every depth, so the tables stay immutable and hashable like the literals they were."""
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return {k: _frozen(v) for k, v in value.items() if k != "_comment"}
    return value


def load_table(name: str) -> dict[str, Any]:
    """One ``app/demo/data/<name>.json`` file, arrays as tuples (``_comment`` keys dropped)."""
    text = (resources.files("app.demo") / "data" / f"{name}.json").read_text(encoding="utf-8")
    table: dict[str, Any] = _frozen(json.loads(text))
    return table


_producers = load_table("producers")
_buyers = load_table("buyers")
_species = load_table("species")
_market = load_table("market")
_texts = load_table("texts")


def _segment(row: dict[str, Any]) -> ProducerSegment:
    products, bodies = row["products"], row["bodies"]
    return ProducerSegment(
        row["key"],
        row["country"],
        row["category"],
        row["weight"],
        row["languages"],
        row["lang"],
        row["currency"],
        tuple(Place(locality, region, lat, lon) for locality, region, lat, lon in row["places"]),
        row["names"],
        row["species"],
        _producers["product_mixes"][products] if isinstance(products, str) else products,
        _producers["certification_bodies"][bodies] if isinstance(bodies, str) else bodies,
        row["jitter"],
    )


PRODUCER_SEGMENTS: tuple[ProducerSegment, ...] = tuple(_segment(row) for row in _producers["segments"])
PRODUCER_MAIL: dict[str, str] = _producers["contact_mailbox"]
#: Word before the number when a name repeats in large sets ("Ejido San Pedro Sección 2", "Elbe Holzhandel Werk 2").
PRODUCER_REPEAT: dict[str, str] = _producers["repeat_word"]

#: Buyer profile -> category and product preferences.
PROFILE_CATEGORY: dict[str, str] = _buyers["profile_category"]
PROFILE_PRODUCTS: dict[str, tuple[tuple[str, float], ...]] = _buyers["profile_products"]
PROFILE_SPECIES: dict[str, tuple[str, ...]] = _buyers["profile_species"]
LATEX_WANTED: tuple[str, ...] = _buyers["latex_wanted"]
BUYER_CITIES: tuple[BuyerCity, ...] = tuple(BuyerCity(**row) for row in _buyers["cities"])
#: Company name patterns per language and profile: (pattern with {w}, legal suffix).
BUYER_NAMES: dict[str, dict[str, tuple[tuple[str, str], ...]]] = _buyers["name_patterns"]
#: Spain shares Spanish patterns with Mexico but uses Spanish legal forms.
ES_SUFFIX: dict[str, str] = _buyers["spain_legal_suffix"]
BUYER_MAIL: dict[str, str] = _buyers["contact_mailbox"]
BUYER_REPEAT: dict[str, str] = _buyers["repeat_word"]

#: Common names for species the vocabulary does not list (titles only; matching uses vocab.SPECIES).
EXTRA_COMMON: dict[str, dict[str, str]] = _species["extra_common_names"]
#: Relative timber value by species (multiplies the product's base price).
SPECIES_VALUE: dict[str, float] = _species["species_value"]

#: Base price in USD per canonical unit (m3 or kg DRC), before species value and noise.
BASE_PRICE_USD: dict[str, float] = _market["base_price_usd"]
PRICE_BY_SPECIES: frozenset[str] = frozenset(_market["price_by_species"])
USD_RATE: dict[str, float] = _market["usd_rate"]
#: Offer sizes (canonical units: m3 or kg DRC), drawn log-uniformly.
OFFER_SIZE: dict[str, tuple[float, float]] = _market["offer_size"]
#: Request sizes for requests that are not built around an existing offer.
DEMAND_SIZE: dict[str, tuple[float, float]] = _market["demand_size"]
#: Products sold as they leave the forest (all an FM-only certificate can carry).
PRIMARY: frozenset[str] = frozenset(_market["primary_products"])
CLAIM_SETS: dict[str, tuple[tuple[tuple[str, ...], float], ...]] = _market["claim_sets"]
DISTANCES: dict[str, tuple[int, ...]] = _market["max_distances_km"]
EU: frozenset[str] = frozenset(_market["eu_countries"])
#: How each country labels technically specified rubber.
TSR_NAME: dict[str, str] = _market["tsr_name"]

# Request titles as a buyer types them: what (product, and the species when one is named) and for where.
REQUEST_NOUNS: dict[str, dict[str, str]] = _texts["request_nouns"]
REQUEST_TITLE: dict[str, tuple[str, str]] = _texts["request_title"]
# Offer titles: {sp} common name, {Sp} capitalised; latex titles use {drc}, {grade}, {tsr}.
TITLES: dict[str, dict[str, tuple[str, ...]]] = _texts["offer_titles"]
DESCRIPTIONS: dict[str, dict[str, tuple[str, ...]]] = _texts["descriptions"]
