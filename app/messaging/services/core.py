"""Shared pieces of the messaging services: limits, state names, exceptions, party checks and the event writer."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.services import CurrentUser
from app.clock import now
from app.events import record
from app.i18n import N_
from app.messaging.tables import Conversation, MatchEvent, OrganizationBlock
from app.validation import FieldErrors, NotFound, PermissionDenied

MAX_BODY = 4000
RATE_LIMIT_MESSAGES = 20
RATE_LIMIT_WINDOW = dt.timedelta(minutes=10)

EVENT_STATES: dict[str, str] = {
    "recommended": N_("Recommended"),
    "viewed": N_("Viewed"),
    "contacted": N_("Contacted"),
    "replied": N_("Replied"),
    "negotiating": N_("Negotiating"),
    "deal_closed": N_("Deal recorded"),
    "deal_confirmed": N_("Deal confirmed"),
    "declined": N_("Declined"),
    "corrected": N_("Deal corrected by staff"),
}
DECLINE_REASONS: dict[str, str] = {
    "price": N_("Price"),
    "quantity": N_("Quantity or volume"),
    "timing": N_("Delivery time"),
    "quality": N_("Quality or specification"),
    "certificate": N_("Certificate or claim"),
    "distance": N_("Distance or logistics"),
    "other": N_("Other"),
}
DEAL_STATES = ("deal_closed", "corrected")


class Blocked(PermissionDenied):
    """One of the two organisations blocked the other: nothing can be sent in their threads."""


class RateLimited(FieldErrors):
    """Too many messages from one user in the window (a FieldErrors on ``body``, so forms show it inline)."""


_CONVERSATION_COLUMNS = (
    Conversation.all_columns(),
    Conversation.buyer_organization.name.as_alias("buyer_name"),
    Conversation.buyer_organization.ref.as_alias("buyer_ref"),
    Conversation.producer_organization.name.as_alias("producer_name"),
    Conversation.producer_organization.ref.as_alias("producer_ref"),
    Conversation.offer.ref.as_alias("offer_ref"),
    Conversation.offer.title.as_alias("offer_title"),
    Conversation.request.ref.as_alias("request_ref"),
    Conversation.request.title.as_alias("request_title"),
    # For naming a request that has no title (see app.web.render.request_name).
    Conversation.request.product_types.as_alias("request_product_types"),
    Conversation.request.quantity.as_alias("request_quantity"),
    Conversation.request.unit.as_alias("request_unit"),
)


def side_of(user: CurrentUser, conversation: dict[str, Any]) -> str | None:
    """'buyer' or 'producer' when the user belongs to one of the two organisations, else None."""
    if user.organization_id is None or user.is_staff:
        return None
    if user.organization_id == conversation["buyer_organization"]:
        return "buyer"
    if user.organization_id == conversation["producer_organization"]:
        return "producer"
    return None


async def _conversation(conversation_id: int) -> dict[str, Any]:
    row = await Conversation.select(*_CONVERSATION_COLUMNS).where(Conversation.id == conversation_id).first()
    if not row:
        raise NotFound()
    return row


async def get_conversation_for(user: CurrentUser, conversation_id: int) -> dict[str, Any]:
    """A conversation the user may read (a party or staff); everyone else gets NotFound."""
    row = await _conversation(conversation_id)
    if not (user.is_staff or side_of(user, row)):
        raise NotFound()
    return row


async def _party(user: CurrentUser, conversation_id: int) -> tuple[dict[str, Any], str]:
    """A conversation the user may write in, and their side; staff may read but not write."""
    row = await get_conversation_for(user, conversation_id)
    side = side_of(user, row)
    if side is None:
        raise PermissionDenied()
    return row, side


def _other_org(conversation: dict[str, Any], side: str) -> int:
    return conversation["producer_organization"] if side == "buyer" else conversation["buyer_organization"]


async def is_blocked(org_a: int, org_b: int) -> bool:
    """True when either organisation has blocked the other."""
    return await OrganizationBlock.exists().where(
        OrganizationBlock.pair_key.is_in([f"{org_a}:{org_b}", f"{org_b}:{org_a}"])
    )


#: Conversation states the other side is told about, and the event recorded for each.
ALERTED_STATES = {"deal_closed": "deal_recorded", "deal_confirmed": "deal_confirmed", "declined": "deal_declined"}


async def _event(
    state: str,
    user: CurrentUser,
    *,
    conversation_id: int | None,
    match_id: int | None,
    details: dict[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> int:
    event = MatchEvent(
        state=state,
        actor=user.id,
        actor_organization=user.organization_id,
        at=at or now(),
        conversation=conversation_id,
        match=match_id,
        details=details or {},
    )
    await event.save()
    kind = ALERTED_STATES.get(state)
    if kind is not None and conversation_id is not None:  # the other organisation is told (alerts subscriber)
        await record(
            kind,
            payload={
                "conversation_id": conversation_id,
                "event_id": int(event.id),
                "actor_organization": user.organization_id,
                "actor_organization_name": user.organization_name,
                "details": details or {},
            },
        )
    return int(event.id)
