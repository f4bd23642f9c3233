"""Conversations between buyers and producers, and the append-only events a match goes through up to a deal.

Only the two organisations in a thread and staff may read it; only the two organisations may write in it.
Every state change (contacted, replied, negotiating, deal closed/confirmed/corrected, declined) is a new
``MatchEvent`` row with who and when; nothing is updated in place, so the history can always be replayed.
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.accounts.services import CurrentUser, get_organization, now
from app.accounts.tables import Organization
from app.db import atomic, engine
from app.i18n import N_
from app.i18n import gettext as _
from app.matching.tables import Match, MatchBundle
from app.messaging.tables import Conversation, MatchEvent, Message, OrganizationBlock
from app.notifications import alerts as notify
from app.offers.tables import Offer
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import CURRENCIES, UNITS

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


async def _event(
    state: str,
    user: CurrentUser,
    *,
    conversation_id: int | None,
    match_id: int | None,
    details: dict[str, Any] | None = None,
) -> int:
    event = MatchEvent(
        state=state,
        actor=user.id,
        actor_organization=user.organization_id,
        at=now(),
        conversation=conversation_id,
        match=match_id,
        details=details or {},
    )
    await event.save()
    await notify.match_event_recorded(state, user, conversation_id, int(event.id), details or {})
    return int(event.id)


# --- starting conversations ------------------------------------------------------------------------------------
async def start_conversation(
    user: CurrentUser, offer_ref: str, request_ref: str | None = None, *, bundle_key: str | None = None
) -> int:
    """Open (or reuse) the buyer organisation's conversation about an offer; records 'contacted'."""
    from app.offers.controllers import get_visible_offer
    from app.sourcing.services import get_request_for

    if not user.is_buyer or user.organization_id is None:
        raise PermissionDenied()
    offer = await get_visible_offer(user, offer_ref)
    producer_org = offer["organization"]
    if producer_org == user.organization_id:
        raise PermissionDenied()
    request_id = match_id = None
    if request_ref:
        request_row = await get_request_for(user, request_ref)
        request_id = request_row["id"]
        match = await Match.select(Match.id).where((Match.request == request_id) & (Match.offer == offer["id"])).first()
        match_id = match["id"] if match else None
    if await is_blocked(user.organization_id, producer_org):
        raise PermissionDenied()
    async with atomic():
        existing = (
            await Conversation.select(
                Conversation.id, Conversation.match, Conversation.request, Conversation.bundle_key
            )
            .where((Conversation.buyer_organization == user.organization_id) & (Conversation.offer == offer["id"]))
            .first()
        )
        if existing is None:
            conversation = Conversation(
                buyer_organization=user.organization_id,
                producer_organization=producer_org,
                offer=offer["id"],
                request=request_id,
                match=match_id,
                bundle_key=bundle_key,
                created_by=user.id,
                created_at=now(),
                last_message_at=now(),
            )
            await conversation.save()
            conversation_id = int(conversation.id)
            await _event("contacted", user, conversation_id=conversation_id, match_id=match_id)
            return conversation_id
        conversation_id = existing["id"]
        # A thread opened from the offer page gains its request and match when contacted again from one.
        links: dict[Any, Any] = {}
        if request_id and existing["request"] is None:
            links[Conversation.request] = request_id
        if match_id and existing["match"] is None:
            links[Conversation.match] = match_id
        if bundle_key and existing["bundle_key"] is None:
            links[Conversation.bundle_key] = bundle_key
        if links:
            await Conversation.update(links).where(Conversation.id == conversation_id)
        if match_id and not await MatchEvent.exists().where(
            (MatchEvent.match == match_id) & (MatchEvent.state == "contacted")
        ):
            await _event("contacted", user, conversation_id=conversation_id, match_id=match_id)
        return conversation_id


async def start_bundle_conversations(user: CurrentUser, request_ref: str, bundle_rank: int) -> list[int]:
    """One conversation per producer of a stored bundle, all sharing one bundle_key."""
    from app.sourcing.services import get_request_for

    if not user.is_buyer:
        raise PermissionDenied()
    request_row = await get_request_for(user, request_ref)
    bundle = (
        await MatchBundle.select(MatchBundle.offer_refs)
        .where((MatchBundle.request == request_row["id"]) & (MatchBundle.rank == bundle_rank))
        .output(load_json=True)
        .first()
    )
    if not bundle:
        raise NotFound()
    refs = list(bundle["offer_refs"] or [])
    owners = {
        r["ref"]: r["organization"]
        for r in await Offer.select(Offer.ref, Offer.organization).where(Offer.ref.is_in(refs or ["-"]))
    }
    key = f"b-{secrets.token_hex(8)}"
    ids: list[int] = []
    producers: set[int] = set()
    for ref in refs:
        if ref not in owners or owners[ref] in producers:
            continue
        producers.add(owners[ref])
        ids.append(await start_conversation(user, ref, request_ref, bundle_key=key))
    if not ids:
        raise NotFound()
    return ids


# --- messages --------------------------------------------------------------------------------------------------
async def _hold_user_lock(user_id: int) -> None:
    """Serialise one user's sends on PostgreSQL so the rate-limit count cannot be raced by two workers."""
    if isinstance(engine(), PostgresEngine):
        await Message.raw("SELECT pg_advisory_xact_lock({})", 7_000_000_000 + user_id)


async def send_message(user: CurrentUser, conversation_id: int, body: Any) -> int:
    """Post a plain-text message as one of the two parties (blocked pairs and floods refused)."""
    conversation, side = await _party(user, conversation_id)
    c = Checker({"body": body})
    text = c.text("body", required=True, max_len=MAX_BODY)
    c.raise_if_errors()
    if await is_blocked(conversation["buyer_organization"], conversation["producer_organization"]):
        raise Blocked()
    async with atomic():
        # SQLite: the IMMEDIATE transaction already serialises writers; the count is therefore exact.
        await _hold_user_lock(user.id)
        moment = now()
        recent = await Message.count().where(
            (Message.sender == user.id) & (Message.created_at >= moment - RATE_LIMIT_WINDOW)
        )
        if recent >= RATE_LIMIT_MESSAGES:
            raise RateLimited(
                {
                    "body": _(
                        "You have sent %(n)s messages in the last 10 minutes. Wait a few minutes and try again.",
                        n=RATE_LIMIT_MESSAGES,
                    )
                },
                {"body": text},
            )
        states = {
            r["state"]
            for r in await MatchEvent.select(MatchEvent.state).where(MatchEvent.conversation == conversation_id)
        }
        message = Message(
            conversation=conversation_id,
            sender=user.id,
            sender_organization=user.organization_id,
            body=text,
            created_at=moment,
        )
        await message.save()
        await notify.message_sent(user, conversation_id, int(message.id), text)
        await Conversation.update({Conversation.last_message_at: moment}).where(Conversation.id == conversation_id)
        match_id = conversation["match"]
        if side == "producer" and "replied" not in states:
            await _event("replied", user, conversation_id=conversation_id, match_id=match_id)
        elif side == "buyer" and "replied" in states and "negotiating" not in states:
            await _event("negotiating", user, conversation_id=conversation_id, match_id=match_id)
    return int(message.id)


async def list_conversations(user: CurrentUser) -> list[dict[str, Any]]:
    """The user's organisation's conversations, latest activity first (staff: all, newest 200)."""
    query = Conversation.select(*_CONVERSATION_COLUMNS).order_by(Conversation.last_message_at, ascending=False)
    if user.is_staff:
        return await query.limit(200)
    if user.organization_id is None:
        return []
    return await query.where(
        (Conversation.buyer_organization == user.organization_id)
        | (Conversation.producer_organization == user.organization_id)
    )


async def get_thread(user: CurrentUser, conversation_id: int) -> dict[str, Any]:
    """A conversation with its messages and events, for a party or staff (others: NotFound)."""
    conversation = await get_conversation_for(user, conversation_id)
    messages = (
        await Message.select(
            Message.all_columns(),
            Message.sender.name.as_alias("sender_name"),
            Message.sender_organization.name.as_alias("sender_organization_name"),
        )
        .where(Message.conversation == conversation_id)
        .order_by(Message.created_at)
        .order_by(Message.id)
    )
    events = (
        await MatchEvent.select(
            MatchEvent.all_columns(),
            MatchEvent.actor.name.as_alias("actor_name"),
            MatchEvent.actor_organization.name.as_alias("actor_organization_name"),
        )
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    side = side_of(user, conversation)
    blocked_by_me = blocked_by_them = False
    if side:
        other = _other_org(conversation, side)
        blocked_by_me = await OrganizationBlock.exists().where(
            OrganizationBlock.pair_key == f"{user.organization_id}:{other}"
        )
        blocked_by_them = await OrganizationBlock.exists().where(
            OrganizationBlock.pair_key == f"{other}:{user.organization_id}"
        )
    confirmed = {e["details"].get("event_id") for e in events if e["state"] == "deal_confirmed"}
    return {
        "conversation": conversation,
        "messages": messages,
        "events": events,
        "side": side,
        "blocked_by_me": blocked_by_me,
        "blocked_by_them": blocked_by_them,
        "confirmed_event_ids": confirmed,
    }


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


# --- safety: blocks and reports --------------------------------------------------------------------------------
async def _org_id(ref: str) -> int:
    return int((await get_organization(ref))["id"])


async def block_organization(user: CurrentUser, org_ref: str) -> None:
    """Stop messages between the user's organisation and another one (both directions)."""
    if user.is_staff or user.organization_id is None:
        raise PermissionDenied()
    other = await _org_id(org_ref)
    if other == user.organization_id:
        raise PermissionDenied()
    key = f"{user.organization_id}:{other}"
    async with atomic():
        if not await OrganizationBlock.exists().where(OrganizationBlock.pair_key == key):
            await OrganizationBlock(blocker=user.organization_id, blocked=other, pair_key=key, created_at=now()).save()


async def unblock_organization(user: CurrentUser, org_ref: str) -> None:
    """Lift a block the user's organisation set (a block set by the other side stays)."""
    if user.organization_id is None:
        raise PermissionDenied()
    other = await _org_id(org_ref)
    async with atomic():
        await OrganizationBlock.delete().where(OrganizationBlock.pair_key == f"{user.organization_id}:{other}")


async def report_conversation(user: CurrentUser, conversation_id: int, reason: Any) -> None:
    """A party flags a thread for staff review."""
    await _party(user, conversation_id)
    c = Checker({"report_reason": reason})
    text = c.text("report_reason", required=True, max_len=1000)
    c.raise_if_errors()
    async with atomic():
        await Conversation.update(
            {Conversation.reported_at: now(), Conversation.reported_by: user.id, Conversation.report_reason: text}
        ).where(Conversation.id == conversation_id)


async def reported_conversations(user: CurrentUser) -> list[dict[str, Any]]:
    """Threads a party reported, newest report first (staff only)."""
    if not user.is_staff:
        raise PermissionDenied()
    return (
        await Conversation.select(*_CONVERSATION_COLUMNS)
        .where(Conversation.reported_at.is_not_null())
        .order_by(Conversation.reported_at, ascending=False)
    )


async def organization_name(org_id: int) -> str:
    row = await Organization.select(Organization.name).where(Organization.id == org_id).first()
    return row["name"] if row else ""


async def match_reasons(conversation: dict[str, Any]) -> list[str]:
    """Why the offer fits the request, in the reader's language (empty without a request)."""
    from app.matching import engine as matcher
    from app.matching.services import _load_request, _offer_specs, request_spec

    if not (conversation["request_ref"] and conversation["offer_ref"]):
        return []
    spec = request_spec(await _load_request(conversation["request_ref"]))
    offers = await _offer_specs([conversation["offer_ref"]])
    if not offers:
        return []
    return matcher.score_offer(spec, offers[0], now=now()).reasons
