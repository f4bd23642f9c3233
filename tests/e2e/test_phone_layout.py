"""Real browser at 360 px: no page of any role scrolls sideways, with long names, wide tables and an unread badge.

Wide content (tables, the main navigation) scrolls inside its own box. The check once missed that an absolutely
positioned, visually hidden label (the badge's "unread notifications" text, a table header's hidden text) inside
such a box is laid out against the page, not the box, and widened the page to about 1,000 px for staff.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.notifications.services import Alert, deliver
from tests.e2e.conftest import NewPage
from tests.e2e.pages import LoginPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_request, make_user

pytestmark = pytest.mark.e2e

LONG_ORG = "Sociedad de Producción Rural Ejidos Forestales de la Zona Maya de Quintana Roo"


async def _overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def _unread(user: Any) -> None:
    alert = Alert("message", f"message:phone:{user.id}", {"org": LONG_ORG, "excerpt": "¿Tienen caoba?"}, "/")
    assert await deliver(alert, [user.id]) == [user.id]


async def _sweep(new_page: NewPage, email: str, paths: list[str]) -> dict[str, int]:
    """{path: sideways overflow in px} for every path that scrolls sideways (empty when none does)."""
    page = await new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True, has_touch=True)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    wide: dict[str, int] = {}
    for path in paths:
        response = await page.goto(path)
        assert response is not None and response.status == 200, path
        await page.wait_for_load_state("networkidle")
        if (extra := await _overflow(page)) != 0:
            wide[path] = extra
    return wide


async def test_no_page_scrolls_sideways_at_phone_width(new_page: NewPage) -> None:
    producer = await make_user("producer", org_name=LONG_ORG)
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Caoba (Swietenia macrophylla) aserrada, primera calidad")
    buyer = await make_user("buyer", org_name="Maderas Finas de Occidente, Sociedad Anónima de Capital Variable")
    request = await make_request(buyer)
    staff = await make_user("staff")
    for user in (producer, buyer, staff):
        await _unread(user)

    common = ["/", "/offers", "/search?q=caoba", f"/offers/{offer['ref']}", "/notifications", "/conversations"]
    assert await _sweep(new_page, producer.email, [*common, "/dashboard", "/my/offers", "/my/certificates"]) == {}
    buyer_pages = ["/dashboard", "/my/requests", f"/requests/{request['ref']}"]
    assert await _sweep(new_page, buyer.email, [*common, *buyer_pages]) == {}
    staff_pages = ["/staff/certificates", "/staff/organizations", "/staff/users", "/staff/analytics", "/staff/import"]
    assert await _sweep(new_page, staff.email, [*common, *staff_pages]) == {}
