"""What the signed-in dashboard shows each role, gathered from the domains' services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.services import CurrentUser
from app.certificates import services as certificates
from app.matching.phrasing import phrase_all
from app.matching.services import requests_for_offer
from app.messaging.inbox import awaiting_reply, unseen_recommendations
from app.notifications.services import list_saved_searches
from app.offers import services as offers
from app.offers import visibility
from app.sourcing import services as sourcing
from app.vocab import OFFER_STATUSES

MAX_OFFERS_MATCHED = 10

RECENT = 5


async def producer_context(user: CurrentUser) -> dict[str, Any]:
    """What a producer sees first: replies awaited, requests fitting their offers, offers and certificates."""
    org_id = user.organization_id
    assert org_id is not None
    today = dt.date.today()
    my_offers = await offers.list_for_organization(org_id)
    # One organisation has a handful of offers: counting the rows we already show is cheaper than a second query.
    counts = {status: 0 for status in OFFER_STATUSES}
    for offer in my_offers:
        counts[offer["status"]] = counts.get(offer["status"], 0) + 1
    certs = await certificates.list_for_organization(org_id)
    for cert in certs:
        cert["problem"] = visibility.certificate_problem(cert, None, today)
    expiring = await certificates.expiring_soon(org_id=org_id)
    for cert in expiring:
        cert["days_left"] = (cert["expires_on"] - today).days
    fitting: list[dict[str, Any]] = []
    for offer in [o for o in my_offers if o["status"] == "active"][:MAX_OFFERS_MATCHED]:
        for row, scored in (await requests_for_offer(offer["ref"]))[:3]:
            fitting.append(
                {"offer": offer, "request": row, "scored": scored, "reasons": phrase_all(scored.reasons, "producer")}
            )
    fitting.sort(key=lambda item: -item["scored"].score)
    return {
        "awaiting_reply": await awaiting_reply(org_id),
        "fitting_requests": fitting[:10],
        "offer_counts": counts,
        "recent_offers": my_offers[:RECENT],
        "certificates": certs,
        "expiring": expiring,
        "expiring_refs": {cert["ref"] for cert in expiring},
        "warning_days": certificates.EXPIRY_WARNING_DAYS,
    }


async def buyer_context(user: CurrentUser) -> dict[str, Any]:
    """What a buyer sees first: open sourcing requests, unseen recommendations, replies awaited, saved searches."""
    org_id = user.organization_id
    assert org_id is not None
    rows = await sourcing.list_for_organization(org_id)
    open_requests = [row for row in rows if row["status"] == "open"]
    return {
        "open_requests": open_requests,
        "closed_count": len(rows) - len(open_requests),
        "unseen": await unseen_recommendations(org_id),
        "awaiting_reply": await awaiting_reply(org_id),
        "saved_searches": await list_saved_searches(user),
    }
