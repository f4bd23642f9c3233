"""The fixed data set the dashboard tests compute their expectations from (built through the real services)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.matching.tables import Match
from app.messaging import services as messaging
from app.messaging.tables import Conversation, MatchEvent, Message
from app.offers.tables import Offer
from tests.clock import now, utc_today
from tests.factories import make_certificate, make_offer, make_request, make_user

UTC = dt.UTC
BF = 423.776


@dataclass
class World:
    staff: CurrentUser
    p1: CurrentUser
    p2: CurrentUser
    p3: CurrentUser
    b1: CurrentUser
    b2: CurrentUser
    deal_dates: list[dt.date]
    contact_month: str


async def _org(user: CurrentUser, **values: Any) -> None:
    await Organization.update({getattr(Organization, k): v for k, v in values.items()}).where(
        Organization.id == user.organization_id
    )


async def _conversation(buyer: CurrentUser, offer_ref: str, opened: dt.datetime, request_ref: str | None = None) -> int:
    """Open a conversation through the service (its first message), then move it, the message and its 'contacted'
    event back to ``opened``."""
    conversation_id = await messaging.start_conversation(buyer, offer_ref, request_ref, message="Buenos días")
    await Conversation.update({Conversation.created_at: opened, Conversation.last_message_at: opened}).where(
        Conversation.id == conversation_id
    )
    await Message.update({Message.created_at: opened}).where(Message.conversation == conversation_id)
    await MatchEvent.update({MatchEvent.at: opened}).where(
        (MatchEvent.conversation == conversation_id) & (MatchEvent.state == "contacted")
    )
    return conversation_id


async def _reply(producer: CurrentUser, conversation_id: int, at: dt.datetime) -> None:
    """The producer's first message, moved (with the 'replied' event recorded with it) to ``at``."""
    message_id = await messaging.send_message(producer, conversation_id, "We can deliver.")
    await Message.update({Message.created_at: at}).where(Message.id == message_id)
    await MatchEvent.update({MatchEvent.at: at}).where(
        (MatchEvent.conversation == conversation_id) & (MatchEvent.state == "replied")
    )


def _deal(quantity: str, unit: str, unit_price: str, currency: str, date: dt.date) -> dict[str, str]:
    """A deal form: the price is per unit (the service stores the total the figures add up)."""
    return {
        "quantity": quantity,
        "unit": unit,
        "unit_price": unit_price,
        "currency": currency,
        "date": date.isoformat(),
        "accept_price": "1",  # the figures below are chosen for the sums, not to sit near the offers' prices
    }


@pytest.fixture(name="world")
async def fx_world(clean_db: str) -> World:
    """Three producers, two buyers, five offers, three requests, four conversations, three deals."""
    staff = await make_user("staff")
    p1 = await make_user("producer", country="MX")
    p2 = await make_user("producer", country="GT")
    p3 = await make_user("producer", country="MX")
    b1 = await make_user("buyer", country="MX")
    b2 = await make_user("buyer", country="DE")
    await _org(p1, region="MX-DUR", legal_form="ejido", lat=24.02, lon=-104.67)
    await _org(p2, region="GT-17", legal_form="community_concession", lat=16.91, lon=-89.89)
    await _org(p3, region="MX-OAX", legal_form="comunidad", lat=17.06, lon=-96.72)

    c1 = await make_certificate(p1, product_types=["sawn_timber", "roundwood"])
    c2 = await make_certificate(p2, product_types=["sawn_timber", "tsr"])
    c3 = await make_certificate(p3, product_types=["sawn_timber"])
    await make_certificate(
        p3, product_types=["roundwood"], expires_on=(utc_today() + dt.timedelta(days=30)).isoformat()
    )

    o1 = await make_offer(p1, c1["ref"], quantity="120", unit="m3")
    o2 = await make_offer(p1, c1["ref"], product_type="roundwood", claim="FSC Mix", quantity="50", unit="m3")
    o3 = await make_offer(
        p2,
        c2["ref"],
        category="latex",
        product_type="tsr",
        species=["Hevea brasiliensis"],
        quantity="5000",
        unit="kg_drc",
        min_order="100",
        price_per="",
    )
    o4 = await make_offer(p2, c2["ref"], claim="FSC Controlled Wood", quantity="30", unit="m3")
    o5 = await make_offer(p3, c3["ref"], quantity="80", unit="m3")
    two_years_ago = now() - dt.timedelta(days=730)
    await Offer.update({Offer.created_at: two_years_ago}).where(Offer.ref == o5["ref"])

    r1 = await make_request(b1, quantity="300")
    await make_request(
        b2,
        category="latex",
        product_types=["rss"],
        species=[],
        accepted_claims=["FSC 100%"],
        quantity="10000",
        unit="kg_drc",
        min_per_supplier="1000",
        delivery_country="DE",
        delivery_region="",
        delivery_place="Hamburg",
        delivery_lat="53.57",
        delivery_lon="9.99",
        max_distance_km="",
    )
    r3 = await make_request(b1, product_types=["panels"], species=[], quantity="100", delivery_lon="-103.38")
    ids = {r["ref"]: r["id"] for r in await Offer.select(Offer.ref, Offer.id)}
    from app.sourcing.tables import SourcingRequest

    req_ids = {r["ref"]: r["id"] for r in await SourcingRequest.select(SourcingRequest.ref, SourcingRequest.id)}
    m1 = Match(request=req_ids[r1["ref"]], offer=ids[o1["ref"]], score=0.9, status="recommended")
    await m1.save()
    await Match(request=req_ids[r3["ref"]], offer=ids[o1["ref"]], score=0.2, status="withdrawn").save()
    await Match.update({Match.created_at: now()}).where(Match.id > 0)

    opened = now() - dt.timedelta(days=30)
    conv1 = await _conversation(b1, o1["ref"], opened, r1["ref"])
    await _reply(p1, conv1, opened + dt.timedelta(hours=2))
    await messaging.send_message(b1, conv1, "Agreed, let us fix the price.")
    d1 = utc_today() - dt.timedelta(days=10)
    first = await messaging.record_deal(b1, conv1, _deal("40", "m3", "350", "USD", d1))
    await messaging.confirm_deal(p1, first)
    d2 = utc_today() - dt.timedelta(days=5)
    second = await messaging.record_deal(p1, conv1, _deal("1000", "bf", "0.90", "USD", d2))
    await messaging.correct_deal(staff, second, {**_deal("2000", "bf", "0.90025", "USD", d2), "note": "typo"})

    conv2 = await _conversation(b2, o3["ref"], opened)
    await _reply(p2, conv2, opened + dt.timedelta(hours=6))
    d3 = utc_today() - dt.timedelta(days=3)
    third = await messaging.record_deal(p2, conv2, _deal("2", "t_drc", "2500", "EUR", d3))
    await messaging.confirm_deal(b2, third)

    conv3 = await _conversation(b1, o4["ref"], opened)
    await messaging.decline(b1, conv3, {"reason": "price", "text": ""})
    await _conversation(b2, o2["ref"], opened)
    return World(staff, p1, p2, p3, b1, b2, [d1, d2, d3], opened.strftime("%Y-%m"))
