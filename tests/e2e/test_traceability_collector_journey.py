"""Real browser at 360 px: a collector records a delivery online, loses the connection, records a second one (it
waits on the phone, also across a reload served by the service worker), and sees it sent when the connection
returns. The database ends with exactly two deliveries by this collector, never one twice."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import Delivery
from tests.clock import today
from tests.e2e.pages import LoginPage
from tests.e2e.pages_collector import DeliveryFormPage
from tests.factories import PASSWORD
from tests.integration.test_traceability_import import trace_doc

pytestmark = pytest.mark.e2e


async def test_a_collector_records_deliveries_online_and_offline(live: Any, new_page: Any, shots: Any) -> None:
    await import_document(trace_doc())  # the collector already received latex from this group: its members are listed
    collector = await accounts.create_user(
        email="balanca@usina-rio.example.org", password=PASSWORD, role="producer", organization_ref="usina-rio"
    )
    page = await new_page(viewport={"width": 360, "height": 740})
    await LoginPage(page).open()
    await LoginPage(page).sign_in("balanca@usina-rio.example.org", PASSWORD)
    scale = DeliveryFormPage(page)
    await scale.open()

    await scale.field("member").fill("A-001")
    await scale.fill(wet_kg="100", drc_percent="32")
    await expect(scale.by_testid("dry-preview")).to_have_text("32")
    await scale.record(member="A-001", plot="p-1", form="field_latex", wet_kg="100", drc_percent="32")
    await expect(scale.status).to_contain_text("Sent: 32 kg dry")
    assert await Delivery.count().where(Delivery.recorded_by == collector.id) == 1
    # The service worker has cached the form for the time without a connection.
    assert await page.evaluate("navigator.serviceWorker.ready.then(r => !!r.active)") is True

    await page.context.set_offline(True)
    await scale.record(member="A-002", plot="p-2", form="cup_lump", dry_kg="15")
    await expect(scale.waiting).to_have_count(1)
    await expect(scale.waiting).to_contain_text("A-002 · 15 kg")
    await expect(scale.status).to_contain_text("Offline: saved on this phone")
    assert await Delivery.count().where(Delivery.recorded_by == collector.id) == 1

    await page.reload()  # offline: the page comes from the service worker, the waiting delivery from storage
    await expect(scale.waiting).to_have_count(1)
    await page.screenshot(path=str(shots / "collector-offline-360.png"), full_page=True)

    await page.context.set_offline(False)
    await page.evaluate("window.dispatchEvent(new Event('online'))")
    await expect(scale.waiting).to_have_count(0)
    await expect(scale.status).to_contain_text("Sent: 15 kg dry")
    await page.screenshot(path=str(shots / "collector-sent-360.png"), full_page=True)
    assert await page.evaluate("localStorage.getItem('forestmatch.deliveries.waiting')") == "[]"

    rows = (
        await Delivery.select(
            Delivery.ref, Delivery.member.ref.as_alias("member"), Delivery.form, Delivery.dry_kg, Delivery.date
        )
        .where(Delivery.recorded_by == collector.id)
        .order_by(Delivery.id)
    )
    assert [(r["member"], r["form"], r["dry_kg"], r["date"]) for r in rows] == [
        ("m-1", "field_latex", None, today()),
        ("m-2", "cup_lump", 15.0, today()),
    ]
    assert len({r["ref"] for r in rows}) == 2
