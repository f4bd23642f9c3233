"""Page objects for a group manager's pages (templates/traceability/members and plots), found by ``data-testid``."""

from __future__ import annotations

import re

from playwright.async_api import Locator, expect

from tests.e2e.pages import BasePage
from tests.e2e.pages_places import PlacePickerMixin


class MembersPage(BasePage):
    path = "/traceability/members"

    def row(self, code: str) -> Locator:
        return self.by_testid(f"member-row-{code}")

    async def add_member(self) -> None:
        await self.by_testid("member-add").click()
        await self.expect_at(re.escape("/traceability/members/new"))


class MemberFormPage(PlacePickerMixin):
    path = "/traceability/members/new"

    async def save(self) -> None:
        await self.by_testid("member-submit").click()
        await self.expect_at(r"/traceability/members/m-[0-9a-f]+\?saved=1")


class MemberDetailPage(BasePage):
    def check(self, code: str) -> Locator:
        return self.by_testid(f"check-{code}")

    async def add_plot(self) -> None:
        await self.by_testid("plot-add").click()
        await self.expect_at(r"/traceability/plots/new\?member=m-[0-9a-f]+")


class PlotFormPage(PlacePickerMixin):
    async def save(self) -> None:
        await self.by_testid("plot-submit").click()
        await self.expect_at(r"/traceability/plots/p-[0-9a-f]+\?saved=1")


class PlotDetailPage(BasePage):
    def check(self, code: str) -> Locator:
        return self.by_testid(f"check-{code}")

    async def back_to_member(self, name: str) -> None:
        await self.page.get_by_role("link", name=re.compile(re.escape(name))).first.click()
        await expect(self.by_testid("member-name")).to_contain_text(name)
