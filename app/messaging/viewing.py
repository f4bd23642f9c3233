"""The 'viewed' step of a match: the first time someone of the buyer organisation sees a recommendation."""

from __future__ import annotations

from piccolo.engine.postgres import PostgresEngine

from app.accounts.services import CurrentUser
from app.clock import now
from app.db import atomic, engine
from app.matching.tables import Match
from app.messaging.tables import MatchEvent


async def record_viewed(user: CurrentUser, request_id: int, offer_refs: list[str]) -> int:
    """Append one 'viewed' event per shown match not yet viewed; returns how many were added.

    Only a user of the buyer organisation that owns the request counts (staff looking do not move the funnel).
    """
    if not offer_refs or not user.is_buyer or user.organization_id is None:
        return 0
    # Most views find everything already seen: check without taking the write lock first.
    if not await _unseen(user.organization_id, request_id, offer_refs):
        return 0
    async with atomic():
        if isinstance(engine(), PostgresEngine):
            # Two tabs opening the same request at once must not both add the event (SQLite: the IMMEDIATE
            # transaction already serialises writers).
            await Match.raw("SELECT pg_advisory_xact_lock({})", 8_000_000_000 + request_id)
        fresh = await _unseen(user.organization_id, request_id, offer_refs)
        if fresh:
            at = now()
            await MatchEvent.insert(
                *[
                    MatchEvent(
                        match=i,
                        state="viewed",
                        actor=user.id,
                        actor_organization=user.organization_id,
                        at=at,
                        details={},
                    )
                    for i in fresh
                ]
            )
        return len(fresh)


async def _unseen(org_id: int, request_id: int, offer_refs: list[str]) -> list[int]:
    """Ids of the shown matches of this organisation's request that have no 'viewed' event yet."""
    matches = await Match.select(Match.id).where(
        (Match.request == request_id)
        & (Match.request.organization == org_id)
        & Match.offer.ref.is_in(list(dict.fromkeys(offer_refs)))
    )
    ids = [m["id"] for m in matches]
    if not ids:
        return []
    seen = {
        r["match"]
        for r in await MatchEvent.select(MatchEvent.match).where(
            MatchEvent.match.is_in(ids) & (MatchEvent.state == "viewed")
        )
    }
    return [i for i in ids if i not in seen]
