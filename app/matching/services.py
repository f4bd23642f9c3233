"""Matching sourcing requests and offers: candidates from the search index, truth from the database.

1. Candidate retrieval asks the search backend with every hard constraint as a structured filter (nearest
   first when there is a delivery point). If the search engine is down, the same constraints run in SQL.
2. The candidates are re-read from the database and the engine re-checks every hard constraint there, so a
   stale index can cost a recommendation but can never produce one that breaks a constraint.
3. Results are stored (``Match``/``MatchBundle``), keeping each match's status across recomputations.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser, now
from app.db import atomic
from app.i18n import get_locale, reset_locale, set_locale
from app.indexing.documents import OFFERS_INDEX, date_int
from app.matching import engine
from app.matching.tables import Match, MatchBundle, MatchRun
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from app.validation import NotFound, PermissionDenied
from app.vocab import CANONICAL_UNIT

log = logging.getLogger("forestmatch.matching")

MAX_CANDIDATES = 1000


@dataclass
class MatchAnswer:
    """The answer format of IMPORT_FORMAT.md (``forestmatch matches REF --json``)."""

    request: dict[str, Any]
    matches: list[engine.ScoredOffer]
    bundles: list[engine.Bundle]
    degraded: bool  # True when the search engine was down and SQL served the candidates

    def as_json(self) -> dict[str, Any]:
        unit = CANONICAL_UNIT[self.request["category"]]
        return {
            "request": self.request["ref"],
            "matches": [
                {
                    "offer": m.offer.ref,
                    "organization": m.offer.organization_ref,
                    "score": round(m.score, 4),
                    "quantity": round(m.offer.quantity, 3),
                    "unit": unit,
                    "distance_km": round(m.distance_km, 1) if m.distance_km is not None else None,
                    "reasons": m.reasons,
                }
                for m in self.matches
            ],
            "bundles": [
                {
                    "offers": [m.offer.ref for m in b.offers],
                    "total_quantity": round(b.total_quantity, 3),
                    "unit": unit,
                    "score": round(b.score, 4),
                    "reasons": b.reasons,
                }
                for b in self.bundles
            ],
        }


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
    )


_OFFER_SPEC_COLUMNS = (
    Offer.id,
    Offer.ref,
    Offer.category,
    Offer.product_type,
    Offer.species,
    Offer.claim,
    Offer.status,
    Offer.quantity_canonical,
    Offer.min_order_canonical,
    Offer.available_from,
    Offer.available_to,
    Offer.lat,
    Offer.lon,
    Offer.updated_at,
    Offer.organization.ref.as_alias("organization_ref"),
    Offer.organization.name.as_alias("organization_name"),
    Offer.organization.is_active.as_alias("organization_active"),
    Offer.organization.lat.as_alias("organization_lat"),
    Offer.organization.lon.as_alias("organization_lon"),
    Offer.certificate.status.as_alias("certificate_status"),
    Offer.certificate.expires_on.as_alias("certificate_expires_on"),
    Offer.certificate.product_types.as_alias("certificate_product_types"),
    Offer.certificate.verification.as_alias("certificate_verification"),
    Offer.certificate.verified_at.as_alias("certificate_verified_at"),
)


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
    )


def candidate_query(spec: engine.RequestSpec) -> Any:
    """The hard constraints as structured search filters."""
    from search_index.query import AnyOf, Eq, GeoRadius, GeoSort, Not, Range, SearchQuery, SortSpec

    filters: list[Any] = [
        Eq("category", spec.category),
        AnyOf("product_type", spec.product_types),
        AnyOf("claim", spec.accepted_claims),
        Eq("status", "active"),
        Eq("certificate_status", "valid"),
        Eq("certificate_covers", True),
        Range("certificate_expires_on", gte=date_int(spec.needed_by)),
        Range("available_from", lte=date_int(spec.needed_by)),
        Range("available_to", gte=date_int(spec.needed_from)),
        Not(Eq("organization_ref", spec.organization_ref)),
    ]
    if spec.min_per_supplier:
        filters.append(Range("quantity_canonical", gte=spec.min_per_supplier))
    has_point = spec.delivery_lat is not None and spec.delivery_lon is not None
    if spec.max_distance_km is not None and has_point:
        filters.append(GeoRadius(spec.delivery_lat, spec.delivery_lon, spec.max_distance_km))  # type: ignore[arg-type]
    sort = (
        (GeoSort(spec.delivery_lat, spec.delivery_lon),)
        if has_point
        else (  # type: ignore[arg-type]
            SortSpec("quantity_canonical", descending=True),
        )
    )
    return SearchQuery(filters=tuple(filters), sort=sort, per_page=MAX_CANDIDATES)


async def _sql_candidates(spec: engine.RequestSpec) -> list[str]:
    """The same constraints in SQL, for when the search engine cannot answer."""
    where = [
        Offer.category == spec.category,
        Offer.product_type.is_in(list(spec.product_types)),
        Offer.claim.is_in(list(spec.accepted_claims)),
        Offer.status == "active",
        Offer.certificate.status == "valid",
        Offer.certificate.expires_on >= spec.needed_by,
        Offer.available_from <= spec.needed_by,
        Offer.available_to >= spec.needed_from,
        Offer.organization.ref != spec.organization_ref,
    ]
    if spec.min_per_supplier:
        where.append(Offer.quantity_canonical >= spec.min_per_supplier)
    rows = await Offer.select(Offer.ref).where(*where).limit(MAX_CANDIDATES * 5)
    return [r["ref"] for r in rows]


async def _candidates(spec: engine.RequestSpec, backend: Any) -> tuple[list[str], bool]:
    try:
        result = await backend.search(OFFERS_INDEX, candidate_query(spec))
        return [hit.id for hit in result.hits], False
    except Exception as exc:  # search engine down or misconfigured: stay correct, answer from SQL
        log.warning("search backend unavailable for matching, using SQL: %s", exc)
        return await _sql_candidates(spec), True


_OFFER_SPEC_SQL = """
SELECT o.id, o.ref, o.category, o.product_type, o.species, o.claim, o.status, o.quantity_canonical,
       o.min_order_canonical, o.available_from, o.available_to, o.lat, o.lon, o.updated_at,
       g.ref AS organization_ref, g.name AS organization_name, g.is_active AS organization_active,
       g.lat AS organization_lat, g.lon AS organization_lon,
       c.status AS certificate_status, c.expires_on AS certificate_expires_on,
       c.product_types AS certificate_product_types, c.verification AS certificate_verification,
       c.verified_at AS certificate_verified_at
FROM offer o
JOIN organization g ON g.id = o.organization
JOIN certificate c ON c.id = o.certificate
WHERE o.ref IN ({refs})
"""


async def _offer_specs(refs: list[str]) -> list[engine.OfferSpec]:
    """The database's current truth for these offers (one hand-written query per 500 refs: this runs for
    every match and is several times cheaper than the ORM's joined select)."""
    specs: list[engine.OfferSpec] = []
    for start in range(0, len(refs), 500):
        chunk = refs[start : start + 500]
        sql = _OFFER_SPEC_SQL.replace("{refs}", ", ".join("{}" for _ in chunk))
        for row in await Offer.raw(sql, *chunk):
            for key in ("available_from", "available_to", "certificate_expires_on"):
                if isinstance(row[key], str):
                    row[key] = dt.date.fromisoformat(row[key])
            for key in ("updated_at", "certificate_verified_at"):
                if isinstance(row[key], str):
                    row[key] = dt.datetime.fromisoformat(row[key])
            specs.append(offer_spec(row))
    return specs


async def _load_request(ref: str) -> dict[str, Any]:
    row = await (
        SourcingRequest.select(
            SourcingRequest.all_columns(), SourcingRequest.organization.ref.as_alias("organization_ref")
        )
        .where(SourcingRequest.ref == ref)
        .output(load_json=True)
        .first()
    )
    if not row:
        raise NotFound()
    return row


async def compute_matches(
    request_ref: str, backend: Any, *, locale: str | None = None, store: bool = True
) -> MatchAnswer:
    """Ranked recommendations and bundles for a request, in ``locale``; stored as match records."""
    row = await _load_request(request_ref)
    spec = request_spec(row)
    token = set_locale(locale) if locale else None
    try:
        if row["status"] != "open":
            ranked, bundles, degraded = [], [], False
        else:
            refs, degraded = await _candidates(spec, backend)
            offers = await _offer_specs(refs)
            ranked, bundles = engine.match(spec, offers, now=now())
    finally:
        if token is not None:
            reset_locale(token)
    answer = MatchAnswer(request=row, matches=ranked, bundles=bundles, degraded=degraded)
    if store:
        await _store(row["id"], answer)
    return answer


async def _store(request_id: int, answer: MatchAnswer) -> None:
    """Upsert match records by (request, offer); offers that no longer fit are marked withdrawn."""
    offer_ids = {
        r["ref"]: r["id"]
        for r in await Offer.select(Offer.ref, Offer.id).where(
            Offer.ref.is_in([m.offer.ref for m in answer.matches] or ["-"])
        )
    }
    async with atomic():
        existing = {
            r["offer"]: r
            for r in await Match.select(Match.id, Match.offer, Match.status).where(Match.request == request_id)
        }
        seen: set[int] = set()
        for rank, scored in enumerate(answer.matches, start=1):
            offer_id = offer_ids[scored.offer.ref]
            seen.add(offer_id)
            values = {
                Match.score: scored.score,
                Match.parts: scored.parts,
                Match.distance_km: scored.distance_km,
                Match.rank: rank,
                Match.updated_at: now(),
            }
            if offer_id in existing:
                row = existing[offer_id]
                if row["status"] == "withdrawn":
                    values[Match.status] = "recommended"
                await Match.update(values).where(Match.id == row["id"])
            else:
                await Match(
                    request=request_id,
                    offer=offer_id,
                    score=scored.score,
                    parts=scored.parts,
                    distance_km=scored.distance_km,
                    rank=rank,
                ).save()
        gone = [r["id"] for oid, r in existing.items() if oid not in seen and r["status"] == "recommended"]
        if gone:
            await Match.update({Match.status: "withdrawn", Match.updated_at: now()}).where(Match.id.is_in(gone))
        await MatchBundle.delete().where(MatchBundle.request == request_id)
        for rank, bundle in enumerate(answer.bundles, start=1):
            await MatchBundle(
                request=request_id,
                rank=rank,
                offer_refs=[m.offer.ref for m in bundle.offers],
                total_quantity=bundle.total_quantity,
                score=bundle.score,
                spread_km=bundle.spread_km,
            ).save()
        run = await MatchRun.select(MatchRun.id).where(MatchRun.request == request_id).first()
        if run:
            await MatchRun.update({MatchRun.stale: False, MatchRun.computed_at: now()}).where(MatchRun.id == run["id"])
        else:
            await MatchRun(request=request_id, stale=False, computed_at=now()).save()


async def matches_for_user(user: CurrentUser | None, request_ref: str, backend: Any) -> MatchAnswer:
    """Recommendations for the request's owner or staff (others: not found)."""
    row = await _load_request(request_ref)
    if user is None:
        raise PermissionDenied()
    if not (user.is_staff or row["organization"] == user.organization_id):
        raise NotFound()
    return await compute_matches(request_ref, backend, locale=get_locale())


async def requests_for_offer(
    offer_ref: str, *, locale: str | None = None
) -> list[tuple[dict[str, Any], engine.ScoredOffer]]:
    """Reverse direction: the open requests this offer fits (for the producer's dashboard), best first."""
    offers = await _offer_specs([offer_ref])
    if not offers:
        raise NotFound()
    offer = offers[0]
    today = dt.date.today()
    rows = await (
        SourcingRequest.select(
            SourcingRequest.all_columns(),
            SourcingRequest.organization.ref.as_alias("organization_ref"),
            SourcingRequest.organization.name.as_alias("organization_name"),
        )
        .where(
            (SourcingRequest.status == "open")
            & (SourcingRequest.category == offer.category)
            & (SourcingRequest.needed_by >= today)
        )
        .output(load_json=True)
    )
    token = set_locale(locale) if locale else None
    try:
        fits = []
        moment = now()
        for row in rows:
            spec = request_spec(row)
            if engine.hard_constraint_failures(spec, offer):
                continue
            fits.append((row, engine.score_offer(spec, offer, now=moment)))
    finally:
        if token is not None:
            reset_locale(token)
    fits.sort(key=lambda item: (-item[1].score, item[0]["ref"]))
    return fits


async def offer_owned_or_public(user: CurrentUser | None, offer_ref: str) -> None:
    """Who may see which requests an offer fits: the offer's producer and staff."""
    row = await Offer.select(Offer.organization).where(Offer.ref == offer_ref).first()
    if row is None:
        raise NotFound()
    if user is None:
        raise PermissionDenied()
    if not (user.is_staff or (user.is_producer and row["organization"] == user.organization_id)):
        raise NotFound()


async def mark_stale(request_refs: set[str], offer_refs: set[str]) -> None:
    """Sync hook: requests that changed, and requests an offer change may affect, need recomputing."""
    ids: set[int] = set()
    if request_refs:
        ids.update(
            r["id"]
            for r in await SourcingRequest.select(SourcingRequest.id).where(
                SourcingRequest.ref.is_in(list(request_refs))
            )
        )
    if offer_refs:
        changed = await Offer.select(Offer.category, Offer.product_type).where(Offer.ref.is_in(list(offer_refs)))
        kinds = {(r["category"], r["product_type"]) for r in changed}
        categories = {c for c, _ in kinds}
        if categories:
            open_rows = (
                await SourcingRequest.select(
                    SourcingRequest.id, SourcingRequest.category, SourcingRequest.product_types
                )
                .where((SourcingRequest.status == "open") & SourcingRequest.category.is_in(list(categories)))
                .output(load_json=True)
            )
            for r in open_rows:
                if any((r["category"], t) in kinds for t in _json_list(r["product_types"])):
                    ids.add(r["id"])
        had = await Match.select(Match.request).where(Match.offer.ref.is_in(list(offer_refs)))
        ids.update(r["request"] for r in had)
    if ids:
        await MatchRun.update({MatchRun.stale: True}).where(MatchRun.request.is_in(list(ids)))
        have = {r["request"] for r in await MatchRun.select(MatchRun.request).where(MatchRun.request.is_in(list(ids)))}
        missing = [MatchRun(request=i, stale=True) for i in ids - have]
        if missing:
            await MatchRun.insert(*missing)


async def recompute_stale(backend: Any, limit: int = 20) -> int:
    """Recompute a few stale requests (called by the sync worker between outbox batches)."""
    stale = MatchRun.stale == True  # noqa: E712 - Piccolo builds SQL from ==
    rows = await MatchRun.select(MatchRun.request.ref.as_alias("ref")).where(stale).limit(limit)
    for r in rows:
        await compute_matches(r["ref"], backend)
    return len(rows)


async def offer_summaries(refs: list[str]) -> dict[str, dict[str, Any]]:
    """Title, product type and place of offers shown next to recommendations, by ref."""
    if not refs:
        return {}
    rows = await Offer.select(
        Offer.ref,
        Offer.title,
        Offer.product_type,
        Offer.claim,
        Offer.quantity,
        Offer.unit,
        Offer.organization.name.as_alias("organization_name"),
        Offer.organization.ref.as_alias("organization_ref"),
        Offer.organization.region.as_alias("region"),
        Offer.organization.country.as_alias("country"),
    ).where(Offer.ref.is_in(list(dict.fromkeys(refs))))
    return {r["ref"]: r for r in rows}
