"""Real browser at 360 px: places chosen by name and on a map, choices that follow the category, with JavaScript
and without; every journey ends by checking the database."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts.tables import Organization, User
from app.offers.tables import Offer
from tests.e2e.conftest import NewPage
from tests.e2e.pages import LoginPage, OfferFormPage, RequestFormPage
from tests.e2e.pages_places import OrganizationPage, SignUpPage
from tests.factories import PASSWORD, make_certificate, make_user

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True}
LATEX_TYPES = ["field_latex", "latex_concentrate", "rss", "tsr", "cup_lump", "crepe"]
LATEX_UNITS = ["kg_drc", "t_drc", "kg_latex"]


def iso(days: int) -> str:
    return (dt.date.today() + dt.timedelta(days=days)).isoformat()


async def _overflow(page: Any) -> int:
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))


async def _org_of(email: str) -> dict[str, Any]:
    user = await User.select(User.organization).where(User.email == email).first()
    assert user is not None
    row = (
        await Organization.select(Organization.country, Organization.region, Organization.lat, Organization.lon)
        .where(Organization.id == user["organization"])
        .first()
    )
    assert row is not None
    return row


async def test_sign_up_by_names_then_pick_the_point_on_the_map(new_page: NewPage, shots: Path) -> None:
    page = await new_page(**PHONE)
    signup = SignUpPage(page)
    await signup.open()
    await page.get_by_test_id("lang-es_MX").click()
    await signup.expect_at(r"/signup")
    await expect(page.locator("html")).to_have_attribute("lang", "es-MX")
    assert await signup.region_names() == ["Primero elija el país"]
    await signup.choose_country_named("México")
    regions = await signup.region_names()
    assert regions[:3] == ["Sin especificar", "Aguascalientes", "Baja California"]
    assert len(regions) == 33 and "Veracruz" in regions
    await page.screenshot(path=str(shots / "places-signup-360.png"), full_page=True)
    assert await _overflow(page) == 0
    await signup.sign_up(
        role="producer",
        organization_name="Ejido La Ciudad",
        country="México",
        region="Durango",
        email="ejido-ciudad@example.org",
        password="pino encino cedro",
    )

    profile = OrganizationPage(page)
    await expect(profile.place()).to_have_text("Dónde: Durango, México")
    await expect(profile.field("country")).to_have_value("MX")
    await expect(profile.field("region")).to_have_value("MX-DUR")
    await profile.wait_for_map()  # framed on Mexico: the organisation has no point yet
    await profile.tap_map(0.45, 0.45)
    await expect(profile.field("lat")).not_to_have_value("")
    lat, lon = float(await profile.field("lat").input_value()), float(await profile.field("lon").input_value())
    assert 14.5 < lat < 32.8 and -117.2 < lon < -86.7, (lat, lon)  # a point inside Mexico's frame
    await profile.drag_marker(40, 0)
    await expect(profile.field("lon")).not_to_have_value(f"{lon:.6f}")
    dragged_lon = float(await profile.field("lon").input_value())
    assert dragged_lon > lon  # dragged east
    lat = float(await profile.field("lat").input_value())
    await page.screenshot(path=str(shots / "places-org-map-360.png"), full_page=True)
    assert await _overflow(page) == 0
    await profile.save_expecting_success()
    await expect(profile.place()).to_have_text("Dónde: Durango, México")

    org = await _org_of("ejido-ciudad@example.org")
    assert (org["country"], org["region"]) == ("MX", "MX-DUR")
    assert (round(org["lat"], 6), round(org["lon"], 6)) == (round(lat, 6), round(dragged_lon, 6))


async def test_organisation_without_javascript_regions_follow_the_country(new_page: NewPage, shots: Path) -> None:
    producer = await make_user("producer", email="sin-js@example.org")
    page = await new_page(java_script_enabled=False, **PHONE)
    login = LoginPage(page, js=False)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)
    profile = OrganizationPage(page, js=False)
    await profile.open()
    await expect(profile.map()).to_be_hidden()  # the map needs scripts; the typed numbers do not
    await profile.fill(name="Comunidad Uaxactún", lat="17.3946", lon="-89.6337")
    await profile.choose_region_named("Durango")  # the list drawn for the stored country, Mexico
    await profile.choose_country_named("Guatemala")
    await profile.save()
    # The region list on screen was Mexico's: nothing is saved, the page says why and lists Guatemala's.
    await expect(profile.errors_summary()).to_be_visible()
    assert await profile.error_for("region") == "The choices now fit Guatemala: choose again and send the form."
    assert "Petén" in await profile.region_names()
    await expect(profile.field("name")).to_have_value("Comunidad Uaxactún")
    await expect(profile.field("lat")).to_have_value("17.3946")
    await page.screenshot(path=str(shots / "places-org-nojs-360.png"), full_page=True)
    assert await _org_of(producer.email) == {"country": "MX", "region": "", "lat": None, "lon": None}

    await profile.choose_region_named("Petén")
    await profile.save_expecting_success()
    await expect(profile.place()).to_have_text("Where: Petén, Guatemala")
    assert await _org_of(producer.email) == {"country": "GT", "region": "GT-17", "lat": 17.3946, "lon": -89.6337}


async def test_offer_form_with_latex_lists_only_latex_choices(new_page: NewPage, shots: Path) -> None:
    producer = await make_user("producer", email="hule@example.org")
    await make_certificate(producer, code="SCS-FM/COC-004777", product_types=["field_latex", "cup_lump"])
    page = await new_page(**PHONE)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)
    form = OfferFormPage(page)
    await form.open()
    await form.choose_category("latex")
    types = await form.field("product_type").locator("option").evaluate_all("els => els.map(e => e.value)")
    units = await form.field("unit").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert (types, units) == ([""] + LATEX_TYPES, [""] + LATEX_UNITS)
    await expect(form.field("unit")).to_have_value("")  # m³ does not stay chosen
    await expect(form.field("drc_percent")).to_be_visible()
    await page.screenshot(path=str(shots / "places-offer-latex-360.png"), full_page=True)
    assert await _overflow(page) == 0
    ref = await form.publish(
        certificate_code="SCS-FM/COC-004777",
        claim="FSC 100%",
        category="latex",
        product_type="field_latex",
        title="Látex de campo de Chiapas",
        quantity="2000",
        unit="kg_latex",
        drc_percent="35",
        available_from=iso(5),
        available_to=iso(90),
    )
    row = (
        await Offer.select(Offer.category, Offer.product_type, Offer.unit, Offer.quantity_canonical)
        .where(Offer.ref == ref)
        .first()
    )
    assert row == {"category": "latex", "product_type": "field_latex", "unit": "kg_latex", "quantity_canonical": 700.0}


async def test_offer_form_without_javascript_says_why_after_choosing_latex(new_page: NewPage, shots: Path) -> None:
    producer = await make_user("producer", email="hule-sin-js@example.org")
    await make_certificate(producer, code="SCS-FM/COC-004778", product_types=["cup_lump"])
    page = await new_page(java_script_enabled=False, **PHONE)
    login = LoginPage(page, js=False)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)
    form = OfferFormPage(page, js=False)
    await form.open()
    await form.choose_certificate("SCS-FM/COC-004778")
    await form.select(claim="FSC 100%", category="latex")
    await form.fill(title="Coágulo de taza", quantity="5", available_from=iso(3), available_to=iso(60))
    await form.by_testid("offer-submit").click()
    await expect(form.errors_summary()).to_be_visible()
    message = "The choices now fit Natural rubber latex: choose again and send the form."
    assert (await form.error_for("product_type"), await form.error_for("unit")) == (message, message)
    types = await form.field("product_type").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert types == [""] + LATEX_TYPES
    await expect(form.field("title")).to_have_value("Coágulo de taza")
    await page.screenshot(path=str(shots / "places-offer-nojs-360.png"), full_page=True)
    assert await Offer.count() == 0

    await form.select(product_type="cup_lump", unit="t_drc")
    await form.by_testid("offer-submit").click()
    await form.expect_at(r"/offers/[^/?#]+\?published=1")
    row = await Offer.select(Offer.product_type, Offer.unit, Offer.quantity_canonical).first()
    assert row == {"product_type": "cup_lump", "unit": "t_drc", "quantity_canonical": 5000.0}


async def test_request_form_with_latex_lists_only_latex_choices(new_page: NewPage) -> None:
    buyer = await make_user("buyer", email="llantas@example.org")
    page = await new_page(**PHONE)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(buyer.email, PASSWORD)
    form = RequestFormPage(page)
    await form.open()
    await expect(form.field("delivery_country")).to_have_value("MX")  # the buyer's own country to start with
    await form.choose_category("latex")
    boxes = page.locator('input[name="product_types"]')
    assert await boxes.evaluate_all("els => els.map(e => e.value)") == LATEX_TYPES
    units = await form.field("unit").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert units == [""] + LATEX_UNITS
    await form.choose_country("GT")
    assert "GT-17" in await form.field("delivery_region").locator("option").evaluate_all("els => els.map(e => e.value)")
    assert re.search(r"/my/requests/new$", page.url)
