"""Candidate retrieval for the matcher: the best viable offers of a request, without scanning every offer.

The search index answers with ids only, ordered by an upper bound of the engine's score computed from indexed
attributes (``ScoreSort``): volume, distance, claim and species are exact, verification counts pending and rejected
alike as pending, recency is shifted by one day to cover the engine's whole days. Every hard constraint is a filter.
The candidates are re-read from the database and re-checked there, page after page, until the best
``MAX_RECOMMENDATIONS`` viable offers all score above the bound of any offer not read yet (or the index has no
more): so the cap never loses a better offer than those kept, and a stale index can never produce a violation.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import math
from dataclasses import dataclass
from typing import Any

from app.indexing.documents import OFFERS_INDEX, date_int
from app.matching import engine
from app.offers import projection, visibility
from app.offers.tables import Offer
from app.traceability.offer_lots import eudr_ready_among, eudr_ready_offer_refs
from app.vocab import CANONICAL_UNIT
from search_index.backend import SearchBackend
from search_index.query import (
    AnyOf,
    Eq,
    GeoRadius,
    Lookup,
    Nearness,
    Not,
    Ramp,
    Range,
    ScorePart,
    ScoreSort,
    SearchQuery,
)

log = logging.getLogger("forestmatch.matching")

#: Ranked offers kept per request: the bundles look at the best engine.BUNDLE_CANDIDATES of them.
MAX_RECOMMENDATIONS = 300
#: Ids asked of the index per round; a little over MAX_RECOMMENDATIONS, for offers the database re-check drops.
CANDIDATE_PAGE = 400
MAX_ROUNDS = 8
#: Float slack between SQL and Python arithmetic of the same score.
EPSILON = 1e-9
DAY_S = 86400


def _json_list(value: Any) -> list[Any]:
    if isinstance(value, str):
        return list(json.loads(value))
    return list(value or [])


def request_spec(row: dict[str, Any]) -> engine.RequestSpec:
    return engine.RequestSpec(
        ref=row["ref"],
        organization_ref=row["organization_ref"],
        category=row["category"],
        product_types=tuple(_json_list(row["product_types"])),
        species=tuple(_json_list(row["species"])),
        accepted_claims=tuple(_json_list(row["accepted_claims"])),
        quantity=float(row["quantity_canonical"]),
        unit=CANONICAL_UNIT[row["category"]],
        min_per_supplier=row["min_per_supplier_canonical"],
        partial_ok=bool(row["partial_ok"]),
        delivery_lat=row["delivery_lat"],
        delivery_lon=row["delivery_lon"],
        delivery_place=row["delivery_place"] or "",
        max_distance_km=row["max_distance_km"],
        needed_from=row["needed_from"],
        needed_by=row["needed_by"],
        require_eudr_ready=bool(row.get("require_eudr_ready")),
    )


#: What the matcher reads of an offer: its own fields, the organisation's place and state, the certificate's state.
_SPEC_OFFER_FIELDS = (
    "id",
    "ref",
    "category",
    "product_type",
    "species",
    "claim",
    "status",
    "quantity_canonical",
    "min_order_canonical",
    "available_from",
    "available_to",
    "lat",
    "lon",
    "updated_at",
    "lots",
)
_SPEC_JOINED = (
    "organization_ref",
    "organization_name",
    "organization_active",
    "organization_lat",
    "organization_lon",
    "certificate_status",
    "certificate_expires_on",
    "certificate_product_types",
    "certificate_verification",
    "certificate_verified_at",
)
_OFFER_SPEC_COLUMNS = projection.columns(_SPEC_OFFER_FIELDS, _SPEC_JOINED)


def offer_spec(row: dict[str, Any]) -> engine.OfferSpec:
    lat = row["lat"] if row["lat"] is not None else row["organization_lat"]
    lon = row["lon"] if row["lon"] is not None else row["organization_lon"]
    updated = row["updated_at"]
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=dt.UTC)
    return engine.OfferSpec(
        ref=row["ref"],
        organization_ref=row["organization_ref"],
        organization_name=row["organization_name"],
        organization_active=bool(row["organization_active"]),
        category=row["category"],
        product_type=row["product_type"],
        species=tuple(_json_list(row["species"])),
        claim=row["claim"],
        status=row["status"],
        quantity=float(row["quantity_canonical"]),
        min_order=row["min_order_canonical"],
        available_from=row["available_from"],
        available_to=row["available_to"],
        lat=lat if lat is not None and lon is not None else None,
        lon=lon if lat is not None and lon is not None else None,
        certificate_status=row["certificate_status"],
        certificate_expires_on=row["certificate_expires_on"],
        certificate_product_types=tuple(_json_list(row["certificate_product_types"])),
        certificate_verification=row["certificate_verification"],
        certificate_verified_at=row["certificate_verified_at"],
        updated_at=updated,
        eudr_ready=bool(row.get("eudr_ready")),
    )


def _weight(name: str) -> float:
    return engine.WEIGHTS[name] / 100


def score_parts(spec: engine.RequestSpec, moment: dt.datetime) -> tuple[tuple[ScorePart, ...], float]:
    """An upper bound of ``engine.score_offer`` as ScoreSort parts, and the constant to add to their sum."""
    parts: list[ScorePart] = []
    constant = 0.0
    if spec.quantity > 0:
        parts.append(Ramp("quantity_canonical", 0.0, spec.quantity, _weight("volume")))
    else:
        constant += _weight("volume")
    if spec.delivery_lat is not None and spec.delivery_lon is not None:
        parts.append(
            Nearness(
                spec.delivery_lat,
                spec.delivery_lon,
                engine.DISTANCE_HALF_KM,
                _weight("distance"),
                missing=_weight("distance") * engine.UNKNOWN_DISTANCE_PART,
            )
        )
    else:
        constant += _weight("distance") * engine.UNKNOWN_DISTANCE_PART
    if spec.species:
        exact = engine.wanted_species_keys(spec.species)[1]
        parts.append(
            Lookup(
                "species_keys",
                tuple((k, _weight("species")) for k in exact),
                default=_weight("species") * engine.GENUS_MATCH_PART,
            )
        )
    else:
        constant += _weight("species")
    parts.append(
        Lookup("claim", tuple((c, _weight("claim") * v) for c, v in engine.CLAIM_STRENGTH.items()), default=0.0)
    )
    best_unverified = max(v for k, v in engine.VERIFICATION_PART.items() if k != "verified")
    parts.append(
        Lookup(
            "certificate_verified",
            ((True, _weight("verification") * engine.VERIFICATION_PART["verified"]),),
            default=_weight("verification") * best_unverified,
        )
    )
    # The engine counts whole days (floor): one day of slack keeps this an upper bound.
    now_s = moment.timestamp()
    parts.append(
        Ramp(
            "updated_at",
            now_s - (engine.STALE_DAYS + 1) * DAY_S,
            now_s - (engine.FRESH_DAYS + 1) * DAY_S,
            _weight("recency"),
        )
    )
    return tuple(parts), constant


def listed_through(spec: engine.RequestSpec, moment: dt.datetime) -> dt.date:
    """The day an offer must still be listed on to serve the request: the end of its delivery window (and at least
    today: an offer no longer listed is never recommended)."""
    return max(spec.needed_by, moment.date())


def candidate_query(
    spec: engine.RequestSpec, moment: dt.datetime, *, page: int = 1, quantity_at_least: float | None = None
) -> SearchQuery:
    """The hard constraints as structured search filters, best upper-bound score first, ids only."""
    filters: list[Any] = [
        Eq("category", spec.category),
        AnyOf("product_type", spec.product_types),
        AnyOf("claim", spec.accepted_claims),
        # Listed for buyers, with the certificate valid through the delivery window.
        *visibility.search_filters(listed_through(spec, moment)),
        Range("available_from", lte=date_int(spec.needed_by)),
        Range("available_to", gte=date_int(spec.needed_from)),
        Not(Eq("organization_ref", spec.organization_ref)),
        # An offer sold in lots larger than the whole need cannot serve it.
        Not(Range("min_order_canonical", gte=math.nextafter(spec.quantity, math.inf))),
    ]
    if spec.require_eudr_ready:
        filters.append(Eq("eudr_ready", True))
    if spec.species:
        filters.append(AnyOf("species_keys", tuple(engine.wanted_species_keys(spec.species)[0])))
    if spec.min_per_supplier:
        filters.append(Range("quantity_canonical", gte=spec.min_per_supplier))
    if quantity_at_least is not None:
        filters.append(Range("quantity_canonical", gte=quantity_at_least))
    has_point = spec.delivery_lat is not None and spec.delivery_lon is not None
    if spec.max_distance_km is not None and has_point:
        filters.append(GeoRadius(spec.delivery_lat, spec.delivery_lon, spec.max_distance_km))  # type: ignore[arg-type]
    parts, _constant = score_parts(spec, moment)
    return SearchQuery(
        filters=tuple(filters), sort=(ScoreSort(parts),), page=page, per_page=CANDIDATE_PAGE, ids_only=True
    )


async def _sql_candidates(spec: engine.RequestSpec, moment: dt.datetime) -> list[str]:
    """The same constraints in SQL, for when the search engine cannot answer."""
    where = [
        Offer.category == spec.category,
        Offer.product_type.is_in(list(spec.product_types)),
        Offer.claim.is_in(list(spec.accepted_claims)),
        visibility.where(listed_through(spec, moment)),
        Offer.available_from <= spec.needed_by,
        Offer.available_to >= spec.needed_from,
        Offer.organization.ref != spec.organization_ref,
    ]
    if spec.min_per_supplier:
        where.append(Offer.quantity_canonical >= spec.min_per_supplier)
    if spec.require_eudr_ready:
        where.append(Offer.ref.is_in(await eudr_ready_offer_refs() or [""]))
    rows = await Offer.select(Offer.ref).where(*where).limit(MAX_RECOMMENDATIONS * 20)
    return [r["ref"] for r in rows]


_OFFER_SPEC_SQL = f"""
SELECT {projection.sql_columns(_SPEC_OFFER_FIELDS, _SPEC_JOINED)}
FROM offer o
JOIN organization g ON g.id = o.organization
JOIN certificate c ON c.id = o.certificate
WHERE o.ref IN ({{refs}})
"""


async def _offer_specs(refs: list[str]) -> list[engine.OfferSpec]:
    """The database's current truth for these offers (one hand-written query per 500 refs: this runs for
    every match and is several times cheaper than the ORM's joined select)."""
    specs: list[engine.OfferSpec] = []
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        sql = _OFFER_SPEC_SQL.replace("{refs}", ", ".join("{}" for _ in chunk))
        rows = await Offer.raw(sql, *chunk)
        named = {row["ref"]: _json_list(row["lots"]) for row in rows if _json_list(row["lots"])}
        ready = await eudr_ready_among(named) if named else set()
        for row in rows:
            row["eudr_ready"] = row["ref"] in ready
            for key in ("available_from", "available_to", "certificate_expires_on"):
                if isinstance(row[key], str):
                    row[key] = dt.date.fromisoformat(row[key])
            for key in ("updated_at", "certificate_verified_at"):
                if isinstance(row[key], str):
                    row[key] = dt.datetime.fromisoformat(row[key])
            specs.append(offer_spec(row))
    return specs


@dataclass
class Candidates:
    """The best viable offers of a request, ranked (at most MAX_RECOMMENDATIONS), and what the bundles need."""

    ranked: list[engine.ScoredOffer]
    #: Some viable offer (kept or not) covers the whole quantity: no bundles.
    covered: bool
    #: The search engine failed and SQL served the candidates.
    degraded: bool
    #: Offers the index returned (all rounds) and rounds used, for the benchmark.
    read: int = 0
    rounds: int = 0


async def _viable(spec: engine.RequestSpec, ids: list[str], moment: dt.datetime) -> list[engine.ScoredOffer]:
    return engine.rank(spec, await _offer_specs(ids), now=moment)


async def _covered_elsewhere(spec: engine.RequestSpec, backend: SearchBackend, moment: dt.datetime) -> bool:
    """Whether any viable offer covers the whole quantity (checked in the database, page by page)."""
    for page in range(1, MAX_ROUNDS + 1):
        result = await backend.search(
            OFFERS_INDEX, candidate_query(spec, moment, page=page, quantity_at_least=spec.quantity)
        )
        if await _viable(spec, [h.id for h in result.hits], moment):
            return True
        if page * CANDIDATE_PAGE >= result.total:
            return False
    return False


async def best_candidates(spec: engine.RequestSpec, backend: SearchBackend, moment: dt.datetime) -> Candidates:
    """The best viable offers, exactly as a scan of every offer would rank them (see the module docstring)."""
    _parts, constant = score_parts(spec, moment)
    found: dict[str, engine.ScoredOffer] = {}
    read = 0
    exhausted = False
    bound = math.inf
    page = 0
    try:
        while page < MAX_ROUNDS:
            page += 1
            result = await backend.search(OFFERS_INDEX, candidate_query(spec, moment, page=page))
            read += len(result.hits)
            for scored in await _viable(spec, [h.id for h in result.hits], moment):
                found.setdefault(scored.offer.ref, scored)
            exhausted = not result.hits or page * CANDIDATE_PAGE >= result.total
            if exhausted:
                break
            # Every offer not read yet scores at most the last hit's upper bound.
            bound = (result.hits[-1].score or 0.0) + constant + EPSILON
            if sum(1 for s in found.values() if s.score > bound) >= MAX_RECOMMENDATIONS:
                break
        ranked = sorted(found.values(), key=engine.rank_key)
        covered = any(s.offer.quantity >= spec.quantity for s in ranked)
        if not covered and not exhausted and spec.partial_ok:
            covered = await _covered_elsewhere(spec, backend, moment)
    except Exception as exc:  # search engine down or misconfigured: stay correct, answer from SQL
        log.warning("search backend unavailable for matching, using SQL: %s", exc)
        ranked = engine.rank(spec, await _offer_specs(await _sql_candidates(spec, moment)), now=moment)
        covered = any(s.offer.quantity >= spec.quantity for s in ranked)
        return Candidates(ranked[:MAX_RECOMMENDATIONS], covered, True)
    if not exhausted:
        # Past the rounds allowed, keep only what is sure to beat every offer not read.
        ranked = [s for s in ranked if s.score > bound] or ranked
    return Candidates(ranked[:MAX_RECOMMENDATIONS], covered, False, read, page)
