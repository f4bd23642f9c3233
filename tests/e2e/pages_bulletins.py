"""Page objects for program updates: the list, the update form, and one update with its comments."""

from __future__ import annotations

from playwright.async_api import Locator

from tests.e2e.pages import BasePage


class UpdatesPage(BasePage):
    path = "/programs/updates"

    def item(self, update_id: int) -> Locator:
        return self.page.locator(f'[data-testid="update"][data-id="{update_id}"]')


class UpdateFormPage(BasePage):
    path = "/programs/updates/new"

    async def post(self, program_id: int, title: str, body: str) -> None:
        await self.select(program=str(program_id))
        await self.fill(title=title, body=body)
        await self.by_testid("update-submit").click()


class UpdatePage(BasePage):
    def title(self) -> Locator:
        return self.by_testid("update-title")

    def comments(self) -> Locator:
        return self.by_testid("comment")

    async def comment(self, text: str) -> None:
        await self.fill(body=text)
        await self.by_testid("comment-submit").click()
