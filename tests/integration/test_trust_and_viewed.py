"""The 'viewed' step of the match funnel and the trust signals on a producer's public profile."""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.clock import now
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.messaging.tables import Conversation, MatchEvent, Message
from app.messaging.trust import producer_trust
from app.worker import get_backend
from tests.factories import make_certificate, make_offer, make_request, make_user, sign_in


async def _viewed_events() -> list[dict[str, Any]]:
    return await MatchEvent.select(MatchEvent.match, MatchEvent.actor).where(MatchEvent.state == "viewed")


async def test_buyer_viewing_request_records_viewed_once_per_match(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"], title="Boards A")
    await make_offer(producer, cert["ref"], title="Boards B")
    buyer = await make_user("buyer")
    request_row = await make_request(buyer)
    backend = get_backend()
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)

    staff = await make_user("staff")
    await sign_in(client, staff)
    response = await client.get(f"/requests/{request_row['ref']}")
    assert response.status_code == 200
    assert await _viewed_events() == []  # staff looking does not move the funnel

    await sign_in(client, buyer)
    response = await client.get(f"/requests/{request_row['ref']}")
    assert response.status_code == 200
    events = await _viewed_events()
    assert len(events) == 2
    assert {e["actor"] for e in events} == {buyer.id}
    response = await client.get(f"/requests/{request_row['ref']}")
    assert response.status_code == 200
    assert len(await _viewed_events()) == 2  # a second look adds nothing


async def _conversation(buyer: CurrentUser, producer: CurrentUser, opened: dt.datetime) -> int:
    conversation = Conversation(
        buyer_organization=buyer.organization_id,
        producer_organization=producer.organization_id,
        created_by=buyer.id,
        created_at=opened,
        last_message_at=opened,
    )
    await conversation.save()
    await Message(
        conversation=conversation.id,
        sender=buyer.id,
        sender_organization=buyer.organization_id,
        body="Hola",
        created_at=opened,
    ).save()
    return int(conversation.id)


async def _reply(conversation_id: int, producer: CurrentUser, at: dt.datetime) -> None:
    await Message(
        conversation=conversation_id,
        sender=producer.id,
        sender_organization=producer.organization_id,
        body="Sí",
        created_at=at,
    ).save()


async def _event(state: str, conversation_id: int, user: CurrentUser, details: dict[str, Any]) -> int:
    event = MatchEvent(
        state=state,
        conversation=conversation_id,
        actor=user.id,
        actor_organization=user.organization_id,
        at=now(),
        details=details,
    )
    await event.save()
    return int(event.id)


def _deal(date: dt.date) -> dict[str, Any]:
    return {"quantity": 40, "unit": "m3", "price": "300", "currency": "USD", "date": date.isoformat()}


async def test_trust_signals_from_conversations_and_deals(client) -> None:
    producer = await make_user("producer", org_name="Ejido El Largo")
    buyer = await make_user("buyer")
    staff = await make_user("staff")
    t0 = now() - dt.timedelta(days=20)
    hour = dt.timedelta(hours=1)
    answered = []
    for delay in (1, 2, 5):
        cid = await _conversation(buyer, producer, t0)
        await _reply(cid, producer, t0 + delay * hour)
        await _reply(cid, producer, t0 + (delay + 30) * hour)  # later messages do not change the reply time
        answered.append(cid)
    await _conversation(buyer, producer, t0)  # never answered
    old = await _conversation(buyer, producer, now() - dt.timedelta(days=400))  # outside the 12 months
    await _reply(old, producer, now() - dt.timedelta(days=399))

    today = dt.date.today()
    confirmed = await _event("deal_closed", answered[0], buyer, _deal(today - dt.timedelta(days=10)))
    await _event("deal_confirmed", answered[0], producer, {"event_id": confirmed})
    await _event("deal_closed", answered[1], buyer, _deal(today - dt.timedelta(days=5)))  # never confirmed
    moved = await _event("deal_closed", answered[2], producer, _deal(today - dt.timedelta(days=3)))
    await _event("deal_confirmed", answered[2], buyer, {"event_id": moved})
    # Staff correct the date to 13 months ago: the deal leaves the 12-month window.
    await _event("corrected", answered[2], staff, {**_deal(today - dt.timedelta(days=396)), "corrects": moved})

    trust = await producer_trust(producer.organization_id)
    assert trust.conversations == 4
    assert trust.answered == 3
    assert trust.response_rate == 0.75
    assert trust.median_reply == 2 * hour
    assert trust.confirmed_deals == 1

    # Anonymous visitors see the track record too.
    ref = (await Organization.select(Organization.ref).where(Organization.id == producer.organization_id).first())[
        "ref"
    ]
    page = await client.get(f"/producers/{ref}", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="trust-response-rate">75 %' in html
    assert "3 of 4 conversations answered" in html
    assert 'data-testid="trust-reply-time">2 hours</dd>' in html
    assert 'data-testid="trust-deals">1</dd>' in html
    assert 'data-testid="trust-verified">Not yet</dd>' in html


async def test_trust_signals_need_enough_conversations(client) -> None:
    producer = await make_user("producer")
    buyer = await make_user("buyer")
    opened = now() - dt.timedelta(days=2)
    cid = await _conversation(buyer, producer, opened)
    await _reply(cid, producer, opened + dt.timedelta(days=1))
    trust = await producer_trust(producer.organization_id)
    assert (trust.conversations, trust.answered, trust.response_rate) == (1, 1, None)
    assert trust.median_reply == dt.timedelta(days=1)
    other = await make_user("producer")
    empty = await producer_trust(other.organization_id)
    assert (empty.conversations, empty.median_reply, empty.confirmed_deals) == (0, None, 0)


async def test_profile_says_when_staff_verified_the_certificate(client) -> None:
    from app.certificates.services import verify_certificate
    from app.i18n import format_date

    producer = await make_user("producer")
    staff = await make_user("staff")
    cert = await make_certificate(producer)
    verified = await verify_certificate(staff, cert["ref"], approve=True)
    org = await Organization.select(Organization.ref).where(Organization.id == producer.organization_id).first()
    page = await client.get(f"/producers/{org['ref']}")
    assert page.status_code == 200
    expected = f'data-testid="trust-verified">Yes, on {format_date(verified["verified_at"].date())}</dd>'
    assert expected in page.text
