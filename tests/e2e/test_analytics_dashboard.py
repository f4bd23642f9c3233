"""Real browser: staff open the measurement dashboard offline; charts, the Leaflet map and table views work."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Locator, Page, expect

from app.messaging.tables import Conversation
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD
from tests.integration.analytics_data import World, fx_world  # noqa: F401

pytestmark = pytest.mark.e2e


class AnalyticsPage(BasePage):
    """The staff dashboard (/staff/analytics)."""

    path = "/staff/analytics"

    def chart(self, name: str) -> Locator:
        return self.by_testid(f"chart-{name}")

    def table_toggle(self, name: str) -> Locator:
        return self.by_testid(f"table-toggle-{name}")

    @property
    def map(self) -> Locator:
        return self.by_testid("analytics-map")

    @property
    def fallback(self) -> Locator:
        return self.by_testid("map-fallback")

    async def filter_country(self, code: str) -> None:
        """Choose a country and submit; with htmx only the results are swapped and the address bar follows."""
        await self.select(country=code)
        await self.by_testid("analytics-submit").click()
        await self.expect_at(re.escape(self.path) + r"\?.*country=" + code + ".*")


async def _offline(page: Page, origin: str) -> list[str]:
    """Abort (and remember) every request that would leave the app's own origin."""
    outside: list[str] = []

    async def guard(route: Any) -> None:
        if route.request.url.startswith(origin):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", guard)
    return outside


async def test_dashboard_renders_charts_and_map_offline_and_tables_toggle(
    new_page: Any, live: Any, world: World
) -> None:
    page = await new_page(viewport={"width": 1280, "height": 900})
    outside = await _offline(page, live.url)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(world.staff.email, PASSWORD)
    dashboard = AnalyticsPage(page)
    await dashboard.open()
    await expect(dashboard.by_testid("fig-contacts")).to_contain_text("4")
    for name in ("monthly", "funnel", "products", "countries"):
        await expect(dashboard.chart(name).locator("svg.chart__svg")).to_be_visible()
    await expect(dashboard.chart("funnel").locator("rect")).to_have_count(6)
    await expect(dashboard.chart("monthly").locator("polyline")).to_have_count(2)

    # The map: Leaflet draws the shipped outline and one marker per point (3 producer places, 2 unmet requests).
    await expect(dashboard.map).to_be_visible()
    await expect(dashboard.map).to_have_attribute("data-outline-loaded", "true")
    # Leaflet may still be drawing the outline when the attribute is set: wait for the 101st path, not a snapshot.
    await expect(dashboard.map.locator(".leaflet-overlay-pane path").nth(100)).to_be_attached()
    await expect(dashboard.map.locator("path.map-point")).to_have_count(5)
    await expect(dashboard.fallback).to_be_hidden()
    assert await dashboard.map.locator("img.leaflet-tile").count() == 0

    await page.screenshot(path="/tmp/fm-shots/analytics-desk.png", full_page=True)
    # A chart's table view opens and closes.
    table = dashboard.by_testid("table-monthly")
    await expect(table).to_be_hidden()
    await dashboard.table_toggle("monthly").locator("summary").click()
    await expect(table).to_be_visible()
    await expect(table.locator("tbody tr")).to_have_count(12)
    await dashboard.table_toggle("monthly").locator("summary").click()
    await expect(table).to_be_hidden()

    # A filter change swaps the results (htmx) and redraws the map for the new figures.
    await dashboard.filter_country("GT")
    await expect(dashboard.by_testid("deal-value-EUR")).to_be_visible()
    await expect(dashboard.by_testid("deal-value-USD")).to_have_count(0)
    await expect(dashboard.map.locator("path.map-point")).to_have_count(1)
    assert outside == []
    # What the page said matches the database.
    assert await Conversation.count() == 4


async def test_without_javascript_the_map_is_a_static_svg(new_page: Any, live: Any, world: World) -> None:
    page = await new_page(java_script_enabled=False, viewport={"width": 360, "height": 800})
    login = LoginPage(page, js=False)
    await login.open()
    await login.sign_in(world.staff.email, PASSWORD)
    dashboard = AnalyticsPage(page, js=False)
    await dashboard.open()
    await expect(dashboard.map).to_be_hidden()
    await expect(dashboard.fallback).to_be_visible()
    await expect(dashboard.fallback.locator("circle.dot--producers")).to_have_count(3)
    await expect(dashboard.fallback.locator("circle.dot--unmet")).to_have_count(2)
    # <details> opens without scripts too.
    await dashboard.table_toggle("funnel").locator("summary").click()
    await expect(dashboard.by_testid("table-funnel")).to_be_visible()
    await page.screenshot(path="/tmp/fm-shots/analytics-phone-nojs.png", full_page=True)
