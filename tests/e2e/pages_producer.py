"""Page objects for a producer's daily round: the dashboard's requests that fit, a request read as a supplier."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page

from tests.e2e.pages import BasePage


class ProducerDashboardPage(BasePage):
    path = "/dashboard"

    def fitting_card(self, request_ref: str) -> Locator:
        return self.page.locator(f'[data-testid="fitting-request"][data-ref="{request_ref}"]')

    async def open_fitting_request(self, request_ref: str) -> SupplierRequestPage:
        """Follow a "request that fits my offers" card to the request's page."""
        await self.fitting_card(request_ref).get_by_test_id("fitting-request-link").click()
        request_page = SupplierRequestPage(self.page, request_ref)
        await request_page.expect_at(re.escape(request_page.path))
        return request_page


class SupplierRequestPage(BasePage):
    """A buyer's sourcing request as a producer reads it: what is needed, and why its own offers fit."""

    def __init__(self, page: Page, ref: str) -> None:
        super().__init__(page)
        self.ref = ref
        self.path = f"/requests/{ref}"

    async def fact(self, testid: str) -> str:
        return " ".join((await self.by_testid(testid).inner_text()).split())

    def fit(self, offer_ref: str) -> Locator:
        return self.page.locator(f'[data-testid="supplier-fit"][data-ref="{offer_ref}"]')

    async def fit_reasons(self, offer_ref: str) -> list[str]:
        return [" ".join(t.split()) for t in await self.fit(offer_ref).locator("li").all_inner_texts()]
