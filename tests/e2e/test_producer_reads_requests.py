"""Real browser at 360 px, in Spanish: a producer follows a "request that fits my offers" card to the request, reads
what the buyer needs and why its offer fits (in its own voice, without the buyer's target price), then reaches the
same request from the conversation about it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from playwright.async_api import expect

from app.i18n import format_date, reset_locale, set_locale
from app.messaging import services as messaging
from app.messaging.tables import Conversation, MatchEvent
from tests.clock import today
from tests.e2e.conftest import NewPage
from tests.e2e.pages import LoginPage
from tests.e2e.pages_messaging import ThreadPage
from tests.e2e.pages_producer import ProducerDashboardPage, SupplierRequestPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_request, make_user

pytestmark = pytest.mark.e2e


def _spanish_date(days: int) -> str:
    token = set_locale("es_MX")
    try:
        return format_date(today() + dt.timedelta(days=days))
    finally:
        reset_locale(token)


async def _overflow(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def test_a_producer_reads_the_requests_it_is_shown(new_page: NewPage, live: Any) -> None:
    producer = await make_user("producer", email="ejido-e2e@example.org", org_name="Ejido San Pedro")
    offer = await make_offer(producer, (await make_certificate(producer))["ref"], title="Tablas de pino")
    buyer = await make_user("buyer", org_name="Muebles Tapatíos")
    wanted = await make_request(
        buyer, title="Tablas para taller", target_price_amount="987.65", target_price_currency="USD"
    )
    conversation_id = await messaging.start_conversation(
        buyer, offer["ref"], wanted["ref"], message="¿Tienen 120 m³ para febrero?"
    )

    page = await new_page(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    await page.context.add_cookies([{"name": "fm_lang", "value": "es_MX", "url": live.url}])
    login = LoginPage(page)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)

    dashboard = ProducerDashboardPage(page)
    await dashboard.open()
    await expect(dashboard.fitting_card(wanted["ref"])).to_contain_text("Tablas para taller")
    assert await _overflow(page) == 0
    request_page = await dashboard.open_fitting_request(wanted["ref"])
    assert await request_page.fact("request-quantity") == "300 m³"
    assert await request_page.fact("request-window") == f"{_spanish_date(30)} a {_spanish_date(120)}"
    assert await request_page.fact("request-claims") == "FSC 100%, FSC Mix"
    assert await request_page.fact("request-buyer") == "Muebles Tapatíos"
    await expect(request_page.by_testid("request-target-price")).to_have_count(0)
    for amount in ("987.65", "987,65"):  # the target price, however a locale writes it
        await expect(request_page.by_testid("request-detail")).not_to_contain_text(amount)
    await expect(request_page.by_testid("recommendations")).to_have_count(0)
    reasons = await request_page.fit_reasons(offer["ref"])
    assert reasons[0] == "Su oferta cubre el 40 % de los 300 m³ solicitados"
    assert reasons[3:5] == [
        "El comprador acepta su declaración FSC 100%",
        "Su certificado está en espera de verificación por el personal",
    ]
    assert len(reasons) == 6
    assert await _overflow(page) == 0

    # The conversation about the request, and back to the request from its side panel.
    await request_page.by_testid("supplier-conversation").click()
    thread = ThreadPage(page, conversation_id)
    await thread.expect_at(f"/conversations/{conversation_id}")
    await expect(thread.messages()).to_have_text(["¿Tienen 120 m³ para febrero?"])
    thread_reasons = [
        " ".join(t.split()) for t in await thread.by_testid("thread-reasons").locator("li").all_inner_texts()
    ]
    assert thread_reasons == reasons
    await thread.by_testid("thread-request").click()
    again = SupplierRequestPage(page, wanted["ref"])
    await again.expect_at(f"/requests/{wanted['ref']}")
    assert await again.fact("request-quantity") == "300 m³"
    assert await _overflow(page) == 0

    # Reading as a supplier records nothing on the buyer's side: no 'viewed' event, the one conversation unchanged.
    assert await MatchEvent.count().where(MatchEvent.state == "viewed") == 0
    rows = await Conversation.select(Conversation.producer_organization, Conversation.request.ref.as_alias("request"))
    assert rows == [{"producer_organization": producer.organization_id, "request": wanted["ref"]}]
