"""Conversations: contact from an offer or a bundle, replies, recorded events, deals, privacy and safety."""

from __future__ import annotations

from typing import Any

import pytest

from app.matching.services import compute_matches
from app.matching.tables import Match, MatchBundle
from app.messaging import controllers as messaging_controllers
from app.messaging.claim_words import CLAIM_FIELDS
from app.messaging.tables import Conversation, MatchEvent, Message, OrganizationBlock
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_request, make_user, post_form, sign_in


@pytest.fixture(name="app", scope="session")
def fx_app() -> Any:
    """The real app; the messaging routes are added here until app/main.py registers them."""
    from app.main import create_app

    app = create_app()
    paths = {route.path for route in app.routes}
    if "/conversations" not in paths:
        for handler in messaging_controllers.ROUTES:
            app.register(handler)
    return app


class _SearchDown:
    """A search backend that cannot answer: matching falls back to SQL, deterministically."""

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search engine down")


async def _producer_with_offer(**offer: Any) -> tuple[Any, dict[str, Any]]:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    return producer, await make_offer(producer, cert["ref"], **offer)


async def _contact(client: Any, buyer: Any, offer_ref: str, body: str = "Hello", **form: str) -> int:
    """Sign in as the buyer and send the first message about the offer; returns the conversation id."""
    await sign_in(client, buyer)
    response = await post_form(client, f"/offers/{offer_ref}/contact", {**form, "body": body})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1].split("#")[0])


async def _states(conversation_id: int) -> list[str]:
    rows = (
        await MatchEvent.select(MatchEvent.state)
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
    )
    return [r["state"] for r in rows]


async def test_buyer_contacts_producer_replies_events_in_order(client) -> None:
    producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"], body="Hello")
    # Contacting again reuses the same thread.
    assert await _contact(client, buyer, offer["ref"], body="Do you have 40 m3?") == conversation_id
    assert await Conversation.count() == 1
    headers = await api_token(producer)
    reply = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Yes, in May."}, headers=headers
    )
    assert reply.status_code == 201, reply.text
    assert reply.json()["body"] == "Yes, in May."
    events = (
        await MatchEvent.select(MatchEvent.state, MatchEvent.actor, MatchEvent.actor_organization, MatchEvent.at)
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
    )
    assert [(e["state"], e["actor"], e["actor_organization"]) for e in events] == [
        ("contacted", buyer.id, buyer.organization_id),
        ("replied", producer.id, producer.organization_id),
    ]
    assert events[0]["at"] <= events[1]["at"]
    # A second producer message is not a second reply.
    await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Price 350 USD"}, headers=headers
    )
    assert await _states(conversation_id) == ["contacted", "replied"]
    page = await client.get(f"/conversations/{conversation_id}")
    assert page.status_code == 200
    assert page.text.count('data-testid="message"') == 4
    listing = await client.get("/api/v1/conversations", headers=headers)
    assert [c["id"] for c in listing.json()] == [conversation_id]


async def test_outsiders_cannot_read_a_thread_staff_can(client) -> None:
    producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"], body="Private terms")
    outsider = await make_user("buyer")
    other_producer = await make_user("producer")
    for user in (outsider, other_producer):
        api = await client.get(f"/api/v1/conversations/{conversation_id}", headers=await api_token(user))
        assert api.status_code == 404
        listing = await client.get("/api/v1/conversations", headers=await api_token(user))
        assert listing.json() == []
    await sign_in(client, outsider)
    page = await client.get(f"/conversations/{conversation_id}")
    assert page.status_code == 404
    assert "Private terms" not in page.text
    client.cookies.clear()
    anonymous_api = await client.get(f"/api/v1/conversations/{conversation_id}")
    assert anonymous_api.status_code == 401
    anonymous_page = await client.get(f"/conversations/{conversation_id}")
    assert anonymous_page.status_code == 303
    assert anonymous_page.headers["location"] == f"/login?next=/conversations/{conversation_id}"
    staff = await make_user("staff")
    staff_headers = await api_token(staff)
    thread = await client.get(f"/api/v1/conversations/{conversation_id}", headers=staff_headers)
    assert thread.status_code == 200
    assert [m["body"] for m in thread.json()["messages"]] == ["Private terms"]
    # Staff read but do not take part.
    post = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "hi"}, headers=staff_headers
    )
    assert post.status_code == 403
    assert await Message.count() == 1


async def test_blocked_organisation_cannot_send(client) -> None:
    producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"])
    await sign_in(client, producer)
    blocked = await post_form(client, f"/conversations/{conversation_id}/block", {})
    assert blocked.status_code == 303
    assert await OrganizationBlock.count().where(OrganizationBlock.blocker == producer.organization_id) == 1
    await sign_in(client, buyer)
    page = await post_form(client, f"/conversations/{conversation_id}/messages", {"body": "Hello?"})
    assert page.status_code == 403
    api = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "Hello?"}, headers=await api_token(buyer)
    )
    assert api.status_code == 403
    # The blocker cannot write either, and a new contact is refused.
    own = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "x"}, headers=await api_token(producer)
    )
    assert own.status_code == 403
    again = await client.post(
        "/api/v1/conversations", json={"offer": offer["ref"], "message": "Hello?"}, headers=await api_token(buyer)
    )
    assert again.status_code == 403
    assert await Message.count() == 1  # the first message, sent before the block
    await sign_in(client, producer)
    assert (await post_form(client, f"/conversations/{conversation_id}/block", {"unblock": "1"})).status_code == 303
    assert await OrganizationBlock.count() == 0


async def test_rate_limit_refuses_the_21st_message(client) -> None:
    _producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    headers = await api_token(buyer)
    created = await client.post("/api/v1/conversations", json={"offer": offer["ref"], "message": "m0"}, headers=headers)
    assert created.status_code == 201, created.text
    conversation_id = created.json()["id"]
    for n in range(1, 20):
        sent = await client.post(
            f"/api/v1/conversations/{conversation_id}/messages", json={"body": f"m{n}"}, headers=headers
        )
        assert sent.status_code == 201
    refused = await client.post(
        f"/api/v1/conversations/{conversation_id}/messages", json={"body": "one more"}, headers=headers
    )
    assert refused.status_code == 429
    assert await Message.count() == 20
    await sign_in(client, buyer)
    page = await post_form(client, f"/conversations/{conversation_id}/messages", {"body": "one more"})
    assert page.status_code == 422
    assert "You have sent 20 messages in the last 10 minutes." in page.text
    assert await Message.count() == 20


async def test_deal_recorded_confirmed_by_other_side_and_corrected_by_staff(client) -> None:
    producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"])
    deal = {"quantity": "40", "unit": "m3", "unit_price": "350", "currency": "USD", "date": today().isoformat()}
    invalid = await post_form(client, f"/conversations/{conversation_id}/deal", {**deal, "currency": "XXX"})
    assert invalid.status_code == 422
    recorded = await post_form(client, f"/conversations/{conversation_id}/deal", deal)
    assert recorded.status_code == 303
    deal_event = await MatchEvent.select().where(MatchEvent.state == "deal_closed").output(load_json=True).first()
    # The FSC claim fields stored beside the figures are asserted in test_deal_claims.py.
    assert {k: v for k, v in deal_event["details"].items() if k not in CLAIM_FIELDS} == {
        "quantity": 40.0,
        "unit": "m3",
        "unit_price": "350.00",
        "price": "14000.00",
        "currency": "USD",
        "date": today().isoformat(),
    }
    own_page = await client.get(f"/conversations/{conversation_id}")
    assert 'data-testid="confirm-deal"' not in own_page.text
    same_side = await post_form(client, f"/conversations/{conversation_id}/events/{deal_event['id']}/confirm", {})
    assert same_side.status_code == 403
    await sign_in(client, producer)
    other_page = await client.get(f"/conversations/{conversation_id}")
    assert other_page.text.count('data-testid="confirm-deal"') == 1
    confirmed = await post_form(client, f"/conversations/{conversation_id}/events/{deal_event['id']}/confirm", {})
    assert confirmed.status_code == 303
    twice = await post_form(client, f"/conversations/{conversation_id}/events/{deal_event['id']}/confirm", {})
    assert twice.status_code == 422
    staff = await make_user("staff")
    await sign_in(client, staff)
    staff_page = await client.get(f"/conversations/{conversation_id}")
    assert 'data-testid="correct-form"' in staff_page.text
    assert 'data-testid="message-form"' not in staff_page.text
    corrected = await post_form(
        client,
        f"/conversations/{conversation_id}/events/{deal_event['id']}/correct",
        {**deal, "quantity": "45", "note": "Typo in the volume"},
    )
    assert corrected.status_code == 303
    assert await _states(conversation_id) == ["contacted", "deal_closed", "deal_confirmed", "corrected"]
    original = await MatchEvent.select().where(MatchEvent.id == deal_event["id"]).output(load_json=True).first()
    assert original["details"] == deal_event["details"]
    correction = await MatchEvent.select().where(MatchEvent.state == "corrected").output(load_json=True).first()
    assert correction["actor"] == staff.id
    assert (correction["details"]["quantity"], correction["details"]["price"]) == (45.0, "15750.00")
    assert correction["details"]["corrects"] == deal_event["id"]
    confirmation = await MatchEvent.select().where(MatchEvent.state == "deal_confirmed").output(load_json=True).first()
    assert (confirmation["actor_organization"], confirmation["details"]["event_id"]) == (
        producer.organization_id,
        deal_event["id"],
    )
    assert confirmation["details"]["confirmed"]["quantity"] == 40.0  # what the producer vouched for


async def test_decline_and_report_reach_staff(client) -> None:
    _producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"])
    bad = await post_form(client, f"/conversations/{conversation_id}/decline", {"reason": "weather"})
    assert bad.status_code == 422
    declined = await post_form(
        client, f"/conversations/{conversation_id}/decline", {"reason": "price", "text": "Too high"}
    )
    assert declined.status_code == 303
    event = await MatchEvent.select().where(MatchEvent.state == "declined").output(load_json=True).first()
    assert event["details"] == {"reason": "price", "text": "Too high"}
    reported = await post_form(client, f"/conversations/{conversation_id}/report", {"report_reason": "Spam offers"})
    assert reported.status_code == 303
    assert (await client.get("/conversations/reported")).status_code == 403
    await sign_in(client, await make_user("staff"))
    page = await client.get("/conversations/reported")
    assert page.status_code == 200
    assert f'data-testid="reported" data-id="{conversation_id}"' in page.text
    assert "Spam offers" in page.text


async def test_message_body_is_escaped(client) -> None:
    _producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    conversation_id = await _contact(client, buyer, offer["ref"])
    body = "<script>alert(1)</script>\nsecond line"
    assert (await post_form(client, f"/conversations/{conversation_id}/messages", {"body": body})).status_code == 303
    page = await client.get(f"/conversations/{conversation_id}")
    assert '<p data-testid="message-body">&lt;script&gt;alert(1)&lt;/script&gt;<br>second line</p>' in page.text
    assert "<script>alert(1)" not in page.text


async def test_bundle_contact_opens_one_conversation_per_producer(client) -> None:
    _first, offer_a = await _producer_with_offer(quantity="120")
    _second, offer_b = await _producer_with_offer(quantity="200", lat="24.6", lon="-105.1")
    buyer = await make_user("buyer")
    sourcing_request = await make_request(buyer)
    answer = await compute_matches(sourcing_request["ref"], _SearchDown(), locale="en")
    assert [sorted(m.offer.ref for m in b.offers) for b in answer.bundles][0] == sorted(
        [offer_a["ref"], offer_b["ref"]]
    )
    await sign_in(client, buyer)
    response = await post_form(client, f"/requests/{sourcing_request['ref']}/bundles/1/contact", {"body": "Hola"})
    assert response.status_code == 303
    assert response.headers["location"] == "/conversations?sent=2"
    listing = await client.get("/conversations?sent=2")
    assert listing.text.count('data-testid="conversation"') == 2
    assert "Your message was sent to 2 producers." in listing.text
    rows = await Conversation.select().order_by(Conversation.id)
    assert len(rows) == 2
    assert rows[0]["bundle_key"] is not None and rows[0]["bundle_key"] == rows[1]["bundle_key"]
    assert {r["producer_organization"] for r in rows} == {_first.organization_id, _second.organization_id}
    matches = {m["offer"]: m["id"] for m in await Match.select(Match.id, Match.offer)}
    assert {r["match"] for r in rows} == {matches[offer_a["id"]], matches[offer_b["id"]]}
    contacted = await MatchEvent.select(MatchEvent.match).where(MatchEvent.state == "contacted")
    assert sorted(e["match"] for e in contacted) == sorted(matches.values())
    assert await MatchBundle.count() == 1
    # Someone else's request cannot be used.
    intruder = await make_user("buyer")
    await sign_in(client, intruder)
    refused = await post_form(client, f"/requests/{sourcing_request['ref']}/bundles/1/contact", {"body": "Hola"})
    assert refused.status_code == 404
    # The thread shows why the offer fits the request.
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{rows[0]['id']}")
    assert 'data-testid="thread-reasons"' in page.text


async def test_conversation_api_is_documented(client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert set(paths["/api/v1/conversations"]) == {"get", "post"}
    assert sorted(paths["/api/v1/conversations/{conversation_id}/messages"]["post"]["responses"]) == [
        "201",
        "400",
        "401",
        "403",
        "404",
        "429",
    ]
    assert not [p for p in paths if p.startswith("/conversations")]


async def test_a_titleless_request_is_named_by_what_it_asks_for_in_threads(client) -> None:
    _producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer")
    request = await make_request(buyer, title="", quantity="120")
    conversation_id = await _contact(client, buyer, offer["ref"], request=request["ref"])
    thread = await client.get(f"/conversations/{conversation_id}")
    assert f'<a href="/requests/{request["ref"]}" data-testid="thread-request">Sawn timber, 120 m³</a>' in thread.text
    listing = await client.get("/conversations")
    assert " · Sawn timber, 120 m³</p>" in listing.text


async def test_thread_times_read_in_the_readers_time_zone(client) -> None:
    """A buyer in Mexico reads a message's time in Mexico City's zone; one from a country without a listed zone
    reads UTC. Both say which."""
    from zoneinfo import ZoneInfo

    _producer, offer = await _producer_with_offer()
    buyer = await make_user("buyer", country="MX")
    conversation_id = await _contact(client, buyer, offer["ref"], body="¿Tienen 40 m3?")
    sent = (await Message.select(Message.created_at).where(Message.conversation == conversation_id).first())[
        "created_at"
    ]
    local = sent.astimezone(ZoneInfo("America/Mexico_City"))
    page = await client.get(f"/conversations/{conversation_id}")
    hour = local.strftime("%-I:%M")
    assert f"{hour}\u202f{'AM' if local.hour < 12 else 'PM'} UTC\u22126</time>" in page.text
    fiji = await make_user("buyer", country="FJ")
    other = await _contact(client, fiji, offer["ref"], body="Hello")
    page = await client.get(f"/conversations/{other}")
    assert " UTC</time>" in page.text and "UTC\u2212" not in page.text
