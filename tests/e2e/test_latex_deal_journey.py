"""Real browser, in Spanish: a buyer contacts a latex supplier (nothing is recorded until the first message is sent),
records a deal in kg of dry rubber with a price per unit and sees the total, the producer confirms it, and the
history reads in words. Ends by checking the rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts.tables import User
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.messaging.claim_words import CLAIM_FIELDS
from app.messaging.tables import Conversation, MatchEvent, Message
from app.notifications.tables import Notification
from search_index import create_backend
from tests.e2e.pages import LoginPage
from tests.e2e.pages_messaging import RequestDetailPage, ThreadPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_request, make_user
from tests.notify_helpers import delivered

pytestmark = pytest.mark.e2e
DAY = dt.date(2026, 11, 20)


async def _signed_in(new_page: Any, email: str, width: int = 390) -> Any:
    page = await new_page(viewport={"width": width, "height": 844})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    return page


async def _latex_world(live: Any) -> tuple[Any, Any, dict[str, Any], dict[str, Any]]:
    producer = await make_user("producer", email="e2e-hule@example.org", org_name="Ejido Hulero Uxpanapa")
    cert = await make_certificate(producer, product_types=["field_latex"])
    offer = await make_offer(
        producer,
        cert["ref"],
        category="latex",
        product_type="field_latex",
        species=["Hevea brasiliensis"],
        title="Látex de campo, Uxpanapa",
        quantity="8000",
        unit="kg_drc",
        min_order="",
        lat="17.2",
        lon="-94.6",
        price_amount="9.50",
        price_currency="BRL",
    )
    buyer = await make_user("buyer", email="e2e-guantes@example.org", org_name="Guantes de Jalisco")
    wanted = await make_request(
        buyer,
        category="latex",
        title="Látex para guantes",
        product_types=["field_latex"],
        species=[],
        accepted_claims=["FSC 100%"],
        quantity="5000",
        unit="kg_drc",
        min_per_supplier="",
        max_distance_km="",
    )
    for user in (producer, buyer):
        await User.update({User.locale: "es_MX"}).where(User.id == user.id)
    backend = create_backend(directory=live.var_dir / "search")
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await backend.close()
    return producer, buyer, offer, wanted


async def test_latex_contact_deal_in_kg_drc_confirmed_and_read_in_spanish(new_page: Any, live: Any, shots: Any) -> None:
    producer, buyer, offer, wanted = await _latex_world(live)
    buyer_page = await _signed_in(new_page, buyer.email)
    detail = RequestDetailPage(buyer_page, wanted["ref"])
    await detail.open()
    compose = await detail.contact(offer["ref"])
    await expect(compose.by_testid("compose-title")).to_have_text("Mensaje para Ejido Hulero Uxpanapa")
    await buyer_page.screenshot(path=str(shots / "latex-compose-360.png"), full_page=True)
    # Looking at the compose page records nothing: no conversation, no contact for the staff figures.
    assert await Conversation.count() == 0
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 0

    conversation_id = await compose.send("Buen día, ¿tienen 2,000 kg CCS para diciembre?")
    thread = ThreadPage(buyer_page, conversation_id)
    await expect(thread.messages()).to_have_text(["Buen día, ¿tienen 2,000 kg CCS para diciembre?"])
    assert await Conversation.count() == 1
    assert await MatchEvent.count().where(MatchEvent.state == "contacted") == 1

    # The deal form offers latex units only and starts from the offer's unit and currency.
    await thread.by_testid("deal-section").locator("summary").click()
    units = await thread.field("unit").locator("option").all_inner_texts()
    assert units == ["kg CCS", "t CCS", "kg de látex húmedo"]
    await expect(thread.field("unit")).to_have_value("kg_drc")
    await expect(thread.field("currency")).to_have_value("BRL")
    await thread.fill(quantity="2000", unit_price="9.80", date=DAY.isoformat())
    # The total is worked out while typing.
    await expect(thread.deal_total()).to_contain_text("19,600.00")
    await buyer_page.screenshot(path=str(shots / "latex-deal-form-360.png"), full_page=True)
    await thread.by_testid("record-deal").click()
    await expect(buyer_page.locator('[data-testid="event"][data-state="deal_closed"]')).to_have_count(1)

    await delivered()  # the worker's pass (this test server runs none): the producer is told
    producer_page = await _signed_in(new_page, producer.email, width=1280)
    producer_thread = ThreadPage(producer_page, conversation_id)
    await producer_thread.open()
    await producer_thread.confirm_deal()
    await expect(producer_thread.event_terms()).to_have_text(
        [
            "2,000 kg CCS a BRL9.80 por kg CCS, BRL19,600.00 en total (trato del 20 nov 2026)",
            "confirma el trato del 20 nov 2026 (2,000 kg CCS)",
        ]
    )
    await producer_page.screenshot(path=str(shots / "latex-history-1280.png"), full_page=True)
    # Opening the thread read the producer's notifications of it (the buyer's message, the deal to confirm, now
    # confirmed); what the new request told the producer stays unread.
    told = (
        await Notification.select(Notification.kind, Notification.read_at)
        .where(Notification.recipient == producer.id)
        .order_by(Notification.id)
    )
    assert [(n["kind"], n["read_at"] is None) for n in told] == [
        ("request_fit", True),
        ("message", False),
        ("deal_recorded", False),
    ]

    conversation = await Conversation.select().first()
    assert (
        conversation["buyer_organization"],
        conversation["producer_organization"],
        conversation["offer"],
        conversation["request"],
    ) == (buyer.organization_id, producer.organization_id, offer["id"], wanted["id"])
    messages = await Message.select(Message.sender, Message.body, Message.created_at)
    assert [(m["sender"], m["body"]) for m in messages] == [
        (buyer.id, "Buen día, ¿tienen 2,000 kg CCS para diciembre?")
    ]
    assert messages[0]["created_at"] == conversation["created_at"]
    events = (
        await MatchEvent.select(MatchEvent.id, MatchEvent.state, MatchEvent.actor, MatchEvent.details)
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    assert [(e["state"], e["actor"]) for e in events] == [
        ("contacted", buyer.id),
        ("deal_closed", buyer.id),
        ("deal_confirmed", producer.id),
    ]
    # The FSC claim fields stored beside the figures are asserted in test_deal_claims.py.
    assert {k: v for k, v in events[1]["details"].items() if k not in CLAIM_FIELDS} == {
        "quantity": 2000.0,
        "unit": "kg_drc",
        "unit_price": "9.80",
        "price": "19600.00",
        "currency": "BRL",
        "date": DAY.isoformat(),
    }
    assert events[2]["details"]["event_id"] == events[1]["id"]


async def test_a_total_typed_as_the_price_is_questioned_without_javascript(new_page: Any, live: Any) -> None:
    _producer, buyer, offer, _wanted = await _latex_world(live)
    page = await new_page(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    login = LoginPage(page, js=False)
    await login.open()
    await login.sign_in(buyer.email, PASSWORD)
    await page.goto(f"/offers/{offer['ref']}")
    await page.get_by_test_id("contact-supplier").click()
    await page.get_by_test_id("field-body").fill("Hola")
    await page.get_by_test_id("send-message").click()
    conversation_id = int(page.url.split("/conversations/")[1].split("#")[0])
    thread = ThreadPage(page, conversation_id)
    await thread.fill_deal(quantity="2000", unit=None, unit_price="19600", currency=None, date=DAY.isoformat())
    await thread.by_testid("record-deal").click()
    await expect(thread.by_testid("deal-price-warning")).to_be_visible()
    assert "Revise que escribió el precio por kg CCS, no el total." in await thread.error_for("unit_price")
    await expect(thread.deal_total()).to_contain_text("39,200,000.00")
    assert await MatchEvent.count().where(MatchEvent.state == "deal_closed") == 0
    await expect(thread.field("unit_price")).to_have_value("19600")
    await thread.field("unit_price").fill("9.80")
    await thread.by_testid("record-deal").click()
    await expect(page.locator('[data-testid="event"][data-state="deal_closed"]')).to_have_count(1)
    details = (
        await MatchEvent.select(MatchEvent.details).where(MatchEvent.state == "deal_closed").output(load_json=True)
    )[0]["details"]
    assert (details["unit_price"], details["price"]) == ("9.80", "19600.00")
