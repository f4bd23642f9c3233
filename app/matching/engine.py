"""The matching engine: hard constraints, a soft score with reasons, ranking, and multi-producer bundles.

Pure functions over plain dataclasses (no database, no I/O); the caller retrieves candidates and stores results.
Quantities are in the category's canonical unit (m³ or kg DRC).

Score (each part in [0, 1], weights in percent, summing to 100):

- volume 30: ``min(offer.quantity / request.quantity, 1)``
- distance 20: ``1 / (1 + km / 500)``; a neutral 0.5 when the offer or the request has no location
- species 15: 1 for the same species (any language) or when the request names none; 0.8 for a genus match
- claim 10: FSC 100% 1.0, Mix 0.8, Mix Credit 0.7, Recycled 0.6, Recycled Credit 0.5, Controlled Wood 0.3
- verification 15: staff-verified certificate 1.0, pending 0.4, rejected 0.0
- recency 10: offer updated within 30 whole days 1.0, falling linearly to 0 at 365 days

A perfect fit (full volume, at the delivery point, exact species, FSC 100%, verified, updated now) scores exactly 1.0.

Each part comes with a ``Reason``: a code and its values (numbers, vocabulary keys, names), never text. The words are
``app.matching.phrasing``'s job, in the reader's language and from the reader's side (the buyer reads "Covers 40 % of
your volume", the producer "Your offer covers 40 % of the 300 m³ requested").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from app import geo
from app.offers import visibility
from app.vocab import fold, resolve_species, species_matches

#: Weights in percent (integers, so a perfect offer sums to exactly 100 / 100 = 1.0).
WEIGHTS: dict[str, int] = {"volume": 30, "distance": 20, "species": 15, "claim": 10, "verification": 15, "recency": 10}
DISTANCE_HALF_KM = 500.0  # the distance part is 0.5 at this many km
UNKNOWN_DISTANCE_PART = 0.5
GENUS_MATCH_PART = 0.8
CLAIM_STRENGTH: dict[str, float] = {
    "FSC 100%": 1.0,
    "FSC Mix": 0.8,
    "FSC Mix Credit": 0.7,
    "FSC Recycled": 0.6,
    "FSC Recycled Credit": 0.5,
    "FSC Controlled Wood": 0.3,
}
VERIFICATION_PART: dict[str, float] = {"verified": 1.0, "pending": 0.4, "rejected": 0.0}
FRESH_DAYS = 30
STALE_DAYS = 365

# Bundles: seeds and candidates are capped so 1,000 ranked offers stay fast.
BUNDLE_SEEDS = 20
BUNDLE_CANDIDATES = 300
COHESION_KM = 300.0  # a bundle spread over this many km keeps half its score
UNKNOWN_CLOSENESS = 0.5  # a member without a location counts as COHESION_KM away
SIZE_PREFERENCE = 0.97  # each member beyond two costs 3 % of the bundle score


@dataclass(frozen=True)
class RequestSpec:
    ref: str
    organization_ref: str
    category: str
    product_types: tuple[str, ...]
    species: tuple[str, ...]
    accepted_claims: tuple[str, ...]
    quantity: float  # canonical unit
    unit: str  # canonical unit
    min_per_supplier: float | None
    partial_ok: bool
    delivery_lat: float | None
    delivery_lon: float | None
    delivery_place: str
    max_distance_km: float | None
    needed_from: date
    needed_by: date


@dataclass(frozen=True)
class OfferSpec:
    ref: str
    organization_ref: str
    organization_name: str
    organization_active: bool
    category: str
    product_type: str
    species: tuple[str, ...]
    claim: str
    status: str
    quantity: float  # canonical unit
    min_order: float | None  # canonical unit
    available_from: date
    available_to: date
    lat: float | None  # the offer's point, or its organisation's (the caller falls back)
    lon: float | None
    certificate_status: str
    certificate_expires_on: date
    certificate_product_types: tuple[str, ...]
    certificate_verification: str  # pending | verified | rejected
    certificate_verified_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True)
class Reason:
    """Why a part of the score is what it is, as data: ``code`` names the case, ``params`` hold its values.

    Values are plain JSON (numbers, vocabulary keys, scientific names, the request's place name), so a reason can be
    stored and worded later, in any language, for either side. Codes and their params:

    - ``volume_full`` / ``volume_partial``: ``percent`` (int), ``offered`` and ``requested`` (canonical unit), ``unit``
    - ``distance``: ``km`` (int), ``place`` (the request's delivery place, "" when it has none)
    - ``distance_no_delivery_point``, ``distance_no_location``: none
    - ``species_any``, ``species_none``: none; ``species_same``, ``species_genus``: ``species`` (scientific name)
    - ``claim``: ``claim`` (key)
    - ``certificate_verified``: ``days`` since staff verified it; ``certificate_verified_undated``,
      ``certificate_pending``, ``certificate_rejected``: none
    - ``updated``: ``days`` since the offer changed
    - bundles: ``bundle_cover`` (``count``, ``total``, ``requested``, ``unit``), ``bundle_spread`` (``km``),
      ``bundle_spread_unknown``, ``bundle_mean`` (``score``)
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "params": dict(self.params)}


@dataclass(frozen=True)
class ScoredOffer:
    offer: OfferSpec
    score: float
    parts: dict[str, float]
    reasons: list[Reason]
    distance_km: float | None


@dataclass(frozen=True)
class Bundle:
    offers: tuple[ScoredOffer, ...]
    total_quantity: float
    score: float
    reasons: list[Reason]
    spread_km: float | None


def _distance(request: RequestSpec, offer: OfferSpec) -> float | None:
    if None in (request.delivery_lat, request.delivery_lon, offer.lat, offer.lon):
        return None
    return geo.haversine_km(request.delivery_lat, request.delivery_lon, offer.lat, offer.lon)  # type: ignore[arg-type]


@lru_cache(maxsize=8192)
def _species_relation(wanted: str, offered: str) -> int:
    """2 = same species, 1 = genus match, 0 = no match (cached: the same names recur across offers)."""
    if not species_matches(wanted, offered):
        return 0
    return 2 if fold(resolve_species(wanted)) == fold(resolve_species(offered)) else 1


GENUS_KEY = "genus:"


def offered_species_keys(species: Iterable[str]) -> list[str]:
    """Search-index keys of an offer's species: each folded scientific name and ``genus:<its first word>``."""
    keys: list[str] = []
    for name in species:
        sci = fold(resolve_species(name))
        keys += [sci, GENUS_KEY + sci.split(" ")[0]]
    return list(dict.fromkeys(keys))


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


def _best_species(request: RequestSpec, offer: OfferSpec) -> tuple[int, str | None]:
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
        km = _distance(request, offer)
        if km is None or km > request.max_distance_km:
            failures.append("distance")
    if request.species and _best_species(request, offer)[0] == 0:
        failures.append("species")
    return failures


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def age_days(now: datetime, then: datetime) -> int:
    """Whole days from ``then`` to ``now`` (0 for moments in the future)."""
    return max(0, math.floor((_utc(now) - _utc(then)).total_seconds() / 86400))


def recency_part(days: int) -> float:
    """1 up to FRESH_DAYS whole days, linear down to 0 at STALE_DAYS."""
    if days <= FRESH_DAYS:
        return 1.0
    return max(0.0, (STALE_DAYS - days) / (STALE_DAYS - FRESH_DAYS))


def distance_part(km: float | None) -> float:
    return UNKNOWN_DISTANCE_PART if km is None else 1.0 / (1.0 + km / DISTANCE_HALF_KM)


def score_offer(request: RequestSpec, offer: OfferSpec, *, now: datetime) -> ScoredOffer:
    """Soft score in [0, 1] with one reason per part (assumes the hard constraints pass)."""
    parts: dict[str, float] = {}
    reasons: list[Reason] = []

    volume = 1.0 if request.quantity <= 0 else min(offer.quantity / request.quantity, 1.0)
    parts["volume"] = volume
    amounts = {"offered": offer.quantity, "requested": request.quantity, "unit": request.unit}
    if volume >= 1.0:
        reasons.append(Reason("volume_full", {"percent": 100, **amounts}))
    else:
        # Never "100 %" for an offer that falls short, however little: 99.6 % reads 99 %.
        reasons.append(Reason("volume_partial", {"percent": min(99, round(100 * volume)), **amounts}))

    km = _distance(request, offer)
    parts["distance"] = distance_part(km)
    if km is not None:
        reasons.append(Reason("distance", {"km": round(km), "place": request.delivery_place}))
    elif request.delivery_lat is None or request.delivery_lon is None:
        reasons.append(Reason("distance_no_delivery_point"))
    else:
        reasons.append(Reason("distance_no_location"))

    relation, offered = _best_species(request, offer) if request.species else (2, None)
    if not request.species:
        parts["species"] = 1.0
        reasons.append(Reason("species_any"))
    elif offered is None:  # only when called on an offer that fails the species constraint
        parts["species"] = 0.0
        reasons.append(Reason("species_none"))
    elif relation == 2:
        parts["species"] = 1.0
        reasons.append(Reason("species_same", {"species": resolve_species(offered)}))
    else:
        parts["species"] = GENUS_MATCH_PART
        reasons.append(Reason("species_genus", {"species": resolve_species(offered)}))

    parts["claim"] = CLAIM_STRENGTH.get(offer.claim, 0.0)
    reasons.append(Reason("claim", {"claim": offer.claim}))

    verification = offer.certificate_verification
    parts["verification"] = VERIFICATION_PART.get(verification, 0.0)
    if verification == "verified" and offer.certificate_verified_at is not None:
        reasons.append(Reason("certificate_verified", {"days": age_days(now, offer.certificate_verified_at)}))
    elif verification == "verified":
        reasons.append(Reason("certificate_verified_undated"))
    elif verification == "pending":
        reasons.append(Reason("certificate_pending"))
    else:
        reasons.append(Reason("certificate_rejected"))

    days = age_days(now, offer.updated_at)
    parts["recency"] = recency_part(days)
    reasons.append(Reason("updated", {"days": days}))

    score = sum(WEIGHTS[name] * value for name, value in parts.items()) / 100
    return ScoredOffer(offer=offer, score=min(1.0, max(0.0, score)), parts=parts, reasons=reasons, distance_km=km)


def _rank_key(scored: ScoredOffer) -> tuple[float, bool, float, str]:
    km = scored.distance_km
    return (-scored.score, km is None, km if km is not None else 0.0, scored.offer.ref)


#: The ranking order (best first), for callers that merge ranked lists.
rank_key = _rank_key


def rank(request: RequestSpec, offers: Iterable[OfferSpec], *, now: datetime) -> list[ScoredOffer]:
    """Offers passing every hard constraint, best first (score desc, distance asc with unknown last, ref)."""
    scored = [score_offer(request, offer, now=now) for offer in offers if not hard_constraint_failures(request, offer)]
    scored.sort(key=_rank_key)
    return scored


def _spread_km(members: list[ScoredOffer]) -> float | None:
    """Largest distance between two members (None when one has no location): how far one truck route reaches."""
    points = [(m.offer.lat, m.offer.lon) for m in members]
    if any(lat is None or lon is None for lat, lon in points):
        return None
    spread = 0.0
    for i, (lat1, lon1) in enumerate(points):
        for lat2, lon2 in points[i + 1 :]:
            spread = max(spread, geo.haversine_km(lat1, lon1, lat2, lon2))  # type: ignore[arg-type]
    return spread


def _points(candidates: list[ScoredOffer]) -> list[geo.PreparedPoint | None]:
    """Each candidate's point prepared once for the seed x candidate loop (None without a location)."""
    return [
        None if c.offer.lat is None or c.offer.lon is None else geo.prepare(c.offer.lat, c.offer.lon)
        for c in candidates
    ]


def _closeness_row(seed: geo.PreparedPoint | None, points: list[geo.PreparedPoint | None]) -> list[float]:
    """1 / (1 + km / COHESION_KM) from the seed to every candidate (UNKNOWN_CLOSENESS without locations)."""
    if seed is None:
        return [UNKNOWN_CLOSENESS] * len(points)
    return [
        UNKNOWN_CLOSENESS if km is None else 1.0 / (1.0 + km / COHESION_KM) for km in geo.distances_km(seed, points)
    ]


def _grow(
    seed_index: int, candidates: list[ScoredOffer], closeness: list[float], need: float, min_size: int, max_size: int
) -> list[ScoredOffer] | None:
    """Greedily add producers close to the seed with strong scores and useful volume until the need is covered."""
    seed = candidates[seed_index]
    members = [seed]
    producers = {seed.offer.organization_ref}
    total = seed.offer.quantity
    while (total < need or len(members) < min_size) and len(members) < max_size:
        remaining = need - total
        best, best_gain = -1, -1.0
        for j, cand in enumerate(candidates):
            if cand.offer.organization_ref in producers:
                continue
            cover = min(cand.offer.quantity / remaining, 1.0) if remaining > 0 else 1.0
            # Half the weight is for covering what is left, so bundles stay small.
            gain = cand.score * closeness[j] * (0.5 + 0.5 * cover)
            if gain > best_gain:
                best, best_gain = j, gain
        if best < 0:
            break
        members.append(candidates[best])
        producers.add(candidates[best].offer.organization_ref)
        total += candidates[best].offer.quantity
    if total < need or len(members) < min_size:
        return None
    # Drop members the others make redundant, weakest first (never the seed).
    for member in sorted(members[1:], key=lambda m: (m.score, m.offer.quantity)):
        if len(members) > min_size and total - member.offer.quantity >= need:
            members.remove(member)
            total -= member.offer.quantity
    return members


def _bundle(request: RequestSpec, members: list[ScoredOffer], min_size: int) -> Bundle:
    members = sorted(members, key=_rank_key)
    total = sum(m.offer.quantity for m in members)
    mean = sum(m.score for m in members) / len(members)
    spread = _spread_km(members)
    cohesion = UNKNOWN_CLOSENESS if spread is None else 1.0 / (1.0 + spread / COHESION_KM)
    score = mean * cohesion * SIZE_PREFERENCE ** max(0, len(members) - max(2, min_size))
    reasons = [
        Reason(
            "bundle_cover",
            {"count": len(members), "total": total, "requested": request.quantity, "unit": request.unit},
        ),
        Reason("bundle_spread", {"km": round(spread)}) if spread is not None else Reason("bundle_spread_unknown"),
        Reason("bundle_mean", {"score": mean}),
    ]
    return Bundle(
        offers=tuple(members), total_quantity=total, score=min(1.0, max(0.0, score)), reasons=reasons, spread_km=spread
    )


def _bundle_key(bundle: Bundle) -> tuple[float, bool, float, int, tuple[str, ...]]:
    spread = bundle.spread_km
    refs = tuple(sorted(m.offer.ref for m in bundle.offers))
    return (-bundle.score, spread is None, spread if spread is not None else 0.0, len(bundle.offers), refs)


def propose_bundles(
    request: RequestSpec, ranked: list[ScoredOffer], *, max_bundles: int = 3, min_size: int = 2, max_size: int = 6
) -> list[Bundle]:
    """Groups of offers from different producers that together cover the request, best first.

    Only when partial deliveries are acceptable and no single offer covers the quantity. Each of the top
    BUNDLE_SEEDS offers seeds a bundle grown greedily among the top BUNDLE_CANDIDATES; a bundle scores its
    members' mean score x cohesion (1 / (1 + spread / 300 km)) x 0.97 per member beyond two.
    """
    if not request.partial_ok or max_bundles <= 0 or max_size < max(2, min_size):
        return []
    if any(s.offer.quantity >= request.quantity for s in ranked):
        return []
    candidates = sorted(ranked, key=_rank_key)[:BUNDLE_CANDIDATES]
    found: dict[frozenset[str], Bundle] = {}
    points = _points(candidates)
    for seed_index in range(min(BUNDLE_SEEDS, len(candidates))):
        closeness = _closeness_row(points[seed_index], points)
        members = _grow(seed_index, candidates, closeness, request.quantity, min_size, max_size)
        if members is None:
            continue
        key = frozenset(m.offer.ref for m in members)
        if key not in found:
            found[key] = _bundle(request, members, min_size)
    return sorted(found.values(), key=_bundle_key)[:max_bundles]


def match(
    request: RequestSpec, offers: Iterable[OfferSpec], *, now: datetime
) -> tuple[list[ScoredOffer], list[Bundle]]:
    """Ranked single offers, plus bundles when no single offer covers the quantity and partial delivery is fine."""
    ranked = rank(request, offers, now=now)
    return ranked, propose_bundles(request, ranked)
