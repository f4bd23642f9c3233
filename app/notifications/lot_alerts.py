"""A latex lot's derived answer changed (a member left scope, a certificate was suspended, a plot was corrected):
its holder's users and the buyers in an open conversation about an offer backed by the lot are told what it is now.

Buyers learn only what the lot's public view shows them (claim, EUDR readiness, how many error checks), never a
smallholder's name or plot."""

from __future__ import annotations

from typing import Any

from app.messaging.tables import Conversation
from app.notifications.alerts import org_users, still_open
from app.notifications.services import Alert, deliver
from app.offers.tables import Offer
from app.traceability.offer_lots import offers_naming
from app.traceability.tables import Lot


def _params(payload: dict[str, Any]) -> dict[str, Any]:
    before, after = payload["before"], payload["after"]
    return {
        "lot": payload["lot"],
        "claim": after["claim"] or "",
        "percent": after["certified_percent"],
        "before_claim": before["claim"] or "",
        "before_percent": before["certified_percent"],
        "eudr": "yes" if after["eudr_ready"] else "no",
        "errors": sum(1 for c in after["checks"] if c.startswith("error:")),
    }


async def _buyers_talking_about(lot_ref: str) -> dict[int, int]:
    """Buyer organisation -> one of its open conversations about an offer backed by the lot."""
    offer_refs = await offers_naming([lot_ref])
    if not offer_refs:
        return {}
    offers = [r["id"] for r in await Offer.select(Offer.id).where(Offer.ref.is_in(offer_refs))]
    conversations = (
        await Conversation.select(Conversation.id, Conversation.buyer_organization)
        .where(Conversation.offer.is_in(offers))
        .order_by(Conversation.id)
    )
    found: dict[int, int] = {}
    for c in await still_open(conversations):
        found.setdefault(c["buyer_organization"], c["id"])
    return found


async def lot_answer_changed(payload: dict[str, Any]) -> int:
    """Tell the lot's holder and the buyers talking about it; returns how many users were notified."""
    ref = str(payload["lot"])
    lot = await Lot.select(Lot.holder).where(Lot.ref == ref).first()
    if lot is None:
        return 0
    key = f"lot-changed:{ref}:{payload['at']}"
    params = _params(payload)
    told = await deliver(
        Alert("lot_changed", key, params, f"/traceability/lots/{ref}"), await org_users([lot["holder"]])
    )
    for buyer, conversation in (await _buyers_talking_about(ref)).items():
        alert = Alert("lot_changed", key, params, f"/conversations/{conversation}")
        told += await deliver(alert, await org_users([buyer], "buyer"))
    return len(told)
