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

Split by concern: ``specs`` (the dataclasses), ``constraints`` (hard constraints and species keys), ``scoring``
(scores, reason codes and ranking), ``bundles`` (``propose_bundles`` and ``match``).
"""

from __future__ import annotations

from app.matching.engine.bundles import (
    BUNDLE_CANDIDATES,
    BUNDLE_SEEDS,
    COHESION_KM,
    SIZE_PREFERENCE,
    UNKNOWN_CLOSENESS,
    match,
    propose_bundles,
)
from app.matching.engine.constraints import (
    hard_constraint_failures,
    wanted_species_keys,
)
from app.matching.engine.scoring import (
    CLAIM_STRENGTH,
    DISTANCE_HALF_KM,
    FRESH_DAYS,
    GENUS_MATCH_PART,
    STALE_DAYS,
    UNKNOWN_DISTANCE_PART,
    VERIFICATION_PART,
    WEIGHTS,
    age_days,
    distance_part,
    rank,
    rank_key,
    recency_part,
    score_offer,
)
from app.matching.engine.specs import Bundle, OfferSpec, Reason, RequestSpec, ScoredOffer

__all__ = [
    "BUNDLE_CANDIDATES",
    "BUNDLE_SEEDS",
    "CLAIM_STRENGTH",
    "COHESION_KM",
    "DISTANCE_HALF_KM",
    "FRESH_DAYS",
    "GENUS_MATCH_PART",
    "SIZE_PREFERENCE",
    "STALE_DAYS",
    "UNKNOWN_CLOSENESS",
    "UNKNOWN_DISTANCE_PART",
    "VERIFICATION_PART",
    "WEIGHTS",
    "Bundle",
    "OfferSpec",
    "Reason",
    "RequestSpec",
    "ScoredOffer",
    "age_days",
    "distance_part",
    "hard_constraint_failures",
    "match",
    "propose_bundles",
    "rank",
    "rank_key",
    "recency_part",
    "score_offer",
    "wanted_species_keys",
]
