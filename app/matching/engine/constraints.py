"""Hard constraints: whether an offer may be matched to a request at all, and the species keys the index filters on."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

from app import geo
from app.matching.engine.specs import OfferSpec, RequestSpec
from app.offers import visibility
from app.vocab import GENUS_KEY, fold, resolve_species, species_matches


def delivery_distance_km(request: RequestSpec, offer: OfferSpec) -> float | None:
    if None in (request.delivery_lat, request.delivery_lon, offer.lat, offer.lon):
        return None
    return geo.haversine_km(request.delivery_lat, request.delivery_lon, offer.lat, offer.lon)  # type: ignore[arg-type]


@lru_cache(maxsize=8192)
def _species_relation(wanted: str, offered: str) -> int:
    """2 = same species, 1 = genus match, 0 = no match (cached: the same names recur across offers)."""
    if not species_matches(wanted, offered):
        return 0
    return 2 if fold(resolve_species(wanted)) == fold(resolve_species(offered)) else 1


def wanted_species_keys(species: Iterable[str]) -> tuple[list[str], list[str]]:
    """(keys an offer must have one of to pass the species constraint, keys meaning the same species).

    The same rule as ``species_matches``: an offer matches a wanted name by its full scientific name, and a wanted
    single word (a genus) matches every offered species whose first word it is."""
    exact: list[str] = []
    genus: list[str] = []
    for name in species:
        sci = resolve_species(name)
        exact.append(fold(sci))
        if " " not in sci.strip():
            genus.append(GENUS_KEY + fold(sci))
    exact = list(dict.fromkeys(exact))
    return list(dict.fromkeys(exact + genus)), exact


def best_species(request: RequestSpec, offer: OfferSpec) -> tuple[int, str | None]:
    """The strongest relation between any requested and offered species, with the offered name giving it."""
    best, name = 0, None
    for offered in offer.species:
        for wanted in request.species:
            relation = _species_relation(wanted, offered)
            if relation > best:
                best, name = relation, offered
                if best == 2:
                    return best, name
    return best, name


def hard_constraint_failures(request: RequestSpec, offer: OfferSpec) -> list[str]:
    """Machine codes of every hard constraint the offer breaks for the request; [] means it may be matched."""
    failures: list[str] = []
    if offer.organization_ref == request.organization_ref:
        failures.append("own_organization")
    # Listed for buyers (app.offers.visibility), with the certificate valid through the whole delivery window.
    failures.extend(r.code for r in visibility.unmet(offer, request.needed_by))
    if offer.category != request.category:
        failures.append("category")
    if offer.product_type not in request.product_types:
        failures.append("product_type")
    if offer.claim not in request.accepted_claims:
        failures.append("claim")
    if offer.available_from > request.needed_by or offer.available_to < request.needed_from:
        failures.append("availability")
    if request.min_per_supplier is not None and offer.quantity < request.min_per_supplier:
        failures.append("min_per_supplier")
    # A producer who sells no less than min_order cannot serve a need smaller than that.
    if offer.min_order is not None and offer.min_order > request.quantity:
        failures.append("min_order")
    if request.max_distance_km is not None:
        km = delivery_distance_km(request, offer)
        if km is None or km > request.max_distance_km:
            failures.append("distance")
    if request.species and best_species(request, offer)[0] == 0:
        failures.append("species")
    if request.require_eudr_ready and not offer.eudr_ready:
        failures.append("eudr_ready")
    return failures
