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
