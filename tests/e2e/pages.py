"""Page objects for the browser journeys: one class per screen, every element found by its ``data-testid``.

Form controls come from templates/_macros/forms.html.jinja2 (``data-testid="field-<name>"``); checkbox groups
use ``field-<group>-<key>`` (sourcing) or ``product-type-<key>`` (certificates). A page object waits for what
the user would wait for (the next page's address and content), so the same steps work with htmx boosting
(JavaScript on) and with plain form posts and full page loads (JavaScript off).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from playwright.async_api import Locator, Page, expect


def _path_re(pattern: str) -> re.Pattern[str]:
    """A URL regex anchored on the path (any scheme, host and port before it)."""
    return re.compile(r"^https?://[^/]+" + pattern + r"$")


class BasePage:
    """Shared helpers: test ids, form fields, navigation."""

    path = "/"

    def __init__(self, page: Page, *, js: bool = True) -> None:
        self.page = page
        # Whether the page runs scripts: with htmx some steps trigger a request that must land before the next one.
        self.js = js

    def by_testid(self, testid: str) -> Locator:
        return self.page.get_by_test_id(testid)

    def field(self, name: str) -> Locator:
        return self.by_testid(f"field-{name}")

    async def open(self, query: str = "") -> BasePage:
        await self.page.goto(self.path + query)
        await self.expect_at(re.escape(self.path) + (r"\?.*" if query else ""))
        return self

    async def expect_at(self, path_pattern: str) -> None:
        """Wait until the address bar shows this path (a regex), as after a redirect or an htmx push."""
        await expect(self.page).to_have_url(_path_re(path_pattern))

    async def fill(self, **values: str | None) -> None:
        """Type into text, number and date inputs (None leaves a field as it is)."""
        for name, value in values.items():
            if value is not None:
                await self.field(name).fill(value)

    async def select(self, **values: str | None) -> None:
        """Choose options by their value (the vocabulary key)."""
        for name, value in values.items():
            if value is not None:
                await self.field(name).select_option(value=value)

    async def tick(self, locator: Locator, on: bool = True) -> None:
        await locator.set_checked(on)

    async def error_for(self, name: str) -> str:
        return (await self.page.locator(f"#f-{name}-error").inner_text()).strip()

    def errors_summary(self) -> Locator:
        return self.by_testid("errors-summary")

    async def nav(self, testid: str) -> None:
        """Follow a link in the main navigation (nav-offers, nav-my-offers, ...), opening the menu first on a
        phone-sized screen, where the links sit in a closed ``<details>`` menu (desk widths show them as rows)."""
        link = self.by_testid(testid)
        if not await link.is_visible() and await self.by_testid("site-menu-button").is_visible():
            await self.by_testid("site-menu-button").click()
        await link.click()


class LoginPage(BasePage):
    path = "/login"

    async def sign_in(self, email: str, password: str, *, lands_on: str | None = None) -> None:
        """Sign in through the form and wait for the signed-in page (the header then offers "Sign out").

        ``lands_on`` is the path expected after a ``?next=`` sign-in; without it any page but /login will do.
        """
        await self.fill(email=email, password=password)
        await self.by_testid("login-submit").click()
        if lands_on is not None:
            await self.expect_at(re.escape(lands_on))
        else:
            await expect(self.page).not_to_have_url(_path_re(r"/login(\?.*)?"))
        # "Sign out" is in the page at every width (on phones inside the closed menu).
        await expect(self.by_testid("logout")).to_be_attached()


class CertificateFormPage(BasePage):
    """Register a certificate (/my/certificates/new)."""

    path = "/my/certificates/new"

    async def register(
        self,
        *,
        code: str,
        scope: str,
        status: str,
        expires_on: str,
        product_types: Iterable[str],
        issued_on: str | None = None,
        license_code: str | None = None,
        is_group: bool = False,
    ) -> None:
        await self.fill(code=code, license_code=license_code, issued_on=issued_on, expires_on=expires_on)
        await self.select(scope=scope, status=status)
        await self.tick(self.field("is_group"), is_group)
        for key in product_types:
            await self.tick(self.by_testid(f"product-type-{key}"))
        await self.by_testid("certificate-submit").click()
        await MyCertificatesPage(self.page, js=self.js).expect_at(re.escape(MyCertificatesPage.path))


class MyCertificatesPage(BasePage):
    path = "/my/certificates"

    def row(self, code: str) -> Locator:
        return self.by_testid("certificate-row").filter(has_text=code)

    async def verification(self, code: str) -> str:
        return (await self.row(code).get_by_test_id("certificate-verification").inner_text()).strip()


class OfferFormPage(BasePage):
    """Publish an offer (/my/offers/new); success lands on the offer's own page."""

    path = "/my/offers/new"

    async def choose_certificate(self, code: str) -> None:
        """Pick the certificate whose option text starts with its code (option values are refs)."""
        select = self.field("certificate")
        option = select.locator("option").filter(has_text=code)
        await expect(option).to_have_count(1)
        await select.select_option(value=await option.get_attribute("value"))

    async def choose_category(self, category: str) -> None:
        """Change the category; with scripts on, htmx swaps in that category's product types and units first."""
        select = self.field("category")
        if await select.input_value() == category:
            return
        if not self.js:
            await select.select_option(value=category)
            return
        async with self.page.expect_response(re.compile(r"/my/offers/form-options\b")) as response:
            await select.select_option(value=category)
        assert (await response.value).status == 200
        first_type = self.field("product_type").locator(f'option[value="{self._first_type(category)}"]')
        await expect(first_type).to_have_count(1)

    @staticmethod
    def _first_type(category: str) -> str:
        return {"timber": "roundwood", "latex": "field_latex"}[category]

    async def publish(
        self,
        *,
        certificate_code: str,
        claim: str,
        category: str,
        product_type: str,
        title: str,
        quantity: str,
        unit: str,
        available_from: str,
        available_to: str,
        species: str | None = None,
        description: str | None = None,
        min_order: str | None = None,
        drc_percent: str | None = None,
        lat: str | None = None,
        lon: str | None = None,
        price_amount: str | None = None,
        price_currency: str | None = None,
        incoterm: str | None = None,
    ) -> str:
        """Fill and send the form; returns the new offer's ref (from the page it lands on)."""
        await self.choose_certificate(certificate_code)
        await self.select(claim=claim)
        await self.choose_category(category)
        await self.select(product_type=product_type, unit=unit, price_currency=price_currency, incoterm=incoterm)
        await self.fill(
            title=title,
            species=species,
            quantity=quantity,
            drc_percent=drc_percent,
            min_order=min_order,
            available_from=available_from,
            available_to=available_to,
            lat=lat,
            lon=lon,
            price_amount=price_amount,
        )
        if description is not None:
            await self.field("description").fill(description)
        await self.by_testid("offer-submit").click()
        await self.expect_at(r"/offers/[^/?#]+\?published=1")  # issue 10: the offer page confirms the new offer
        detail = self.by_testid("offer-detail")
        await expect(detail).to_be_visible()
        ref = await detail.get_attribute("data-ref")
        assert ref
        return ref


class OfferDetailPage(BasePage):
    def __init__(self, page: Page, ref: str, *, js: bool = True) -> None:
        super().__init__(page, js=js)
        self.ref = ref
        self.path = f"/offers/{ref}"


class MyOffersPage(BasePage):
    path = "/my/offers"

    def offer(self, ref: str) -> Locator:
        return self.page.locator(f'[data-testid="my-offer"][data-ref="{ref}"]')


class OfferListPage(BasePage):
    """The public offer list with filters (/offers)."""

    path = "/offers"

    def card(self, ref: str) -> Locator:
        return self.page.locator(f'[data-testid="offer-card"][data-ref="{ref}"]')

    def cards(self) -> Locator:
        return self.by_testid("offer-card")

    async def count_text(self) -> str:
        return (await self.by_testid("results-count").inner_text()).strip()


def _claim_slug(key: str) -> str:
    """The checkbox test id suffix the request form derives from a claim key ("FSC 100%" -> "fsc-100pct")."""
    return key.lower().replace(" ", "-").replace("%", "pct")


class RequestFormPage(BasePage):
    """Post a sourcing request (/my/requests/new); success lands on the request's page with ?saved=1."""

    path = "/my/requests/new"

    async def send_incomplete(self, *, title: str) -> None:
        """Send the form with only a title: it comes back (same address) with the problems listed, title kept."""
        await self.fill(title=title)
        await self.by_testid("request-submit").click()
        await expect(self.errors_summary()).to_be_visible()
        await self.expect_at(re.escape(self.path))

    async def post(
        self,
        *,
        title: str,
        category: str,
        product_types: Iterable[str],
        accepted_claims: Iterable[str],
        quantity: str,
        unit: str,
        needed_from: str,
        needed_by: str,
        delivery_country: str,
        partial_ok: bool,
        species: str | None = None,
        min_per_supplier: str | None = None,
        delivery_place: str | None = None,
        delivery_region: str | None = None,
        delivery_lat: str | None = None,
        delivery_lon: str | None = None,
        max_distance_km: str | None = None,
        description: str | None = None,
    ) -> str:
        """Fill and send the form; returns the new request's ref."""
        await self.fill(title=title)
        await self.choose_category(category)
        await self.select(unit=unit)
        for key in product_types:
            await self.tick(self.by_testid(f"field-product_types-{key}"))
        for key in accepted_claims:
            await self.tick(self.by_testid(f"field-accepted_claims-{_claim_slug(key)}"))
        await self.choose_country(delivery_country)
        await self.select(delivery_region=delivery_region)
        await self.fill(
            species=species,
            quantity=quantity,
            min_per_supplier=min_per_supplier,
            delivery_place=delivery_place,
            delivery_lat=delivery_lat,
            delivery_lon=delivery_lon,
            max_distance_km=max_distance_km,
            needed_from=needed_from,
            needed_by=needed_by,
        )
        await self.tick(self.field("partial_ok"), partial_ok)
        if description is not None:
            await self.field("description").fill(description)
        await self.by_testid("request-submit").click()
        await self.expect_at(r"/requests/([^/?#]+)\?saved=1")
        await expect(self.by_testid("notice-saved")).to_be_visible()
        match = re.search(r"/requests/([^/?#]+)", self.page.url)
        assert match
        return match.group(1)

    # --- choices that follow another field (i10 places): with scripts on, wait for htmx to swap the new list in;
    # without, the form was drawn with the list of the value it shows (the category, the buyer's own country).
    async def choose_category(self, category: str) -> None:
        select = self.field("category")
        if await select.input_value() == category:
            return
        if not self.js:
            await select.select_option(value=category)
            return
        async with self.page.expect_response(re.compile(r"/my/requests/form-options\b")) as response:
            await select.select_option(value=category)
        assert (await response.value).status == 200
        await expect(self.page.locator('input[name="product_types_choices_for"]')).to_have_value(category)

    async def choose_country(self, country: str) -> None:
        select = self.field("delivery_country")
        if await select.input_value() == country:
            return
        if not self.js:
            await select.select_option(value=country)
            return
        async with self.page.expect_response(re.compile(r"/places/regions\b")) as response:
            await select.select_option(value=country)
        assert (await response.value).status == 200
        await expect(self.page.locator('input[name="delivery_region_choices_for"]')).to_have_value(country)


class MyRequestsPage(BasePage):
    path = "/my/requests"

    def request_card(self, ref: str) -> Locator:
        return self.by_testid(f"request-{ref}")


class VerificationQueuePage(BasePage):
    """Staff verification queue (/staff/certificates?state=pending|verified|rejected)."""

    path = "/staff/certificates"

    def card(self, ref: str) -> Locator:
        return self.by_testid(f"cert-{ref}")

    async def show(self, state: str) -> None:
        await self.by_testid(f"tab-{state}").click()
        await self.expect_at(re.escape(self.path) + r"\?state=" + state)

    def notice(self) -> Locator:
        return self.page.locator("#flash .notice")

    async def verify(self, ref: str) -> None:
        """Mark one certificate verified; back on the same list, it is gone from the pending ones."""
        await self.by_testid(f"verify-{ref}").click()
        await self.expect_at(re.escape(self.path) + rf"\?state=\w+&done=verified&cert={re.escape(ref)}")
        await expect(self.card(ref)).to_have_count(0)

    async def reject(self, ref: str, reason: str) -> None:
        """Reject one certificate with a reason; back on the same list, it is gone from the pending ones."""
        # The reason field sits in a closed <details> ("Reject…") to keep the rows short: open it first.
        await self.by_testid(f"reject-open-{ref}").locator("summary").click()
        await self.by_testid(f"reason-{ref}").fill(reason)
        await self.by_testid(f"reject-{ref}").click()
        await self.expect_at(re.escape(self.path) + rf"\?state=\w+&done=rejected&cert={re.escape(ref)}")
        await expect(self.card(ref)).to_have_count(0)

    # --- issue 10: filters, count and pages of the queue ---
    def count(self) -> Locator:
        return self.by_testid("queue-count")

    def rows(self) -> Locator:
        return self.page.locator('[data-testid="certificate-queue"] > li')
