"""Deals recorded by one side and confirmed by the other, staff corrections, and declines: events only."""

from __future__ import annotations

from typing import Any

from app.accounts.services import CurrentUser
from app.db import atomic
from app.i18n import gettext as _
from app.messaging.services.core import (
    DEAL_STATES,
    DECLINE_REASONS,
    _conversation,
    _event,
    _party,
)
from app.messaging.tables import MatchEvent
from app.offers.tables import Offer
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import CURRENCIES, UNITS


# --- deals and declines ----------------------------------------------------------------------------------------
async def _deal_details(conversation: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    category = None
    if conversation["offer"]:
        row = await Offer.select(Offer.category).where(Offer.id == conversation["offer"]).first()
        category = row["category"] if row else None
    units = UNITS.get(category or "", {k: v for u in UNITS.values() for k, v in u.items()})
    c = Checker(raw)
    details = {
        "quantity": c.number("quantity", required=True, positive=True),
        "unit": c.choice("unit", list(units), required=True),
        "price": c.decimal("price", required=True),
        "currency": c.choice("currency", CURRENCIES, required=True),
        "date": c.date("date", required=True),
    }
    c.raise_if_errors()
    details["price"] = str(details["price"])
    details["date"] = details["date"].isoformat()  # type: ignore[union-attr]
    return details


async def record_deal(user: CurrentUser, conversation_id: int, raw: dict[str, Any]) -> int:
    """Either party records a closed deal (quantity, unit, price, currency, date); the other side confirms it."""
    conversation, _side = await _party(user, conversation_id)
    details = await _deal_details(conversation, raw)
    async with atomic():
        return await _event(
            "deal_closed", user, conversation_id=conversation_id, match_id=conversation["match"], details=details
        )


async def _deal_event(event_id: int) -> dict[str, Any]:
    event = await MatchEvent.select().where(MatchEvent.id == event_id).output(load_json=True).first()
    if not event or event["state"] not in DEAL_STATES or event["conversation"] is None:
        raise NotFound()
    return event


async def confirm_deal(user: CurrentUser, event_id: int) -> int:
    """The other party confirms a recorded (or staff-corrected) deal; the side that recorded it cannot."""
    event = await _deal_event(event_id)
    conversation, _side = await _party(user, event["conversation"])
    if event["actor_organization"] == user.organization_id:
        raise PermissionDenied()
    async with atomic():
        done = (
            await MatchEvent.select(MatchEvent.details)
            .where((MatchEvent.conversation == conversation["id"]) & (MatchEvent.state == "deal_confirmed"))
            .output(load_json=True)
        )
        if any(d["details"].get("event_id") == event_id for d in done):
            raise FieldErrors({"event": _("This deal is already confirmed.")})
        return await _event(
            "deal_confirmed",
            user,
            conversation_id=conversation["id"],
            match_id=conversation["match"],
            details={"event_id": event_id},
        )


async def correct_deal(user: CurrentUser, event_id: int, raw: dict[str, Any]) -> int:
    """Staff append a corrected version of a deal; the original event stays as it was."""
    if not user.is_staff:
        raise PermissionDenied()
    event = await _deal_event(event_id)
    conversation = await _conversation(event["conversation"])
    details = await _deal_details(conversation, raw)
    c = Checker(raw)
    note = c.text("note", max_len=1000)
    c.raise_if_errors()
    async with atomic():
        return await _event(
            "corrected",
            user,
            conversation_id=conversation["id"],
            match_id=conversation["match"],
            details={**details, "corrects": event_id, "note": note},
        )


async def decline(user: CurrentUser, conversation_id: int, raw: dict[str, Any]) -> int:
    """Either party ends the conversation without a deal: a reason from the list and optional free text."""
    conversation, _side = await _party(user, conversation_id)
    c = Checker(raw)
    reason = c.choice("reason", list(DECLINE_REASONS), required=True)
    text = c.text("text", max_len=1000)
    c.raise_if_errors()
    async with atomic():
        return await _event(
            "declined",
            user,
            conversation_id=conversation_id,
            match_id=conversation["match"],
            details={"reason": reason, "text": text},
        )
