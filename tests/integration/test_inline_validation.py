"""Inline validation: a form's field errors while it is being filled, as htmx out-of-band swaps; nothing saved."""

from __future__ import annotations

import re

from app.offers.tables import Offer
from tests.factories import make_certificate, make_user, post_form, sign_in


def _errors(html: str) -> dict[str, str]:
    pattern = r'<p class="field-error" id="f-([a-z0-9_]+)-error" aria-live="polite" hx-swap-oob="true">(.*?)</p>'
    return dict(re.findall(pattern, html))


async def test_offer_fields_checked_without_saving(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)
    response = await post_form(
        client,
        "/validate/offer",
        {
            "certificate": cert["ref"],
            "category": "timber",
            "product_type": "",
            "title": "",
            "quantity": "lots",
            "unit": "m3",
            "min_order": "",
            "price_amount": "300",
            "price_currency": "",
            "available_from": "2027-05-01",
            "available_to": "2027-04-01",
        },
    )
    assert response.status_code == 200
    assert _errors(response.text) == {
        "available_from": "",
        "available_to": "The end date must be on or after the start date.",
        "category": "",
        "certificate": "",
        "min_order": "",
        # Not filled yet: "required" waits for the submit ...
        "product_type": "",
        "title": "",
        # ... but a rule that concerns an empty field because of another one shows at once.
        "price_currency": "Choose the currency of the price.",
        "price_amount": "",
        "quantity": "Enter a number.",
        "unit": "",
    }
    assert await Offer.count() == 0


async def test_fixed_field_clears_its_error_and_markup_is_escaped(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(
        client,
        "/validate/request",
        {"category": "timber", "quantity": "300", "delivery_lat": "91", "title": "<b>x</b>", "Bad-Name": "1"},
    )
    errors = _errors(response.text)
    assert errors["delivery_lat"] == "Enter a number of at most 90."
    assert errors["quantity"] == "" and errors["title"] == ""
    assert "Bad-Name" not in response.text and "<b>" not in response.text
    fixed = await post_form(client, "/validate/request", {"category": "timber", "delivery_lat": "20.6"})
    assert _errors(fixed.text)["delivery_lat"] == ""


async def test_unknown_form_and_anonymous(client) -> None:
    response = await client.get("/")  # a CSRF cookie first, as a browser would have
    assert response.status_code == 200
    anonymous = await post_form(client, "/validate/offer", {"title": "x"})
    assert anonymous.status_code == 401
    await sign_in(client, await make_user("producer"))
    assert (await post_form(client, "/validate/nothing", {"title": "x"})).status_code == 404
