"""Real browser: on a phone the offer list and the search page show a "Filters" control before the results; it
opens with JavaScript off, and with htmx it stays open while filters change the results. At desk widths the
filters stand beside the results. The offers shown are checked against the database."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.offers.tables import Offer
from search_index import create_backend
from tests.e2e.conftest import NewPage
from tests.e2e.pages import BasePage
from tests.factories import make_certificate, make_offer, make_user

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "device_scale_factor": 1, "is_mobile": True, "has_touch": True}


async def _offers(live: Any) -> None:
    """Three offers, two claims; the server's search index brought in step with the database."""
    producer = await make_user("producer", org_name="Ejido Noh Bec")
    cert = (await make_certificate(producer))["ref"]
    await make_offer(producer, cert, title="Tablas de caoba", claim="FSC 100%")
    await make_offer(producer, cert, title="Tablas de cedro", claim="FSC Mix")
    await make_offer(producer, cert, title="Trozas de pino", claim="FSC Mix")
    backend = create_backend(directory=live.var_dir / "search")
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await backend.close()


async def _refs_with_claim(claim: str) -> set[str]:
    rows = await Offer.select(Offer.ref).where((Offer.claim == claim) & (Offer.status == "active"))
    return {r["ref"] for r in rows}


async def _shown(page: Any, testid: str) -> set[str]:
    return {ref for ref in await page.get_by_test_id(testid).evaluate_all("els => els.map(e => e.dataset.ref)")}


async def _control_comes_first(page: Any, first_result: str) -> None:
    toggle = page.get_by_test_id("filters-toggle")
    await expect(toggle).to_be_visible()
    await expect(toggle).to_have_text("Filtros")
    toggle_box = await toggle.bounding_box()
    result_box = await page.get_by_test_id(first_result).first.bounding_box()
    assert toggle_box is not None and result_box is not None
    assert toggle_box["y"] + toggle_box["height"] <= result_box["y"]
    assert toggle_box["height"] >= 44


async def test_phone_search_filters_open_first_and_stay_open(new_page: NewPage, live: Any) -> None:
    await _offers(live)
    page = await new_page(**PHONE)
    await page.goto("/lang/es_MX?next=/search")
    await BasePage(page).expect_at("/search")
    await _control_comes_first(page, "search-hit")
    mix = page.get_by_test_id("facet-claim").locator('[data-value="FSC Mix"]')
    await expect(mix).to_be_hidden()
    await page.get_by_test_id("filters-toggle").click()
    await mix.check()
    await BasePage(page).expect_at(r"/search\?.*claim=FSC(%20|\+)Mix.*")
    await expect(page.get_by_test_id("search-hit")).to_have_count(2)
    await expect(page.get_by_test_id("filters-panel")).to_have_attribute("open", "")  # still open after the swap
    await expect(mix).to_be_checked()
    assert await _shown(page, "search-hit") == await _refs_with_claim("FSC Mix")


async def test_phone_offer_filters_work_without_javascript(new_page: NewPage, live: Any) -> None:
    await _offers(live)
    page = await new_page(java_script_enabled=False, **PHONE)
    await page.goto("/lang/es_MX?next=/offers")
    await BasePage(page).expect_at("/offers")
    await _control_comes_first(page, "offer-card")
    await expect(page.get_by_test_id("field-claim")).to_be_hidden()
    await page.get_by_test_id("filters-toggle").click()
    await page.get_by_test_id("field-claim").select_option("FSC 100%")
    await page.get_by_test_id("filters-submit").click()
    await BasePage(page).expect_at(r"/offers\?.*claim=FSC\+100%25.*")
    await expect(page.get_by_test_id("offer-card")).to_have_count(1)
    assert await _shown(page, "offer-card") == await _refs_with_claim("FSC 100%")


@pytest.mark.parametrize(
    ("path", "filters", "results"),
    [("/offers", "offer-filters", "offer-results"), ("/search", "search-filters", "search-results")],
)
async def test_desk_filters_stand_beside_the_results(
    new_page: NewPage, live: Any, path: str, filters: str, results: str
) -> None:
    await _offers(live)
    page = await new_page(viewport={"width": 1280, "height": 900})
    await page.goto(f"/lang/es_MX?next={path}")
    await BasePage(page).expect_at(path)
    await expect(page.get_by_test_id("filters-toggle")).to_be_hidden()
    await expect(page.get_by_test_id(filters)).to_be_visible()
    side = await page.get_by_test_id(filters).bounding_box()
    main = await page.get_by_test_id(results).bounding_box()
    assert side is not None and main is not None
    assert side["x"] + side["width"] <= main["x"]
    assert abs(side["y"] - main["y"]) < 2
