"""Real browser: from a recommendation to a confirmed deal, and a blocked organisation that cannot write."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.messaging.tables import Conversation, MatchEvent, Message
from search_index import create_backend
from tests.clock import today
from tests.e2e.pages import LoginPage
from tests.e2e.pages_messaging import ComposePage, RequestDetailPage, ThreadPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_request, make_user

pytestmark = pytest.mark.e2e


async def _sync_server_index(live: Any) -> None:
    """What the server's sync worker does: bring its search index in step with the database."""
    backend = create_backend(directory=live.var_dir / "search")
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await backend.close()


async def _signed_in(new_page: Any, email: str) -> Any:
    page = await new_page(viewport={"width": 390, "height": 844})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    return page


async def test_recommendation_to_confirmed_deal(new_page: Any, live: Any) -> None:
    producer = await make_user("producer", email="e2e-ejido@example.org", org_name="Ejido San Pedro")
    offer = await make_offer(
        producer, (await make_certificate(producer))["ref"], title="Tablas de pino", quantity="320"
    )
    buyer = await make_user("buyer", email="e2e-buyer@example.org", org_name="Muebles Jalisco")
    wanted = await make_request(buyer, title="Pino para Guadalajara", quantity="300")
    await _sync_server_index(live)

    buyer_page = await _signed_in(new_page, buyer.email)
    detail = RequestDetailPage(buyer_page, wanted["ref"])
    await detail.open()
    compose = await detail.contact(offer["ref"])
    assert await Conversation.count() == 0  # a click is not a contact
    conversation_id = await compose.send("¿Tienen 300 m3 para mayo?")
    buyer_thread = ThreadPage(buyer_page, conversation_id)
    await expect(buyer_thread.messages()).to_have_text(["¿Tienen 300 m3 para mayo?"])

    producer_page = await _signed_in(new_page, producer.email)
    producer_thread = ThreadPage(producer_page, conversation_id)
    await producer_thread.open()
    await producer_thread.send("Sí, 320 m3 secados al horno.")
    await expect(producer_thread.messages()).to_have_text(["¿Tienen 300 m3 para mayo?", "Sí, 320 m3 secados al horno."])

    await buyer_thread.open()
    await buyer_thread.record_deal(
        quantity="300", unit="m3", unit_price="350", currency="USD", date=today().isoformat()
    )
    await producer_thread.open()
    await producer_thread.confirm_deal()

    # The program's dashboard counts the deal for the producer's country, confirmed.
    staff = await make_user("staff", email="e2e-staff@example.org")
    staff_page = await _signed_in(new_page, staff.email)
    await staff_page.goto("/staff/analytics")
    await expect(staff_page.get_by_test_id("fig-deals").locator("strong")).to_have_text("1")
    mexico = (
        staff_page.get_by_test_id("table-deals_by_country")
        .locator("tbody tr")
        .filter(has=staff_page.locator("th", has_text="Mexico"))
    )
    await expect(mexico.locator("td")).to_have_text(["1", "1"])

    events = (
        await MatchEvent.select(MatchEvent.state, MatchEvent.actor, MatchEvent.details)
        .where(MatchEvent.conversation == conversation_id)
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    assert [(e["state"], e["actor"]) for e in events] == [
        ("contacted", buyer.id),
        ("replied", producer.id),
        ("deal_closed", buyer.id),
        ("deal_confirmed", producer.id),
    ]
    terms = ("quantity", "unit", "unit_price", "price", "currency", "date")
    assert {key: events[2]["details"][key] for key in terms} == {
        "quantity": 300.0,
        "unit": "m3",
        "unit_price": "350.00",
        "price": "105000.00",
        "currency": "USD",
        "date": today().isoformat(),
    }
    # The FSC claim of the deal comes from the offer (tests/integration/test_deal_claims.py checks each field).
    assert events[2]["details"]["claim"] == offer["claim"]
    viewed = await MatchEvent.count().where(
        (MatchEvent.state == "viewed") & (MatchEvent.match.offer.ref == offer["ref"])
    )
    assert viewed == 1


async def test_blocked_organisation_cannot_send(new_page: Any, live: Any) -> None:
    producer = await make_user("producer", email="e2e-block-producer@example.org")
    offer = await make_offer(producer, (await make_certificate(producer))["ref"])
    buyer = await make_user("buyer", email="e2e-block-buyer@example.org")

    buyer_page = await _signed_in(new_page, buyer.email)
    await buyer_page.goto(f"/offers/{offer['ref']}")
    await buyer_page.get_by_test_id("contact-supplier").click()
    await expect(buyer_page).to_have_url(re.compile(rf".*/offers/{offer['ref']}/contact$"))
    conversation_id = await ComposePage(buyer_page).send("Hola, ¿precio por m3?")
    buyer_thread = ThreadPage(buyer_page, conversation_id)
    await expect(buyer_thread.messages()).to_have_count(1)

    producer_page = await _signed_in(new_page, producer.email)
    producer_thread = ThreadPage(producer_page, conversation_id)
    await producer_thread.open()
    await producer_thread.block_other_side()
    await expect(producer_thread.by_testid("message-form")).to_have_count(0)

    # The buyer's page was loaded before the block: the server refuses the send and says why.
    await buyer_thread.send("¿Sigue disponible?")
    await expect(buyer_thread.by_testid("notice-blocked")).to_contain_text("does not accept messages from yours")
    await expect(buyer_thread.by_testid("message-form")).to_have_count(0)
    assert [m["body"] for m in await Message.select(Message.body).where(Message.conversation == conversation_id)] == [
        "Hola, ¿precio por m3?"
    ]
