"""Page objects for conversations: the thread a buyer and a producer share, found by ``data-testid``."""

from __future__ import annotations

import re

from playwright.async_api import Locator, Page, expect

from tests.e2e.pages import BasePage


class RequestDetailPage(BasePage):
    def __init__(self, page: Page, ref: str) -> None:
        super().__init__(page)
        self.path = f"/requests/{ref}"

    def recommendation(self, offer_ref: str) -> Locator:
        return self.page.locator(f'[data-testid="recommendation"][data-ref="{offer_ref}"]')

    async def contact(self, offer_ref: str) -> ComposePage:
        """Press "Contact supplier" on one recommendation: the compose page opens (nothing is recorded yet)."""
        await self.recommendation(offer_ref).get_by_test_id("contact-supplier").click()
        await self.expect_at(rf"/offers/{re.escape(offer_ref)}/contact\?request=.+")
        return ComposePage(self.page, js=self.js)


class ComposePage(BasePage):
    """The first message to a producer: the conversation starts when it is sent."""

    async def send(self, text: str) -> int:
        """Write and send the first message; returns the id of the conversation it opened."""
        await self.field("body").fill(text)
        await self.by_testid("send-message").click()
        await self.expect_at(r"/conversations/\d+")
        return int(re.search(r"/conversations/(\d+)", self.page.url).group(1))  # type: ignore[union-attr]


class ThreadPage(BasePage):
    def __init__(self, page: Page, conversation_id: int) -> None:
        super().__init__(page)
        self.path = f"/conversations/{conversation_id}"

    def messages(self) -> Locator:
        return self.by_testid("message-body")

    async def send(self, text: str) -> None:
        await self.field("body").fill(text)
        await self.by_testid("send-message").click()

    async def fill_deal(
        self, *, quantity: str, unit: str | None, unit_price: str, currency: str | None, date: str | None = None
    ) -> None:
        """Open "Record a deal" and fill it (None keeps the value the form starts with: the offer's)."""
        await self.by_testid("deal-section").locator("summary").click()
        await self.select(unit=unit, currency=currency)
        await self.fill(quantity=quantity, unit_price=unit_price, date=date)

    def deal_total(self) -> Locator:
        return self.by_testid("deal-total")

    async def record_deal(
        self, *, quantity: str, unit: str | None, unit_price: str, currency: str | None, date: str | None = None
    ) -> None:
        await self.fill_deal(quantity=quantity, unit=unit, unit_price=unit_price, currency=currency, date=date)
        await self.by_testid("record-deal").click()
        await expect(self.page.locator('[data-testid="event"][data-state="deal_closed"]')).to_have_count(1)

    def event_terms(self) -> Locator:
        return self.by_testid("event-terms")

    async def confirm_deal(self) -> None:
        await self.by_testid("confirm-deal").click()
        await expect(self.page.locator('[data-testid="event"][data-state="deal_confirmed"]')).to_have_count(1)

    async def block_other_side(self) -> None:
        await self.by_testid("safety-section").locator("summary").click()
        await self.by_testid("block").click()
        await expect(self.by_testid("notice-blocked")).to_be_visible()
