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

    async def contact(self, offer_ref: str) -> int:
        """Press "Contact supplier" on one recommendation; returns the conversation id the thread opens on."""
        await self.recommendation(offer_ref).get_by_test_id("contact-supplier").click()
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

    async def record_deal(self, *, quantity: str, unit: str, price: str, currency: str, date: str) -> None:
        await self.by_testid("deal-section").locator("summary").click()
        await self.fill(quantity=quantity, price=price, date=date)
        await self.select(unit=unit, currency=currency)
        await self.by_testid("record-deal").click()
        await expect(self.page.locator('[data-testid="event"][data-state="deal_closed"]')).to_have_count(1)

    async def confirm_deal(self) -> None:
        await self.by_testid("confirm-deal").click()
        await expect(self.page.locator('[data-testid="event"][data-state="deal_confirmed"]')).to_have_count(1)

    async def block_other_side(self) -> None:
        await self.by_testid("safety-section").locator("summary").click()
        await self.by_testid("block").click()
        await expect(self.by_testid("notice-blocked")).to_be_visible()
