"""Matching sourcing requests and offers: candidates from the search index, truth from the database.

1. Candidate retrieval (``candidates``) asks the search backend for ids with every hard constraint as a structured
   filter, best upper-bound score first. If the search engine is down, the same constraints run in SQL.
2. The candidates are re-read from the database and the engine re-checks every hard constraint there, so a
   stale index can cost a recommendation but can never produce one that breaks a constraint.
3. Results are stored (``Match``/``MatchBundle``), keeping each match's status across recomputations. A pair
   stored for the first time is handed to the alerts with the time the request was last computed, so only the
   change that made it match (a new or changed offer, a new or changed request) is told about, once.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.clock import now
from app.db import atomic, rows_in
from app.events import record
from app.i18n import get_locale
from app.matching import engine
from app.matching.candidates import (
    _OFFER_SPEC_COLUMNS,
    MAX_RECOMMENDATIONS,
    _json_list,
    _offer_specs,
    best_candidates,
    candidate_query,
    offer_spec,
    request_spec,
)
from app.matching.phrasing import in_locale, phrase_all
from app.matching.tables import Match, MatchBundle, MatchRun
from app.offers import projection
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from app.validation import NotFound, PermissionDenied
from app.vocab import CANONICAL_UNIT
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.matching")

__all__ = [
    "_OFFER_SPEC_COLUMNS",
    "MAX_RECOMMENDATIONS",
    "MatchAnswer",
    "_offer_specs",
    "candidate_query",
    "compute_matches",
    "offer_spec",
    "request_spec",
]


@dataclass
class MatchAnswer:
    """The answer format of IMPORT_FORMAT.md (``forestmatch matches REF --json``)."""

    request: dict[str, Any]
    matches: list[engine.ScoredOffer]
    bundles: list[engine.Bundle]
    degraded: bool  # True when the search engine was down and SQL served the candidates
    #: The language the reasons are worded in (None: the current one when ``as_json`` runs).
    locale: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The contract's JSON: reasons as strings in the buyer's voice (it is the request's answer)."""
        with in_locale(self.locale):
            return self._json()

    def _json(self) -> dict[str, Any]:
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
                    "reasons": phrase_all(m.reasons, "buyer"),
                }
                for m in self.matches
            ],
            "bundles": [
                {
                    "offers": [m.offer.ref for m in b.offers],
                    "total_quantity": round(b.total_quantity, 3),
                    "unit": unit,
                    "score": round(b.score, 4),
                    "reasons": phrase_all(b.reasons, "buyer"),
                }
                for b in self.bundles
            ],
        }


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
    request_ref: str, backend: SearchBackend, *, locale: str | None = None, store: bool = True
) -> MatchAnswer:
    """Ranked recommendations and bundles for a request, in ``locale``; stored as match records."""
    row = await _load_request(request_ref)
    spec = request_spec(row)
    if row["status"] != "open":
        ranked, bundles, degraded = [], [], False
    else:
        found = await best_candidates(spec, backend, now())
        ranked, degraded = found.ranked, found.degraded
        bundles = [] if found.covered else engine.propose_bundles(spec, ranked)
    answer = MatchAnswer(request=row, matches=ranked, bundles=bundles, degraded=degraded, locale=locale)
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
        run = await MatchRun.select(MatchRun.id, MatchRun.computed_at).where(MatchRun.request == request_id).first()
        seen: set[int] = set()
        first_matched: list[int] = []
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
                first_matched.append(offer_id)
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
        if first_matched:
            # The alerts subscriber tells whoever the change that made these pairs match concerns.
            before = run["computed_at"] if run else None
            await record(
                "pairs_first_matched",
                payload={
                    "request_id": request_id,
                    "offer_ids": first_matched,
                    "computed_before": before.isoformat() if hasattr(before, "isoformat") else before,
                },
            )
        if run:
            await MatchRun.update({MatchRun.stale: False, MatchRun.computed_at: now()}).where(MatchRun.id == run["id"])
        else:
            await MatchRun(request=request_id, stale=False, computed_at=now()).save()


async def matches_for_user(user: CurrentUser | None, request_ref: str, backend: SearchBackend) -> MatchAnswer:
    """Recommendations for the request's owner or staff (others: not found)."""
    row = await _load_request(request_ref)
    if user is None:
        raise PermissionDenied()
    if not (user.is_staff or row["organization"] == user.organization_id):
        raise NotFound()
    return await compute_matches(request_ref, backend, locale=get_locale())


async def requests_for_offer(offer_ref: str) -> list[tuple[dict[str, Any], engine.ScoredOffer]]:
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
    fits = []
    moment = now()
    for row in rows:
        spec = request_spec(row)
        if engine.hard_constraint_failures(spec, offer):
            continue
        fits.append((row, engine.score_offer(spec, offer, now=moment)))
    fits.sort(key=lambda item: (-item[1].score, item[0]["ref"]))
    return fits


async def organization_fits(request_row: dict[str, Any], org_id: int) -> list[engine.ScoredOffer]:
    """The organisation's active offers that fit this request now (every hard constraint checked), best first.

    ``request_row`` is a request row with ``organization_ref``. The same rule as the producer's dashboard and
    ``requests_for_offer``, from the request's side."""
    refs = [
        r["ref"]
        for r in await Offer.select(Offer.ref).where(
            (Offer.organization == org_id) & (Offer.status == "active") & (Offer.category == request_row["category"])
        )
    ]
    if not refs:
        return []
    return engine.rank(request_spec(request_row), await _offer_specs(refs), now=now())


async def organization_recommended(request_id: int, org_id: int) -> bool:
    """Whether a current match record recommends an active offer of this organisation for the request."""
    return await Match.exists().where(
        (Match.request == request_id)
        & (Match.status == "recommended")
        & (Match.offer.organization == org_id)
        & (Match.offer.status == "active")
    )


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
    """Sync hook: requests that changed, and requests an offer change may affect, need recomputing.

    The refs are looked up in flat statements (``rows_in``), HOOK_CHUNK at a time: after a bulk import the hook gets
    thousands per batch."""
    ids: set[int] = set()
    for chunk in _chunks(sorted(request_refs)):
        ids.update(r["id"] for r in await rows_in('SELECT id FROM "sourcing_request" WHERE ref {in}', chunk))
    kinds: set[tuple[str, str]] = set()
    for chunk in _chunks(sorted(offer_refs)):
        found = await rows_in('SELECT DISTINCT category, product_type FROM "offer" WHERE ref {in}', chunk)
        kinds.update((r["category"], r["product_type"]) for r in found)
        had = await rows_in(
            'SELECT DISTINCT m.request FROM "match" m JOIN "offer" o ON o.id = m.offer WHERE o.ref {in}', chunk
        )
        ids.update(r["request"] for r in had)
    categories = {c for c, _ in kinds}
    if categories:
        open_rows = (
            await SourcingRequest.select(SourcingRequest.id, SourcingRequest.category, SourcingRequest.product_types)
            .where((SourcingRequest.status == "open") & SourcingRequest.category.is_in(list(categories)))
            .output(load_json=True)
        )
        for r in open_rows:
            if any((r["category"], t) in kinds for t in _json_list(r["product_types"])):
                ids.add(r["id"])
    if ids:
        await MatchRun.update({MatchRun.stale: True}).where(MatchRun.request.is_in(list(ids)))
        have = {r["request"] for r in await MatchRun.select(MatchRun.request).where(MatchRun.request.is_in(list(ids)))}
        missing = [MatchRun(request=i, stale=True) for i in ids - have]
        if missing:
            await MatchRun.insert(*missing)


#: Refs per statement of ``mark_stale`` (well under SQLite's 32,766 parameters).
HOOK_CHUNK = 5_000


def _chunks(refs: list[str]) -> list[list[str]]:
    return [refs[start : start + HOOK_CHUNK] for start in range(0, len(refs), HOOK_CHUNK)]


async def recompute_stale(backend: SearchBackend, limit: int = 20) -> int:
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
    columns = projection.columns(
        ("ref", "title", "product_type", "claim", "quantity", "unit"),
        ("organization_name", "organization_ref", "region", "country"),
    )
    rows = await Offer.select(*columns).where(Offer.ref.is_in(list(dict.fromkeys(refs))))
    return {r["ref"]: r for r in rows}
