"""Real browser: a group manager at 360 px lets a collector record its members' deliveries, which the collector then
does at the scale; staff at 1280 px read the traceability measurement and open a lot with errors from it. Each ends
by checking the database."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import CollectorLink, Delivery, LotResult
from tests.e2e.pages import LoginPage
from tests.e2e.pages_collector import DeliveryFormPage
from tests.factories import PASSWORD, make_user
from tests.integration.test_traceability_collector_links import with_stranger
from tests.integration.test_traceability_import import trace_doc

pytestmark = pytest.mark.e2e


async def test_a_group_links_a_collector_which_then_records_its_members_latex(
    new_page: Any, live: Any, shots: Any
) -> None:
    await import_document(with_stranger())
    manager = await accounts.create_user(
        email="e2e-gestora@coop-acre.example.org", password=PASSWORD, role="producer", organization_ref="coop-acre"
    )
    collector = await accounts.create_user(
        email="e2e-balanca@usina-norte.example.org", password=PASSWORD, role="producer", organization_ref="usina-norte"
    )
    page = await new_page(viewport={"width": 360, "height": 780})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(manager.email, PASSWORD)
    await page.goto("/traceability")
    await page.get_by_test_id("hub-collectors").click()
    await expect(page.get_by_test_id("linked-usina-rio")).to_be_visible()
    await page.locator("#f-collector").fill("usina-norte · Usina Norte")
    await page.get_by_test_id("collector-add").click()
    await expect(page.get_by_test_id("notice-added")).to_be_visible()
    await expect(page.get_by_test_id("linked-usina-norte")).to_contain_text("Usina Norte")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await page.screenshot(path=str(shots / "group-collectors-360.png"), full_page=True)

    other = await new_page(viewport={"width": 360, "height": 780})
    login = LoginPage(other)
    await login.open()
    await login.sign_in(collector.email, PASSWORD)
    form = DeliveryFormPage(other)
    await form.open()
    await form.record(member="A-001 · Maria Souza", plot="p-1", form="cup_lump", dry_kg="14")
    await expect(form.status).to_contain_text("14")

    links = await CollectorLink.select(CollectorLink.collector.ref.as_alias("c")).order_by(CollectorLink.id)
    assert [r["c"] for r in links] == ["usina-rio", "usina-norte"]
    rows = await Delivery.select(Delivery.member.ref.as_alias("m"), Delivery.dry_kg).where(
        Delivery.collector.ref == "usina-norte"
    )
    assert rows == [{"m": "m-1", "dry_kg": 14.0}]


async def test_staff_read_the_traceability_measurement_and_open_a_lot_with_errors(
    new_page: Any, live: Any, shots: Any
) -> None:
    doc = trace_doc()
    doc["deliveries"][0]["drc_percent"] = 60  # outside 20-45 %: lot-1 (and lot-2, drawing from it) get an error
    doc["lots"][0]["output_dry_kg"] = 700
    await import_document(doc)
    staff = await make_user("staff")
    page = await new_page(viewport={"width": 1280, "height": 900})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(staff.email, PASSWORD)
    await page.goto("/staff/analytics")
    await page.get_by_test_id("traceability-link").click()
    await expect(page.get_by_test_id("fig-trace-lots")).to_contain_text("2")
    await page.screenshot(path=str(shots / "staff-traceability-1280.png"), full_page=True)
    await page.get_by_test_id("lot-link-lot-1").click()
    await expect(page.locator("h1")).to_have_text("Lot lot-1")
    await expect(page.locator('[data-testid="lot-checks"] li[data-code="DRC_OUT_OF_RANGE"]')).to_contain_text("Error")

    errored = await LotResult.select(LotResult.lot.ref.as_alias("ref"), LotResult.eudr_ready).order_by(
        LotResult.lot.ref
    )
    assert errored == [{"ref": "lot-1", "eudr_ready": False}, {"ref": "lot-2", "eudr_ready": False}]
