"""Multi-producer bundles: offers from different producers that together cover a request, and the whole match."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from app import geo
from app.matching.engine.scoring import rank, rank_key
from app.matching.engine.specs import Bundle, OfferSpec, Reason, RequestSpec, ScoredOffer

# Bundles: seeds and candidates are capped so 1,000 ranked offers stay fast.
BUNDLE_SEEDS = 20
BUNDLE_CANDIDATES = 300
COHESION_KM = 300.0  # a bundle spread over this many km keeps half its score
UNKNOWN_CLOSENESS = 0.5  # a member without a location counts as COHESION_KM away
SIZE_PREFERENCE = 0.97  # each member beyond two costs 3 % of the bundle score


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
    members = sorted(members, key=rank_key)
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
    candidates = sorted(ranked, key=rank_key)[:BUNDLE_CANDIDATES]
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
