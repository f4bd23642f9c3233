"""Real browser: a buyer at a desk opens a lot-backed offer, follows its lot link and reads the lot's claim, checks
and origin by village and square, and no smallholder's name or plot ref; screenshots at 1280 and 360 px."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.imports.services import import_document
from app.offers import services as offers
from tests.e2e.pages import LoginPage
from tests.factories import PASSWORD, make_user
from tests.integration.test_lot_backed_offers import group_user, latex_offer, lots_doc

pytestmark = pytest.mark.e2e


async def _signed_in(new_page: Any, email: str, width: int) -> Any:
    page = await new_page(viewport={"width": width, "height": 900})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    return page


async def test_buyer_follows_a_lot_backed_offer_to_the_lot_page(new_page: Any, live: Any, shots: Any) -> None:
    await import_document(lots_doc())
    offer = await offers.create_offer(await group_user(), latex_offer(lots=["lot-1", "lot-3"], quantity="600"))
    buyer = await make_user("buyer", email="e2e-lot-buyer@example.org", org_name="Handschuhe Hamburg")

    page = await _signed_in(new_page, buyer.email, 1280)
    await page.goto(f"/offers/{offer['ref']}")
    await expect(page.get_by_test_id("offer-traceable")).to_contain_text("Traceable to 2 smallholders")
    await expect(page.get_by_test_id("offer-eudr-ready")).to_be_visible()
    await page.get_by_test_id("lot-link").first.click()
    await expect(page).to_have_url(f"{live.url}/traceability/lots/lot-1")
    lot = page.get_by_test_id("lot-page")
    await expect(lot).to_have_attribute("data-view", "public")
    await expect(page.get_by_test_id("lot-claim")).to_contain_text("FSC Mix")
    await expect(page.get_by_test_id("lot-percent")).to_contain_text("68 %")
    await expect(page.get_by_test_id("lot-checks")).to_contain_text("Member outside the certificate's scope")
    await expect(page.get_by_test_id("lot-localities")).to_contain_text("Xapuri")
    await expect(page.get_by_test_id("lot-map")).to_have_attribute("data-ready", "true")  # Leaflet drew the squares
    text = await page.locator("main").inner_text()
    for private in ("Maria Souza", "João Lima", "p-1", "p-2", "del-1", "A-001"):
        assert private not in text, private
    desk_width = await page.evaluate(
        "[document.documentElement.scrollWidth, [...document.querySelectorAll('body *')]"
        ".filter(e => e.getBoundingClientRect().right > 1300).slice(0, 3).map(e => e.className || e.tagName)]"
    )
    assert desk_width[0] <= 1280, desk_width
    await page.screenshot(path=str(shots / "lot-page-1280.png"), full_page=True)

    phone = await _signed_in(new_page, buyer.email, 360)
    await phone.goto("/traceability/lots/lot-1")
    await expect(phone.get_by_test_id("lot-claim")).to_contain_text("FSC Mix")
    await expect(phone.get_by_test_id("lot-map")).to_have_attribute("data-ready", "true")
    width = await phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width  # nothing wider than the phone
    await phone.screenshot(path=str(shots / "lot-page-360.png"), full_page=True)
