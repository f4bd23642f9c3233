"""Opening conversations (from an offer, a recommendation or a bundle), messages, and reading threads.

A contact exists when its first message is sent: "Contact supplier" only opens a compose page. The conversation,
its first message and the 'contacted' event are written together, in one transaction, when the buyer sends
(so staff figures never move, and producers never get a thread, with nothing said).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.clock import now
from app.db import atomic, engine
from app.events import record
from app.i18n import gettext as _
from app.matching import engine as matcher
from app.matching.phrasing import phrase_all
from app.matching.services import _load_request, _offer_specs, request_spec
from app.matching.tables import Match, MatchBundle
from app.messaging.services.core import (
    _CONVERSATION_COLUMNS,
    MAX_BODY,
    RATE_LIMIT_MESSAGES,
    RATE_LIMIT_WINDOW,
    Blocked,
    RateLimited,
    _event,
    _other_org,
    _party,
    get_conversation_for,
    is_blocked,
    side_of,
)
from app.messaging.tables import Conversation, MatchEvent, Message, OrganizationBlock
from app.offers import projection
from app.offers.services import get_visible_offer
from app.offers.tables import Offer
from app.sourcing.services import get_request_for
from app.validation import Checker, NotFound, PermissionDenied


# --- contacting a producer -------------------------------------------------------------------------------------
@dataclass
class Opening:
    """What a buyer's first message to a producer is about: the offer, and the request and match when any."""

    offer: dict[str, Any]
    producer_org: int
    request: dict[str, Any] | None
    match_id: int | None
    #: The buyer organisation's conversation about this offer when there already is one (the message goes there).
    existing: dict[str, Any] | None


async def _opening(user: CurrentUser, offer_ref: str, request_ref: str | None) -> Opening:
    """Check that this buyer may write to the offer's producer (about one of its own requests); nothing written."""
    if not user.is_buyer or user.organization_id is None:
        raise PermissionDenied()
    offer = await get_visible_offer(user, offer_ref)
    producer_org = offer["organization"]
    if producer_org == user.organization_id:
        raise PermissionDenied()
    request_row = match_id = None
    if request_ref:
        request_row = await get_request_for(user, request_ref)
        match = (
            await Match.select(Match.id)
            .where((Match.request == request_row["id"]) & (Match.offer == offer["id"]))
            .first()
        )
        match_id = match["id"] if match else None
    if await is_blocked(user.organization_id, producer_org):
        raise PermissionDenied()
    existing = await (
        Conversation.select(Conversation.id, Conversation.match, Conversation.request, Conversation.bundle_key)
        .where((Conversation.buyer_organization == user.organization_id) & (Conversation.offer == offer["id"]))
        .first()
    )
    return Opening(offer, producer_org, request_row, match_id, existing)


async def compose(user: CurrentUser, offer_ref: str, request_ref: str | None = None) -> Opening:
    """What the compose page shows before the first message (the offer, the request, an existing thread)."""
    return await _opening(user, offer_ref, request_ref)


def _first_message(body: Any) -> str:
    c = Checker({"body": body})
    text = c.text("body", required=True, max_len=MAX_BODY)
    c.raise_if_errors()
    return text


async def _open(user: CurrentUser, opening: Opening, moment: dt.datetime, bundle_key: str | None) -> int:
    """Inside the sending transaction: the conversation (new, or the existing one linked to the request and match)
    and its 'contacted' event: one per conversation, and one per match it is about."""
    request_id = opening.request["id"] if opening.request else None
    match_id = opening.match_id
    existing = await (
        Conversation.select(Conversation.id, Conversation.match, Conversation.request, Conversation.bundle_key)
        .where((Conversation.buyer_organization == user.organization_id) & (Conversation.offer == opening.offer["id"]))
        .first()
    )
    if existing is None:
        conversation = Conversation(
            buyer_organization=user.organization_id,
            producer_organization=opening.producer_org,
            offer=opening.offer["id"],
            request=request_id,
            match=match_id,
            bundle_key=bundle_key,
            created_by=user.id,
            created_at=moment,
            last_message_at=moment,
        )
        await conversation.save()
        conversation_id = int(conversation.id)
        await _event("contacted", user, conversation_id=conversation_id, match_id=match_id, at=moment)
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
    contacted = MatchEvent.state == "contacted"
    if match_id and not await MatchEvent.exists().where((MatchEvent.match == match_id) & contacted):
        await _event("contacted", user, conversation_id=conversation_id, match_id=match_id, at=moment)
    elif not await MatchEvent.exists().where((MatchEvent.conversation == conversation_id) & contacted):
        await _event("contacted", user, conversation_id=conversation_id, match_id=existing["match"], at=moment)
    return conversation_id


async def start_conversation(
    user: CurrentUser,
    offer_ref: str,
    request_ref: str | None = None,
    *,
    message: Any,
    bundle_key: str | None = None,
) -> int:
    """Send a buyer's first message to the producer of an offer (optionally about one of its requests): the
    conversation (or the existing one about this offer), the message and the 'contacted' event, all or nothing."""
    text = _first_message(message)
    opening = await _opening(user, offer_ref, request_ref)
    async with atomic():
        await _check_rate(user, text, 1)
        moment = now()
        conversation_id = await _open(user, opening, moment, bundle_key)
        await _post(user, conversation_id, "buyer", text, moment)
    return conversation_id


@dataclass
class BundleOpening:
    """A stored bundle of a buyer's request: its producers' offers, one per producer, in the bundle's order."""

    request: dict[str, Any]
    rank: int
    offers: list[dict[str, Any]]


async def compose_bundle(user: CurrentUser, request_ref: str, bundle_rank: int) -> BundleOpening:
    """The producers of a stored bundle, for the page that writes to all of them at once (nothing written)."""

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
    rows = {
        r["ref"]: r
        for r in await Offer.select(
            *projection.columns(("ref", "title", "organization"), ("organization_name",))
        ).where(Offer.ref.is_in(refs or ["-"]))
    }
    offers: list[dict[str, Any]] = []
    producers: set[int] = set()
    for ref in refs:
        row = rows.get(ref)
        if row is None or row["organization"] in producers or row["organization"] == user.organization_id:
            continue
        producers.add(row["organization"])
        offers.append(row)
    if not offers:
        raise NotFound()
    return BundleOpening(request_row, bundle_rank, offers)


async def start_bundle_conversations(
    user: CurrentUser, request_ref: str, bundle_rank: int, *, message: Any
) -> list[int]:
    """The same first message to every producer of a stored bundle: one conversation each, sharing a bundle key,
    all sent or none."""
    text = _first_message(message)
    bundle = await compose_bundle(user, request_ref, bundle_rank)
    openings = [await _opening(user, o["ref"], request_ref) for o in bundle.offers]
    key = f"b-{secrets.token_hex(8)}"
    ids: list[int] = []
    async with atomic():
        await _check_rate(user, text, len(openings))
        moment = now()
        for opening in openings:
            conversation_id = await _open(user, opening, moment, key)
            await _post(user, conversation_id, "buyer", text, moment)
            ids.append(conversation_id)
    return ids


# --- messages --------------------------------------------------------------------------------------------------
async def _hold_user_lock(user_id: int) -> None:
    """Serialise one user's sends on PostgreSQL so the rate-limit count cannot be raced by two workers."""
    if isinstance(engine(), PostgresEngine):
        await Message.raw("SELECT pg_advisory_xact_lock({})", 7_000_000_000 + user_id)


async def _check_rate(user: CurrentUser, text: str, sending: int) -> None:
    """Inside the sending transaction: refuse when ``sending`` more messages would pass the user's limit."""
    # SQLite: the IMMEDIATE transaction already serialises writers; the count is therefore exact.
    await _hold_user_lock(user.id)
    recent = await Message.count().where(
        (Message.sender == user.id) & (Message.created_at >= now() - RATE_LIMIT_WINDOW)
    )
    if recent + sending > RATE_LIMIT_MESSAGES:
        raise RateLimited(
            {
                "body": _(
                    "You have sent %(n)s messages in the last 10 minutes. Wait a few minutes and try again.",
                    n=RATE_LIMIT_MESSAGES,
                )
            },
            {"body": text},
        )


async def _post(user: CurrentUser, conversation_id: int, side: str, text: str, moment: dt.datetime) -> int:
    """Inside the sending transaction: the message, the other side's notification, and the reply events."""
    states = {
        r["state"] for r in await MatchEvent.select(MatchEvent.state).where(MatchEvent.conversation == conversation_id)
    }
    message = Message(
        conversation=conversation_id,
        sender=user.id,
        sender_organization=user.organization_id,
        body=text,
        created_at=moment,
    )
    await message.save()
    await record(  # the other organisation is told (alerts subscriber); the excerpt is all a notification shows
        "message_sent",
        payload={
            "conversation_id": conversation_id,
            "message_id": int(message.id),
            "sender_organization": user.organization_id,
            "sender_organization_name": user.organization_name,
            "body": text[:201],
        },
    )
    await Conversation.update({Conversation.last_message_at: moment}).where(Conversation.id == conversation_id)
    row = await Conversation.select(Conversation.match).where(Conversation.id == conversation_id).first()
    match_id = row["match"] if row else None
    if side == "producer" and "replied" not in states:
        await _event("replied", user, conversation_id=conversation_id, match_id=match_id, at=moment)
    elif side == "buyer" and "replied" in states and "negotiating" not in states:
        await _event("negotiating", user, conversation_id=conversation_id, match_id=match_id, at=moment)
    return int(message.id)


async def send_message(user: CurrentUser, conversation_id: int, body: Any) -> int:
    """Post a plain-text message as one of the two parties (blocked pairs and floods refused)."""
    conversation, side = await _party(user, conversation_id)
    c = Checker({"body": body})
    text = c.text("body", required=True, max_len=MAX_BODY)
    c.raise_if_errors()
    if await is_blocked(conversation["buyer_organization"], conversation["producer_organization"]):
        raise Blocked()
    async with atomic():
        await _check_rate(user, text, 1)
        return await _post(user, conversation_id, side, text, now())


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


async def organization_name(org_id: int) -> str:
    row = await Organization.select(Organization.name).where(Organization.id == org_id).first()
    return row["name"] if row else ""


async def match_reasons(conversation: dict[str, Any], side: str | None = None) -> list[str]:
    """Why the offer fits the request, in the reader's language and worded for the reader's side (the producer
    reads about its offer, the buyer and staff about the request); empty without a request."""

    if not (conversation["request_ref"] and conversation["offer_ref"]):
        return []
    spec = request_spec(await _load_request(conversation["request_ref"]))
    offers = await _offer_specs([conversation["offer_ref"]])
    if not offers:
        return []
    reasons = matcher.score_offer(spec, offers[0], now=now()).reasons
    return phrase_all(reasons, "producer" if side == "producer" else "buyer")
