"""Real browser: a field's error shows when the user leaves it, before any submit, and clears once fixed."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.offers.tables import Offer
from tests.e2e.pages import LoginPage, OfferFormPage
from tests.factories import PASSWORD, make_certificate, make_user

pytestmark = pytest.mark.e2e


async def test_offer_form_checks_a_field_on_leaving_it(page: Any, live: Any) -> None:
    producer = await make_user("producer", email="e2e-inline@example.org")
    await make_certificate(producer, code="SCS-FM/COC-004512")
    login = LoginPage(page)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)
    form = OfferFormPage(page)
    await form.open()
    await form.choose_category("timber")

    quantity_error = page.locator("#f-quantity-error")
    await form.field("quantity").fill("lots")
    await form.field("quantity").press("Tab")
    await expect(quantity_error).to_have_text("Enter a number.")
    await expect(quantity_error).to_be_visible()
    # Fields the user has not reached yet are not flagged as missing.
    await expect(page.locator("#f-title-error")).to_have_text("")
    await expect(page.locator("#f-title-error")).to_be_hidden()

    await form.field("quantity").fill("120")
    await form.field("quantity").press("Tab")
    await expect(quantity_error).to_have_text("")
    await expect(quantity_error).to_be_hidden()
    assert await Offer.count() == 0
