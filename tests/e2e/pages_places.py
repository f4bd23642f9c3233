"""Page objects for places (sign-up and organisation profile with the country and region pickers and the map point
picker, templates/_macros/places.html.jinja2), found by ``data-testid``."""

from __future__ import annotations

import re

from playwright.async_api import Locator, expect

from tests.e2e.pages import BasePage


class PlacePickerMixin(BasePage):
    """A country <select> and the region <select> that follows it; a map above the latitude and longitude."""

    async def choose_country_named(self, name: str, *, field: str = "country", region: str = "region") -> None:
        """Pick a country by the name the reader sees; with scripts on, wait until its regions are listed."""
        select = self.field(field)
        if not self.js:
            await select.select_option(label=name)
            return
        async with self.page.expect_response(re.compile(r"/places/regions\b")) as response:
            await select.select_option(label=name)
        assert (await response.value).status == 200
        code = await select.input_value()
        await expect(self.page.locator(f'input[name="{region}_choices_for"]')).to_have_value(code)

    async def choose_region_named(self, name: str, *, field: str = "region") -> None:
        await self.field(field).select_option(label=name)

    async def region_names(self, field: str = "region") -> list[str]:
        return [t.strip() for t in await self.field(field).locator("option").all_inner_texts()]

    def map(self) -> Locator:
        return self.by_testid("point-map")

    async def wait_for_map(self) -> None:
        await expect(self.map()).to_have_attribute("data-ready", "true")
        await expect(self.map()).to_have_attribute("data-outline-loaded", "true")

    async def tap_map(self, x_share: float, y_share: float) -> None:
        """Tap the map at a share of its width and height (0.5, 0.5 is the middle)."""
        await self.map().scroll_into_view_if_needed()
        box = await self.map().bounding_box()
        assert box is not None
        await self.map().tap(position={"x": box["width"] * x_share, "y": box["height"] * y_share})

    async def drag_marker(self, dx: int, dy: int) -> None:
        marker = self.map().locator(".leaflet-marker-icon")
        await marker.scroll_into_view_if_needed()
        box = await marker.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
        await self.page.mouse.move(x, y)
        await self.page.mouse.down()
        for step in range(1, 6):
            await self.page.mouse.move(x + dx * step / 5, y + dy * step / 5)
        await self.page.mouse.up()


class SignUpPage(PlacePickerMixin):
    path = "/signup"

    async def sign_up(
        self, *, role: str, organization_name: str, country: str, region: str | None, email: str, password: str
    ) -> None:
        """Fill the form choosing places by name and send it; a new account lands on its organisation profile."""
        await self.by_testid(f"field-role-{role}").check()
        await self.fill(organization_name=organization_name, email=email, password=password)
        await self.choose_country_named(country)
        if region is not None:
            await self.choose_region_named(region)
        await self.by_testid("signup-submit").click()
        await self.expect_at(re.escape("/my/organization"))


class OrganizationPage(PlacePickerMixin):
    path = "/my/organization"

    def place(self) -> Locator:
        return self.by_testid("org-place")

    async def save(self) -> None:
        await self.by_testid("organization-submit").click()

    async def save_expecting_success(self) -> None:
        await self.save()
        await self.expect_at(re.escape(self.path) + r"\?saved=1")
        await expect(self.by_testid("notice-saved")).to_be_visible()
