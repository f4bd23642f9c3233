"""A contact exists when the first message is sent: "Contact supplier" opens a compose page and records nothing;
sending writes the conversation, the message and the 'contacted' event together (or nothing at all)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.services import compute_matches
from app.matching.tables import Match
from app.messaging import services as messaging
from app.messaging.tables import Conversation, MatchEvent, Message
from app.notifications.tables import Notification
from app.validation import FieldErrors
from app.worker import get_backend
from tests.factories import api_token, make_certificate, make_offer, make_request, make_user, post_form, sign_in
from tests.notify_helpers import delivered


class _SearchDown:
    """A search backend that cannot answer: matching falls back to SQL, deterministically."""

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search engine down")


async def _offer(**overrides: Any) -> tuple[Any, dict[str, Any]]:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    return producer, await make_offer(producer, cert["ref"], **overrides)


async def _nothing_recorded() -> None:
    assert (await Conversation.count(), await Message.count(), await MatchEvent.count()) == (0, 0, 0)


async def test_contact_button_opens_a_compose_page_and_records_nothing(client) -> None:
    producer, offer = await _offer(title="Tablas de pino")
    buyer = await make_user("buyer")
    wanted = await make_request(buyer)
    backend = get_backend()
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await sign_in(client, buyer)

    page = await client.get(f"/offers/{offer['ref']}/contact?request={wanted['ref']}")
    assert page.status_code == 200
    assert f"Message to {producer.organization_name}" in page.text
    assert f'<form method="post" action="/offers/{offer["ref"]}/contact" data-testid="compose-form">' in page.text
    assert f'<input type="hidden" name="request" value="{wanted["ref"]}">' in page.text
    # The contact button of a page loaded before this change posts without a message: it only leads here.
    old_button = await post_form(client, f"/offers/{offer['ref']}/contact", {"request": wanted["ref"]})
    assert old_button.status_code == 303
    assert old_button.headers["location"] == f"/offers/{offer['ref']}/contact?request={wanted['ref']}"
    assert (await Conversation.count(), await Message.count()) == (0, 0)
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 0
    # The offer page and the recommendations link to the compose page (plain links: nothing is posted).
    detail = await client.get(f"/offers/{offer['ref']}?request={wanted['ref']}")
    assert (
        f'href="/offers/{offer["ref"]}/contact?request={wanted["ref"]}" data-testid="contact-supplier"' in detail.text
    )
    recommendations = await client.get(f"/requests/{wanted['ref']}")
    assert f'href="/offers/{offer["ref"]}/contact?request={wanted["ref"]}" data-testid="contact-supplier"' in (
        recommendations.text
    )
    assert (await Conversation.count(), await Message.count()) == (0, 0)
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 0
    # The producer has no thread to open.
    await sign_in(client, producer)
    assert 'data-testid="conversation"' not in (await client.get("/conversations")).text


async def test_sending_the_first_message_opens_the_conversation_with_its_contacted_event(client) -> None:
    producer, offer = await _offer()
    buyer = await make_user("buyer")
    wanted = await make_request(buyer)
    await compute_matches(wanted["ref"], _SearchDown())
    match = await Match.select(Match.id).first()
    await sign_in(client, buyer)

    empty = await post_form(client, f"/offers/{offer['ref']}/contact", {"request": wanted["ref"], "body": "  "})
    assert empty.status_code == 422
    assert '<p class="field-error" id="f-body-error" aria-live="polite">This field is required.</p>' in empty.text
    await _nothing_recorded()

    sent = await post_form(
        client, f"/offers/{offer['ref']}/contact", {"request": wanted["ref"], "body": "¿Tienen 300 m3 para mayo?"}
    )
    assert sent.status_code == 303
    conversation = await Conversation.select().first()
    assert sent.headers["location"] == f"/conversations/{conversation['id']}#latest"
    assert (conversation["buyer_organization"], conversation["producer_organization"], conversation["offer"]) == (
        buyer.organization_id,
        producer.organization_id,
        offer["id"],
    )
    assert (conversation["request"], conversation["match"]) == (wanted["id"], match["id"])
    message = await Message.select().first()
    assert (message["conversation"], message["sender"], message["body"]) == (
        conversation["id"],
        buyer.id,
        "¿Tienen 300 m3 para mayo?",
    )
    events = await MatchEvent.select(MatchEvent.state, MatchEvent.match, MatchEvent.actor, MatchEvent.at)
    assert [(e["state"], e["match"], e["actor"]) for e in events] == [("contacted", match["id"], buyer.id)]
    # One moment: the contact is the message.
    assert conversation["created_at"] == message["created_at"] == events[0]["at"] == conversation["last_message_at"]
    await delivered()  # the worker's pass: the alerts subscriber tells the producer
    notes = await Notification.select(Notification.recipient, Notification.kind).where(Notification.kind == "message")
    assert [(n["recipient"], n["kind"]) for n in notes] == [(producer.id, "message")]

    # "Contact supplier" again on the same offer and request opens the thread; a second message goes into it.
    again = await client.get(f"/offers/{offer['ref']}/contact?request={wanted['ref']}")
    assert again.status_code == 303
    assert again.headers["location"] == f"/conversations/{conversation['id']}#message-form"
    from_offer_page = await client.get(f"/offers/{offer['ref']}/contact")
    assert from_offer_page.headers["location"] == f"/conversations/{conversation['id']}#message-form"
    second = await post_form(client, f"/offers/{offer['ref']}/contact", {"body": "¿Y el precio?"})
    assert second.headers["location"] == f"/conversations/{conversation['id']}#latest"
    assert (await Conversation.count(), await Message.count()) == (1, 2)
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 1


async def test_a_thread_opened_from_the_offer_gains_the_request_when_written_to_from_it(client) -> None:
    _producer, offer = await _offer()
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    first = await post_form(client, f"/offers/{offer['ref']}/contact", {"body": "Hola"})
    conversation_id = int(first.headers["location"].split("/")[2].split("#")[0])
    wanted = await make_request(buyer)
    await compute_matches(wanted["ref"], _SearchDown())
    match = await Match.select(Match.id).first()
    # The compose page says the message joins the existing thread (it links the request on sending).
    page = await client.get(f"/offers/{offer['ref']}/contact?request={wanted['ref']}")
    assert page.status_code == 200
    assert 'data-testid="compose-existing"' in page.text
    await post_form(client, f"/offers/{offer['ref']}/contact", {"request": wanted["ref"], "body": "Para mi pedido"})
    row = await Conversation.select(Conversation.id, Conversation.request, Conversation.match).first()
    assert row == {"id": conversation_id, "request": wanted["id"], "match": match["id"]}
    contacted = await MatchEvent.select(MatchEvent.match).where(MatchEvent.state == "contacted").order_by(MatchEvent.id)
    assert [e["match"] for e in contacted] == [None, match["id"]]


async def test_api_contact_needs_the_first_message(client) -> None:
    producer, offer = await _offer()
    buyer = await make_user("buyer")
    headers = await api_token(buyer)
    refused = await client.post("/api/v1/conversations", json={"offer": offer["ref"]}, headers=headers)
    assert refused.status_code == 400
    assert refused.json()["errors"] == [
        {"field": "message", "message": "Write the first message: a conversation starts with it."}
    ]
    await _nothing_recorded()
    created = await client.post(
        "/api/v1/conversations", json={"offer": offer["ref"], "message": "Hello from Hamburg"}, headers=headers
    )
    assert created.status_code == 201, created.text
    conversation_id = created.json()["id"]
    assert [m["body"] for m in await Message.select(Message.body)] == ["Hello from Hamburg"]
    events = await MatchEvent.select(MatchEvent.state, MatchEvent.conversation)
    assert events == [{"state": "contacted", "conversation": conversation_id}]
    thread = await client.get(f"/api/v1/conversations/{conversation_id}", headers=await api_token(producer))
    assert [m["body"] for m in thread.json()["messages"]] == ["Hello from Hamburg"]


async def test_a_refused_first_message_leaves_no_conversation(client) -> None:
    """The rate limit is checked in the same transaction: a refused message opens nothing."""
    _producer, offer = await _offer()
    _other, busy_offer = await _offer()
    buyer = await make_user("buyer")
    headers = await api_token(buyer)
    created = await client.post(
        "/api/v1/conversations", json={"offer": busy_offer["ref"], "message": "m0"}, headers=headers
    )
    thread = created.json()["id"]
    for n in range(1, 20):
        sent = await client.post(f"/api/v1/conversations/{thread}/messages", json={"body": f"m{n}"}, headers=headers)
        assert sent.status_code == 201
    refused = await client.post(
        "/api/v1/conversations", json={"offer": offer["ref"], "message": "one more"}, headers=headers
    )
    assert refused.status_code == 429
    assert await Conversation.count() == 1
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 1
    await sign_in(client, buyer)
    page = await post_form(client, f"/offers/{offer['ref']}/contact", {"body": "one more"})
    assert page.status_code == 422
    assert "You have sent 20 messages in the last 10 minutes." in page.text
    assert "one more</textarea>" in page.text
    assert await Conversation.count() == 1


async def test_bundle_contact_sends_the_message_to_every_producer(client) -> None:
    first, offer_a = await _offer(quantity="120")
    second, offer_b = await _offer(quantity="200", lat="24.6", lon="-105.1")
    buyer = await make_user("buyer")
    wanted = await make_request(buyer)
    answer = await compute_matches(wanted["ref"], _SearchDown(), locale="en")
    assert len(answer.bundles) == 1
    await sign_in(client, buyer)

    page = await client.get(f"/requests/{wanted['ref']}/bundles/1/contact")
    assert page.status_code == 200
    assert page.text.count('data-testid="compose-producer"') == 2
    assert "Send to 2 producers" in page.text
    old_button = await post_form(client, f"/requests/{wanted['ref']}/bundles/1/contact", {})
    assert old_button.headers["location"] == f"/requests/{wanted['ref']}/bundles/1/contact"
    empty = await post_form(client, f"/requests/{wanted['ref']}/bundles/1/contact", {"body": ""})
    assert empty.status_code == 422
    await _nothing_recorded()

    sent = await post_form(
        client, f"/requests/{wanted['ref']}/bundles/1/contact", {"body": "Juntos llenamos el pedido"}
    )
    assert sent.status_code == 303
    assert sent.headers["location"] == "/conversations?sent=2"
    listing = await client.get("/conversations?sent=2")
    assert "Your message was sent to 2 producers." in listing.text
    rows = await Conversation.select().order_by(Conversation.id)
    assert {r["producer_organization"] for r in rows} == {first.organization_id, second.organization_id}
    assert len({r["bundle_key"] for r in rows}) == 1 and rows[0]["bundle_key"] is not None
    messages = await Message.select(Message.conversation, Message.body).order_by(Message.conversation)
    assert messages == [{"conversation": r["id"], "body": "Juntos llenamos el pedido"} for r in rows]
    matches = {m["offer"]: m["id"] for m in await Match.select(Match.id, Match.offer)}
    contacted = await MatchEvent.select(MatchEvent.conversation, MatchEvent.match).where(
        MatchEvent.state == "contacted"
    )
    assert sorted((e["conversation"], e["match"]) for e in contacted) == sorted(
        (r["id"], matches[r["offer"]]) for r in rows
    )
    # Someone else's request cannot be used, not even to look.
    intruder = await make_user("buyer")
    await sign_in(client, intruder)
    assert (await client.get(f"/requests/{wanted['ref']}/bundles/1/contact")).status_code == 404
    refused = await post_form(client, f"/requests/{wanted['ref']}/bundles/1/contact", {"body": "x"})
    assert refused.status_code == 404
    assert await Conversation.count() == 2


async def test_producers_and_staff_cannot_use_the_compose_page(client) -> None:
    producer, offer = await _offer()
    await sign_in(client, producer)
    assert (await client.get(f"/offers/{offer['ref']}/contact")).status_code == 403
    await sign_in(client, await make_user("staff"))
    assert (await client.get(f"/offers/{offer['ref']}/contact")).status_code == 403
    client.cookies.clear()
    anonymous = await client.get(f"/offers/{offer['ref']}/contact")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/login?next=")
    await _nothing_recorded()


async def test_service_refuses_an_empty_first_message(clean_db) -> None:
    _producer, offer = await _offer()
    buyer = await make_user("buyer")
    with pytest.raises(FieldErrors) as refused:
        await messaging.start_conversation(buyer, offer["ref"], message="")
    assert refused.value.errors == {"body": "This field is required."}
    await _nothing_recorded()
    at = dt.datetime.now(dt.UTC)
    conversation_id = await messaging.start_conversation(buyer, offer["ref"], message="Hola")
    row = await Conversation.select(Conversation.created_at).where(Conversation.id == conversation_id).first()
    assert row["created_at"] >= at - dt.timedelta(seconds=1)


async def test_migration_removes_the_conversations_a_click_opened(clean_db) -> None:
    """Databases from before the rule hold conversations opened by a click; the 2026-12-06 migration removes those
    (and their 'contacted' event) and keeps every conversation that holds something."""
    from importlib import import_module

    from app.clock import now

    migration = import_module("app.messaging.piccolo_migrations.messaging_2026_12_06t10_00_00_000000")
    producer, offer = await _offer()
    buyers = [await make_user("buyer") for _ in range(5)]

    async def opened(buyer: Any, *states: str, message: str = "", reported: bool = False) -> int:
        row = Conversation(
            buyer_organization=buyer.organization_id,
            producer_organization=producer.organization_id,
            offer=offer["id"],
            created_by=buyer.id,
            reported_at=now() if reported else None,
        )
        await row.save()
        for state in ("contacted", *states):
            await MatchEvent(
                state=state, actor=buyer.id, actor_organization=buyer.organization_id, conversation=row.id
            ).save()
        if message:
            await Message(
                conversation=row.id, sender=buyer.id, sender_organization=buyer.organization_id, body=message
            ).save()
        return int(row.id)

    click = await opened(buyers[0])
    written = await opened(buyers[1], message="Hola")
    deal_only = await opened(buyers[2], "deal_closed")
    declined_only = await opened(buyers[3], "declined")
    reported = await opened(buyers[4], reported=True)

    await migration.remove_empty_conversations()
    kept = [r["id"] for r in await Conversation.select(Conversation.id).order_by(Conversation.id)]
    assert kept == [written, deal_only, declined_only, reported]
    events = await MatchEvent.select(MatchEvent.conversation, MatchEvent.state).order_by(MatchEvent.id)
    assert [(e["conversation"], e["state"]) for e in events] == [
        (written, "contacted"),
        (deal_only, "contacted"),
        (deal_only, "deal_closed"),
        (declined_only, "contacted"),
        (declined_only, "declined"),
        (reported, "contacted"),
    ]
    assert click not in kept
    # Run again (another worker, a restart): nothing more goes.
    await migration.remove_empty_conversations()
    assert await Conversation.count() == 4
