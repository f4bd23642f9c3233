"""Real browser, in Spanish: the verification queue on a phone (filter, page, verify and reject without losing the
place) and the dashboard's charts at 360 and 1280 px with every label drawn inside its chart."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from app.certificates.tables import Certificate
from app.offers.tables import Offer
from app.vocab import PRODUCT_TYPES
from tests.e2e.conftest import SHOTS, NewPage
from tests.e2e.pages import LoginPage, VerificationQueuePage
from tests.factories import PASSWORD, make_certificate, make_offer, make_user

pytestmark = pytest.mark.e2e


async def _spanish_staff_page(new_page: NewPage, email: str, width: int, **options: Any) -> Any:
    page = await new_page(viewport={"width": width, "height": 800}, **options)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    await page.goto("/lang/es_MX?next=/")
    return page


async def test_queue_on_a_phone_keeps_its_place_through_decisions(new_page: NewPage, live: Any) -> None:
    mexico = await make_user("producer", org_name="Ejido San Pedro", country="MX")
    guatemala = await make_user("producer", org_name="Cooperativa Carmelita", country="GT")
    refs = [(await make_certificate(mexico, code=f"SCS-FM/COC-{100100 + i}"))["ref"] for i in range(40)]
    for i in range(20):
        await make_certificate(guatemala, code=f"NC-FM/COC-{200100 + i}")
    staff = await make_user("staff")
    page = await _spanish_staff_page(new_page, staff.email, 360, is_mobile=True, has_touch=True)
    queue = VerificationQueuePage(page)
    await queue.open()
    await expect(queue.count()).to_contain_text("60 certificados")
    await expect(queue.rows()).to_have_count(25)
    await expect(queue.rows().first).to_have_attribute("data-testid", f"cert-{refs[0]}")  # the oldest first

    await queue.select(country="MX")  # htmx swaps the list and the address follows
    await queue.expect_at(re.escape(queue.path) + r"\?.*country=MX.*")
    await expect(queue.count()).to_contain_text("40 certificados")
    await queue.by_testid("page-next").click()
    await queue.expect_at(re.escape(queue.path) + r"\?state=pending&country=MX&page=2")
    await expect(queue.rows()).to_have_count(15)
    await expect(queue.rows().first).to_have_attribute("data-testid", f"cert-{refs[25]}")
    await page.screenshot(path=str(SHOTS / "staff-queue-phone-es.png"), full_page=False)

    await queue.by_testid(f"verify-{refs[25]}").click()
    await queue.expect_at(re.escape(queue.path) + rf"\?state=pending&country=MX&page=2&done=verified&cert={refs[25]}")
    await expect(queue.notice()).to_contain_text("SCS-FM/COC-100125")
    await expect(queue.count()).to_contain_text("39 certificados")
    await expect(queue.rows()).to_have_count(14)

    await queue.by_testid(f"reject-open-{refs[30]}").locator("summary").click()
    await queue.by_testid(f"reason-{refs[30]}").fill("El código no aparece en la base de datos del FSC.")
    await queue.by_testid(f"reject-{refs[30]}").click()
    await queue.expect_at(re.escape(queue.path) + rf"\?state=pending&country=MX&page=2&done=rejected&cert={refs[30]}")
    await expect(queue.rows()).to_have_count(13)
    await expect(queue.card(refs[30])).to_have_count(0)
    await expect(page.locator("#f-country")).to_have_value("MX")

    rows = {
        r["ref"]: r
        for r in await Certificate.select(
            Certificate.ref, Certificate.verification, Certificate.rejection_reason
        ).where(Certificate.ref.is_in([refs[25], refs[30]]))
    }
    assert rows[refs[25]]["verification"] == "verified"
    assert (rows[refs[30]]["verification"], rows[refs[30]]["rejection_reason"]) == (
        "rejected",
        "El código no aparece en la base de datos del FSC.",
    )


_TEXT_OUTSIDE = """(svg) => {
  const box = svg.viewBox.baseVal;
  const out = [];
  for (const text of svg.querySelectorAll("text")) {
    const b = text.getBBox();
    if (b.x < box.x - 0.5 || b.y < box.y - 0.5 || b.x + b.width > box.x + box.width + 0.5
        || b.y + b.height > box.y + box.height + 0.5) {
      out.push(text.textContent + " " + JSON.stringify([b.x, b.y, b.width, b.height]));
    }
  }
  return out;
}"""


async def test_dashboard_charts_in_spanish_keep_every_label_inside(new_page: NewPage, live: Any) -> None:
    producer = await make_user("producer", org_name="Ejido El Largo")
    timber = await make_certificate(producer, product_types=list(PRODUCT_TYPES["timber"]))
    latex = await make_certificate(producer, product_types=list(PRODUCT_TYPES["latex"]))
    for product_type in PRODUCT_TYPES["timber"]:
        await make_offer(producer, timber["ref"], product_type=product_type)
    for product_type in PRODUCT_TYPES["latex"]:
        await make_offer(
            producer,
            latex["ref"],
            category="latex",
            product_type=product_type,
            unit="kg_drc",
            quantity="500",
            min_order="100",
            species=["Hevea brasiliensis"],
        )
    staff = await make_user("staff")
    for width in (360, 1280):
        page = await _spanish_staff_page(new_page, staff.email, width)
        await page.goto("/staff/analytics")
        await expect(page.get_by_test_id("analytics-map")).to_have_attribute("data-outline-loaded", "true")
        products = page.get_by_test_id("chart-products").locator("svg.chart__svg")
        await expect(products.locator("rect")).to_have_count(15)
        await expect(products).to_contain_text("Caucho técnicamente")
        for name in ("monthly", "funnel", "products", "countries"):
            svg = page.get_by_test_id(f"chart-{name}").locator("svg.chart__svg")
            if await svg.count():
                assert await svg.evaluate(_TEXT_OUTSIDE) == [], (width, name)
        await page.screenshot(path=str(SHOTS / f"analytics-es-{width}.png"), full_page=True)
    assert await Offer.count() == 15
