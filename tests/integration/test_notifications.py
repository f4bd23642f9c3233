"""The notification centre, the header badge, preferences and the conversation triggers (messages and deals)."""

from __future__ import annotations

from typing import Any

from app.accounts.tables import User
from app.i18n import format_date, reset_locale, set_locale
from app.notifications.tables import EmailOutbox, Notification, NotificationPreference, SavedSearch
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_user, post_form, sign_in
from tests.notify_helpers import OFF, all_notes, colleague, delivered, mails, notes, set_language


async def _thread(client: Any) -> tuple[Any, Any, int]:
    """A producer with an offer and a buyer who contacted it (signed in as the buyer); returns the thread id. The
    first message's notification is removed, so each test starts from an empty notification centre."""
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(client, f"/offers/{offer['ref']}/contact", {"body": "Hello"})
    assert response.status_code == 303
    await delivered()  # the first message's notification, before the slate is wiped
    await EmailOutbox.delete(force=True)
    await Notification.delete(force=True)
    return producer, buyer, int(response.headers["location"].rsplit("/", 1)[1].split("#")[0])


async def test_message_notifies_the_other_side_per_their_choices(client) -> None:
    producer, buyer, thread = await _thread(client)
    await set_language(producer, "pt_BR")
    app_only = await colleague(producer, prefs={"message": {"in_app": True, "email": False}})
    mail_only = await colleague(producer, locale="es_MX", prefs={"message": {"in_app": False, "email": True}})
    opted_out = await colleague(producer, prefs={"message": OFF})
    buyer_colleague = await colleague(buyer)

    response = await post_form(client, f"/conversations/{thread}/messages", {"body": "Do you have 40 m3 in May?"})
    assert response.status_code == 303

    got = await all_notes()
    assert [(r, k) for r, k, _key in got] == sorted(
        [(producer.id, "message"), (app_only.id, "message"), (mail_only.id, "message")]
    )
    assert await notes(opted_out) == [] and await notes(buyer) == [] and await notes(buyer_colleague) == []
    note = (await notes(producer))[0]
    assert note["params"] == {"org": buyer.organization_name, "excerpt": "Do you have 40 m3 in May?"}
    assert note["link"] == f"/conversations/{thread}#latest"
    assert (await notes(mail_only))[0]["in_app"] is False
    queued = await mails()
    assert sorted((m["to_address"], m["locale"]) for m in queued) == sorted(
        [(producer.email, "pt_BR"), (mail_only.email, "es_MX")]
    )
    assert all(m["status"] == "pending" and m["attempts"] == 0 for m in queued)
    subjects = {m["locale"]: m["subject"] for m in queued}
    assert subjects == {
        "pt_BR": f"Nova mensagem de {buyer.organization_name}",
        "es_MX": f"Nuevo mensaje de {buyer.organization_name}",
    }
    assert f"http://127.0.0.1:8000/conversations/{thread}#latest" in queued[0]["body"]
    assert len({m["message_id"] for m in queued}) == 2

    # A reply notifies the buyer's side, not the producer's.
    headers = await api_token(producer)
    reply = await client.post(f"/api/v1/conversations/{thread}/messages", json={"body": "Yes."}, headers=headers)
    assert reply.status_code == 201
    assert [n["kind"] for n in await notes(buyer)] == ["message"]
    assert [n["kind"] for n in await notes(buyer_colleague)] == ["message"]
    assert len(await notes(producer)) == 1


async def test_deal_recorded_confirmed_and_declined_notify_the_other_side(client) -> None:
    producer, buyer, thread = await _thread(client)
    opted_out = await colleague(producer, prefs={"deal_recorded": OFF})
    portuguese = await colleague(producer, locale="pt_BR")
    deal = {"quantity": "40", "unit": "m3", "unit_price": "350", "currency": "USD", "date": today().isoformat()}
    response = await post_form(client, f"/conversations/{thread}/deal", deal)
    assert response.status_code == 303
    assert await notes(opted_out) == []
    assert [n["kind"] for n in await notes(portuguese)] == ["deal_recorded"]
    (pt_mail,) = await mails(portuguese.email)
    assert pt_mail["locale"] == "pt_BR"
    token = set_locale("pt_BR")
    pt_date = format_date(today())
    reset_locale(token)
    # The sentence, the unit in words, grouped numbers, money and the date in Portuguese.
    assert f"40 m³ a US$\xa0350,00 por m³, US$\xa014.000,00 no total (negócio de {pt_date})." in pt_mail["body"]
    assert pt_date != format_date(today())
    recorded = await notes(producer, "deal_recorded")
    assert len(recorded) == 1
    assert recorded[0]["params"] == {
        "org": buyer.organization_name,
        "quantity": 40.0,
        "unit": "m3",
        "unit_price": "350.00",
        "price": "14000.00",
        "currency": "USD",
        "date": today().isoformat(),
    }
    assert await notes(buyer) == []
    event_id = int(recorded[0]["dedupe_key"].rsplit(":", 1)[1])

    await sign_in(client, producer)
    response = await post_form(client, f"/conversations/{thread}/events/{event_id}/confirm", {})
    assert response.status_code == 303
    assert [n["kind"] for n in await notes(buyer)] == ["deal_confirmed"]
    response = await post_form(client, f"/conversations/{thread}/decline", {"reason": "price", "text": "Too low"})
    assert response.status_code == 303
    assert [n["kind"] for n in await notes(buyer)] == ["deal_confirmed", "deal_declined"]
    declined = (await notes(buyer, "deal_declined"))[0]
    assert declined["params"] == {"org": producer.organization_name, "reason": "price", "text": "Too low"}
    assert [n["kind"] for n in await notes(producer)] == ["deal_recorded"]
    assert await notes(opted_out) == [] and [n["kind"] for n in await notes(portuguese)] == ["deal_recorded"]
    # Each one was e-mailed (deal kinds default to e-mail) exactly once.
    assert sorted(m["to_address"] for m in await mails()) == sorted(
        [producer.email, portuguese.email, buyer.email, buyer.email]
    )


async def test_centre_lists_and_marks_read_without_javascript(client) -> None:
    producer, buyer, thread = await _thread(client)
    for text in ("one", "two", "three"):
        await post_form(client, f"/conversations/{thread}/messages", {"body": text})
    await delivered()
    await sign_in(client, producer)
    page = await client.get("/notifications")
    assert page.status_code == 200
    assert page.text.count('data-testid="notification"') == 3
    assert "3 unread notifications" in page.text
    first = (await notes(producer))[0]["id"]
    response = await post_form(client, f"/notifications/{first}/read", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/notifications"
    read = {n["id"]: n["read_at"] is not None for n in await notes(producer)}
    assert sum(read.values()) == 1 and read[first] is True
    unread_page = await client.get("/notifications?unread=1")
    assert unread_page.text.count('data-testid="notification"') == 2
    response = await post_form(client, "/notifications/read-all", {})
    assert response.status_code == 303
    assert all(n["read_at"] is not None for n in await notes(producer))
    assert "No unread notifications." in (await client.get("/notifications?unread=1")).text


async def test_htmx_mark_read_returns_the_list_and_refreshes_the_badge(client) -> None:
    producer, buyer, thread = await _thread(client)
    await post_form(client, f"/conversations/{thread}/messages", {"body": "hello"})
    await sign_in(client, producer)
    note = (await notes(producer))[0]
    token = client.cookies.get("fm_csrf")
    response = await client.post(
        f"/notifications/{note['id']}/read", headers={"HX-Request": "true", "x-csrftoken": token}
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == '{"fm-notifications":{}}'
    assert "<html" not in response.text and "0 unread notifications" in response.text


async def test_only_the_recipient_sees_or_marks_a_notification(client) -> None:
    producer, buyer, thread = await _thread(client)
    await post_form(client, f"/conversations/{thread}/messages", {"body": "private"})
    note = (await notes(producer))[0]
    # The buyer (signed in) cannot mark the producer's notification, by form or API.
    response = await post_form(client, f"/notifications/{note['id']}/read", {})
    assert response.status_code == 404
    headers = await api_token(buyer)
    response = await client.post("/api/v1/notifications/mark-read", json={"ids": [note["id"]]}, headers=headers)
    assert response.status_code == 404
    listing = await client.get("/api/v1/notifications", headers=headers)
    assert listing.json()["items"] == [] and listing.json()["total"] == 0
    assert "private" not in (await client.get("/notifications")).text
    assert (await notes(producer))[0]["read_at"] is None
    # Anonymous: sign in first.
    client.cookies.clear()
    assert (await client.get("/api/v1/notifications")).status_code == 401
    response = await client.get("/notifications")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_api_lists_in_the_callers_language_and_marks_read(client) -> None:
    producer, buyer, thread = await _thread(client)
    await post_form(client, f"/conversations/{thread}/messages", {"body": "first"})
    await post_form(client, f"/conversations/{thread}/messages", {"body": "second"})
    await delivered()
    headers = await api_token(producer)
    response = await client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 2 and body["unread"] == 2 and body["page"] == 1
    assert [i["body"] for i in body["items"]] == ["second", "first"]
    assert body["items"][0]["title"] == f"New message from {buyer.organization_name}"
    assert body["items"][0]["read_at"] is None
    first_id = body["items"][1]["id"]
    response = await client.post("/api/v1/notifications/mark-read", json={"ids": [first_id]}, headers=headers)
    assert response.status_code == 200 and response.json() == {"unread": 1}
    unread = (await client.get("/api/v1/notifications?unread=true", headers=headers)).json()
    assert [i["body"] for i in unread["items"]] == ["second"]
    response = await client.post("/api/v1/notifications/mark-read", json={}, headers=headers)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "ids"
    response = await client.post("/api/v1/notifications/mark-read", json={"ids": list(range(1, 502))}, headers=headers)
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "ids"
    response = await client.post("/api/v1/notifications/mark-read", json={"all": True}, headers=headers)
    assert response.json() == {"unread": 0}


async def test_badge_only_for_signed_in_users(client) -> None:
    anonymous = await client.get("/")
    assert "/notifications/badge" not in anonymous.text
    empty = await client.get("/notifications/badge")
    assert empty.status_code == 200 and empty.text == ""
    producer, buyer, thread = await _thread(client)
    await post_form(client, f"/conversations/{thread}/messages", {"body": "hello"})
    await post_form(client, f"/conversations/{thread}/messages", {"body": "again"})
    await delivered()
    page = await client.get("/dashboard")
    assert 'hx-get="/notifications/badge"' in page.text
    # The buyer has none: nothing beside "Notifications", and the phone menu's count (out of band) emptied.
    assert (await client.get("/notifications/badge")).text == '<span id="menu-badge" hx-swap-oob="innerHTML"></span>'
    await sign_in(client, producer)
    badge = await client.get("/notifications/badge")
    assert 'data-testid="notification-badge-count">2</span>' in badge.text
    assert 'data-testid="menu-badge-count">2</span>' in badge.text


async def test_preferences_form_saves_choices_and_language(client) -> None:
    producer, buyer, thread = await _thread(client)
    page = await client.get("/account")
    assert 'data-testid="pref-offer_match-in_app"' in page.text
    assert 'data-testid="pref-request_fit-in_app"' not in page.text  # a producer-only kind
    form = {"message__email": "1", "offer_match__in_app": "1", "offer_match__email": "1", "locale": "pt_BR"}
    response = await post_form(client, "/account/notifications", form)
    assert response.status_code == 303
    stored = (
        await NotificationPreference.select(NotificationPreference.choices)
        .where(NotificationPreference.user == buyer.id)
        .output(load_json=True)
        .first()
    )
    assert stored["choices"]["message"] == {"in_app": False, "email": True}
    assert stored["choices"]["offer_match"] == {"in_app": True, "email": True}
    assert stored["choices"]["deal_recorded"] == {"in_app": False, "email": False}
    assert (await User.select(User.locale).where(User.id == buyer.id).first())["locale"] == "pt_BR"
    # The producer's reply now reaches the buyer by e-mail only, in Portuguese.
    await api_reply(client, producer, thread, "Sim")
    assert [(n["kind"], n["in_app"]) for n in await notes(buyer)] == [("message", False)]
    assert [(m["to_address"], m["locale"]) for m in await mails(buyer.email)] == [(buyer.email, "pt_BR")]
    assert (await client.get("/notifications")).text.count('data-testid="notification"') == 0

    response = await post_form(client, "/account/notifications", {"locale": "xx"})
    assert response.status_code == 422
    assert 'id="f-locale-error"' in response.text
    assert (await User.select(User.locale).where(User.id == buyer.id).first())["locale"] == "pt_BR"


async def api_reply(client: Any, producer: Any, thread: int, text: str) -> None:
    headers = await api_token(producer)
    response = await client.post(f"/api/v1/conversations/{thread}/messages", json={"body": text}, headers=headers)
    assert response.status_code == 201


async def test_saved_searches_save_list_delete(client) -> None:
    buyer = await make_user("buyer")
    other = await make_user("buyer")
    await sign_in(client, buyer)
    page = await client.get("/search?q=pino&claim=FSC+100%25")
    assert 'data-testid="save-search-form"' in page.text
    response = await post_form(client, "/search/saved", {"query": "q=pino&claim=FSC+100%25&page=3", "name": "Pine"})
    assert response.status_code == 303
    assert response.headers["location"] == "/search?q=pino&claim=FSC+100%25&saved=1"
    # htmx sends the search form's current fields: they win over the hidden query.
    response = await post_form(client, "/search/saved", {"query": "q=pino", "q": "caoba", "category": "timber"})
    assert response.status_code == 303
    rows = await SavedSearch.select(SavedSearch.user, SavedSearch.name, SavedSearch.query).order_by(SavedSearch.id)
    assert rows == [
        {"user": buyer.id, "name": "Pine", "query": "q=pino&claim=FSC+100%25"},
        {"user": buyer.id, "name": "q=caoba&category=timber", "query": "q=caoba&category=timber"},
    ]
    response = await post_form(client, "/search/saved", {"query": ""})
    assert response.status_code == 303 and response.headers["location"] == "/search?save_error=empty"
    assert await SavedSearch.count() == 2
    account = await client.get("/account")
    assert account.text.count('data-testid="saved-search"') == 2
    first = (await SavedSearch.select(SavedSearch.id).order_by(SavedSearch.id).first())["id"]
    await sign_in(client, other)
    assert (await post_form(client, f"/account/saved-searches/{first}/delete", {})).status_code == 404
    await sign_in(client, buyer)
    assert (await post_form(client, f"/account/saved-searches/{first}/delete", {})).status_code == 303
    assert await SavedSearch.count() == 1
    assert await Notification.count() == 0 and await EmailOutbox.count() == 0
