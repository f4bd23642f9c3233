"""Deals follow the conversation's product family, take a price per unit and show the total, warn when the price is
far from the offer's, and read back in the reader's words (dates, grouped numbers, units, no ids)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from app.analytics import services as analytics
from app.analytics.filters import parse_filters
from app.messaging import services as messaging
from app.messaging.claim_words import CLAIM_FIELDS
from app.messaging.tables import MatchEvent
from app.notifications.kinds import render_in
from tests.factories import api_token, make_certificate, make_offer, make_user, post_form, sign_in
from tests.notify_helpers import notes, set_language

DAY = dt.date(2026, 5, 12)


async def _latex_thread(**offer: Any) -> tuple[Any, Any, int]:
    """A rubber producer's latex offer (R$9.50 per kg DRC) and a buyer's thread about it."""
    producer = await make_user("producer", org_name="Seringueiros do Acre", country="BR")
    cert = await make_certificate(producer, product_types=["field_latex"])
    values = {
        "category": "latex",
        "product_type": "field_latex",
        "species": ["Hevea brasiliensis"],
        "title": "Látex de campo",
        "quantity": "8000",
        "unit": "kg_drc",
        "min_order": "",
        "price_amount": "9.50",
        "price_currency": "BRL",
        **offer,
    }
    listed = await make_offer(producer, cert["ref"], **values)
    buyer = await make_user("buyer", org_name="Hules de Veracruz")
    conversation_id = await messaging.start_conversation(buyer, listed["ref"], message="¿Tienen látex?")
    return producer, buyer, conversation_id


def _deal(**values: str) -> dict[str, str]:
    return {
        "quantity": "2000",
        "unit": "kg_drc",
        "unit_price": "9.80",
        "currency": "BRL",
        "date": DAY.isoformat(),
    } | values


async def _deals() -> list[dict[str, Any]]:
    return (
        await MatchEvent.select(MatchEvent.state, MatchEvent.details)
        .where(MatchEvent.state.is_in(["deal_closed", "corrected"]))
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )


def _options(html: str, name: str) -> list[tuple[str, bool]]:
    select = re.search(rf'<select id="f-{name}" name="{name}".*?</select>', html, re.S)
    assert select, f"no {name} select"
    return [(v, bool(sel)) for v, sel in re.findall(r'<option value="([^"]*)"( selected)?>', select.group(0))]


async def test_a_latex_deal_form_lists_latex_units_and_starts_from_the_offer(client) -> None:
    _producer, buyer, thread = await _latex_thread()
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{thread}")
    assert page.status_code == 200
    form = page.text[page.text.index('data-testid="deal-form"') :]
    assert _options(form, "unit") == [("kg_drc", True), ("t_drc", False), ("kg_latex", False)]
    assert ("BRL", True) in _options(form, "currency")
    assert 'id="f-unit_price" name="unit_price"' in form
    assert "The price of one unit, not the total. The offer asks R$9.50 per kg DRC." in form
    assert 'id="f-drc_percent"' in form  # for wet latex
    assert "Total price" not in page.text and "board feet" not in form


async def test_a_unit_of_another_family_is_refused_with_a_field_error(client) -> None:
    _producer, buyer, thread = await _latex_thread()
    await sign_in(client, buyer)
    refused = await post_form(client, f"/conversations/{thread}/deal", _deal(unit="m3"))
    assert refused.status_code == 422
    message = "m³ is not a unit for natural rubber latex. Choose one of: kg DRC, t DRC, kg wet latex."
    assert f'<p class="field-error" id="f-unit-error" aria-live="polite">{message}</p>' in refused.text
    assert '<details data-testid="deal-section" open>' in refused.text
    api = await client.post(
        f"/api/v1/conversations/{thread}/deals", json=_deal(unit="bf"), headers=await api_token(buyer)
    )
    assert api.status_code == 400
    assert api.json()["errors"] == [
        {"field": "unit", "message": message.replace("m³", "board feet")},
    ]
    wet_without_drc = await post_form(client, f"/conversations/{thread}/deal", _deal(unit="kg_latex"))
    assert wet_without_drc.status_code == 422
    assert 'id="f-drc_percent-error" aria-live="polite">This field is required.</p>' in wet_without_drc.text
    assert await _deals() == []


async def test_the_price_is_per_unit_and_the_total_is_stored_for_the_figures(client) -> None:
    producer, buyer, thread = await _latex_thread()
    await sign_in(client, buyer)
    recorded = await post_form(client, f"/conversations/{thread}/deal", _deal())
    assert recorded.status_code == 303
    wet = await client.post(
        f"/api/v1/conversations/{thread}/deals",
        json=_deal(quantity="3000", unit="kg_latex", drc_percent="35", unit_price="3.40"),
        headers=await api_token(buyer),
    )
    assert wet.status_code == 201, wet.text
    # The FSC claim fields stored beside the figures are asserted in test_deal_claims.py.
    assert [{k: v for k, v in d["details"].items() if k not in CLAIM_FIELDS} for d in await _deals()] == [
        {
            "quantity": 2000.0,
            "unit": "kg_drc",
            "unit_price": "9.80",
            "price": "19600.00",
            "currency": "BRL",
            "date": DAY.isoformat(),
        },
        {
            "quantity": 3000.0,
            "unit": "kg_latex",
            "drc_percent": 35.0,
            "unit_price": "3.40",
            "price": "10200.00",
            "currency": "BRL",
            "date": DAY.isoformat(),
        },
    ]
    assert wet.json()["details"]["price"] == "10200.00"
    # The program's figures: value is the total per currency, volume in kg DRC with the deal's own DRC.
    staff = await make_user("staff")
    summary = await analytics.summary(staff, parse_filters({"date_from": "2026-05-01", "date_to": "2026-05-31"}, set()))
    assert [(v.currency, v.deals, v.value) for v in summary.deals.value] == [("BRL", 2, Decimal("29800.00"))]
    assert [(q.category, q.quantity) for q in summary.deals.volume] == [("latex", 3050.0)]
    del producer


async def test_a_price_far_from_the_offers_is_asked_about_before_it_is_recorded(client) -> None:
    _producer, buyer, thread = await _latex_thread()
    await sign_in(client, buyer)
    # The live preview (htmx) shows the total while typing, and the warning when the total went where the price goes.
    preview = await post_form(client, f"/conversations/{thread}/deal/preview", _deal())
    assert preview.status_code == 200
    assert '<p data-testid="deal-total"><strong>Total: R$19,600.00</strong></p>' in preview.text
    assert 'data-testid="deal-price-warning"' not in preview.text
    slip = _deal(unit_price="19600")
    preview = await post_form(client, f"/conversations/{thread}/deal/preview", slip)
    warning = (
        "This price per unit is 2,063.2 times the offer&#39;s (R$9.50 per kg DRC). Check that you entered the price "
        "per kg DRC, not the total."
    )
    assert warning in preview.text and 'name="accept_price"' in preview.text
    assert await _deals() == []
    # Without JavaScript the submit asks the same, keeping what was typed; ticking the box records it.
    asked = await post_form(client, f"/conversations/{thread}/deal", slip)
    assert asked.status_code == 422
    assert f'id="f-unit_price-error" aria-live="polite">{warning}</p>' in asked.text
    assert '<input id="f-unit_price" name="unit_price" type="text" value="19600" required' in asked.text
    assert '<p data-testid="deal-total"><strong>Total: R$39,200,000.00</strong></p>' in asked.text
    assert await _deals() == []
    # Wet latex is compared per kg of dry rubber: R$3.40 a wet kg at 35 % is R$9.71 a kg DRC, close to the offer's.
    wet = _deal(quantity="3000", unit="kg_latex", drc_percent="35", unit_price="3.40")
    assert (
        'data-testid="deal-price-warning"'
        not in (await post_form(client, f"/conversations/{thread}/deal/preview", wet)).text
    )
    wet_at_dry_price = _deal(quantity="3000", unit="kg_latex", drc_percent="35", unit_price="9.50")
    assert "2.9 times" in (await post_form(client, f"/conversations/{thread}/deal/preview", wet_at_dry_price)).text
    # A tonne is priced per tonne: R$9,600 a t DRC is R$9.60 a kg DRC, no warning.
    tonne = _deal(quantity="2", unit="t_drc", unit_price="9600")
    assert (
        'data-testid="deal-price-warning"'
        not in (await post_form(client, f"/conversations/{thread}/deal/preview", tonne)).text
    )
    confirmed = await post_form(client, f"/conversations/{thread}/deal", {**slip, "accept_price": "1"})
    assert confirmed.status_code == 303
    assert [d["details"]["price"] for d in await _deals()] == ["39200000.00"]


async def test_history_and_notifications_read_in_the_readers_words(client) -> None:
    producer, buyer, thread = await _latex_thread()
    await set_language(producer, "es_MX")
    await sign_in(client, buyer)
    await post_form(client, f"/conversations/{thread}/deal", _deal(quantity="12500", unit_price="9.75"))
    deal = (await MatchEvent.select(MatchEvent.id).where(MatchEvent.state == "deal_closed").first())["id"]
    await sign_in(client, producer)
    confirmed = await post_form(client, f"/conversations/{thread}/events/{deal}/confirm", {})
    assert confirmed.status_code == 303
    page = (await client.get(f"/conversations/{thread}")).text
    terms = re.findall(r'<span data-testid="event-terms">([^<]*)</span>', page)
    assert terms == [
        "12,500 kg CCS a BRL9.75 por kg CCS, BRL121,875.00 en total (trato del 12 may 2026)",
        "confirma el trato del 12 may 2026 (12,500 kg CCS)",
    ]
    assert "2026-05-12" not in page.split('data-testid="events"')[1].split("</section>")[0]
    assert f"entry {deal}" not in page and "entrada" not in page
    # The notification the producer got reads the same way, in each reader's language.
    (note,) = await notes(producer, "deal_recorded")
    assert render_in("es_MX", "deal_recorded", note["params"])[1] == (
        "12,500 kg CCS a BRL9.75 por kg CCS, BRL121,875.00 en total (trato del 12 may 2026)."
    )
    assert render_in("en", "deal_recorded", note["params"])[1] == (
        "12,500 kg DRC at R$9.75 per kg DRC, R$121,875.00 in all (deal of May 12, 2026)."
    )


async def test_deals_recorded_before_the_unit_price_read_with_it_derived(client) -> None:
    """A deal event from before 2026-12-06 holds the total as ``price`` and no unit price."""
    producer, buyer, thread = await _latex_thread()
    legacy = MatchEvent(
        state="deal_closed",
        actor=buyer.id,
        actor_organization=buyer.organization_id,
        conversation=thread,
        details={"quantity": 2000.0, "unit": "bf", "price": "1800.50", "currency": "USD", "date": DAY.isoformat()},
    )
    await legacy.save()
    await sign_in(client, producer)
    page = (await client.get(f"/conversations/{thread}")).text
    assert (
        '<span data-testid="event-terms">2,000 board feet at $0.90025 per board foot, $1,800.50 in all '
        "(deal of May 12, 2026)</span>"
    ) in page
    staff = await make_user("staff")
    await sign_in(client, staff)
    form = (await client.get(f"/conversations/{thread}")).text
    form = form[form.index('data-testid="correct-form"') :]
    assert 'name="unit_price" type="text" value="0.90025"' in form
    corrected = await post_form(
        client,
        f"/conversations/{thread}/events/{legacy.id}/correct",
        {**_deal(quantity="2000", unit_price="9.70"), "note": "Era látex, no madera"},
    )
    assert corrected.status_code == 303
    page = (await client.get(f"/conversations/{thread}")).text
    assert (
        "2,000 kg DRC at R$9.70 per kg DRC, R$19,400.00 in all (deal of May 12, 2026) · corrects the deal of "
        "May 12, 2026"
    ) in page
