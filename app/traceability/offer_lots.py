"""Which lots back an offer. Offers naming lots (``"lots": [...]``) land from another branch: until ``Offer.lots``
exists this answers no lots, so no due-diligence download is offered."""

from __future__ import annotations

import json

from app.offers.tables import Offer


async def lots_of_offer(offer_id: int | None) -> list[str]:
    """The refs of the lots offer ``offer_id`` names, in its order ([] without the column or the offer)."""
    if offer_id is None or not hasattr(Offer, "lots"):
        return []
    column = Offer.lots
    row = await Offer.select(column).where(Offer.id == offer_id).first()
    value = row[column._meta.name] if row else None
    if isinstance(value, str):  # a JSON column read back as text on SQLite
        value = json.loads(value or "[]")
    return [str(ref) for ref in value or []]
