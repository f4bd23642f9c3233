"""Page objects of the collectors' pages: the delivery form at the scale (also offline)."""

from __future__ import annotations

from playwright.async_api import Locator, expect

from tests.e2e.pages import BasePage


class DeliveryFormPage(BasePage):
    """Record a delivery (/traceability/deliveries/new); with JavaScript it sends or keeps it for later."""

    path = "/traceability/deliveries/new"

    async def record(self, *, member: str, plot: str, form: str, **weights: str) -> None:
        """Type a delivery and save it (the plot select fills from the member typed)."""
        await self.field("member").fill(member)
        await expect(self.field("plot").locator(f'option[value="{plot}"]')).to_be_attached()
        await self.field("plot").select_option(plot)
        await self.field("form").select_option(form)
        await self.fill(**weights)
        await self.by_testid("delivery-submit").click()

    @property
    def waiting(self) -> Locator:
        return self.by_testid("waiting-item")

    @property
    def status(self) -> Locator:
        return self.by_testid("delivery-status")


class LotFormPage(BasePage):
    """Make a lot (/traceability/lots/new): tick deliveries, type parts of other lots; with JavaScript the running
    total of their dry kg and its difference from the output typed show beside the form."""

    path = "/traceability/lots/new"

    def delivery(self, ref: str) -> Locator:
        return self.by_testid(f"lot-delivery-{ref}")

    @property
    def total(self) -> Locator:
        return self.by_testid("lot-total")

    @property
    def total_inputs(self) -> Locator:
        return self.by_testid("lot-total-inputs")

    @property
    def total_difference(self) -> Locator:
        return self.by_testid("lot-total-difference")

    async def save(self) -> None:
        """Submit and wait for the saved lot's summary."""
        await self.by_testid("lot-submit").click()
        await self.expect_at(r"/traceability/lots/[^/]+/saved")
