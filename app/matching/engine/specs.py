"""The engine's inputs and outputs as frozen dataclasses: a request, an offer, a reason, a scored offer, a bundle."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any


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
    #: Only offers backed by lots that are all EUDR-ready may serve it.
    require_eudr_ready: bool = False


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
    #: Backed by lots that are all EUDR-ready (as last derived).
    eudr_ready: bool = False


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
    - ``eudr_ready``: none (the request requires EUDR-ready lots and the offer's lots all are)
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
