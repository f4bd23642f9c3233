"""The soft score: one part per aspect with its reason code, and the ranking of offers that pass the constraints."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import UTC, datetime

from app.matching.engine.constraints import best_species, delivery_distance_km, hard_constraint_failures
from app.matching.engine.specs import OfferSpec, Reason, RequestSpec, ScoredOffer
from app.vocab import resolve_species

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

    km = delivery_distance_km(request, offer)
    parts["distance"] = distance_part(km)
    if km is not None:
        reasons.append(Reason("distance", {"km": round(km), "place": request.delivery_place}))
    elif request.delivery_lat is None or request.delivery_lon is None:
        reasons.append(Reason("distance_no_delivery_point"))
    else:
        reasons.append(Reason("distance_no_location"))

    relation, offered = best_species(request, offer) if request.species else (2, None)
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

    if request.require_eudr_ready and offer.eudr_ready:
        reasons.append(Reason("eudr_ready"))  # the hard constraint met, said so: it adds nothing to the score

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
