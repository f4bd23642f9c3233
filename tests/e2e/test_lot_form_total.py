"""Real browser at 360 px: the new-lot form adds up the dry kg of the deliveries ticked and the parts of lots typed
as the collector works, and shows how far the output typed is from them; the lot saved holds exactly those inputs.
Without JavaScript the total stays hidden and the form still saves."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import expect

from app.accounts import services as accounts
from app.imports.services import import_document
from app.traceability.tables import Lot
from tests.e2e.pages import LoginPage
from tests.e2e.pages_collector import LotFormPage
from tests.factories import PASSWORD
from tests.integration.test_traceability_import import d, lot_inputs, trace_doc

pytestmark = pytest.mark.e2e

EMAIL = "balanca@usina-rio.example.org"


def doc_with_open_deliveries() -> dict[str, Any]:
    """trace_doc plus two deliveries not yet in a lot: del-4 (625 kg at 32 % DRC: 200 kg dry), del-5 (55.5 kg dry)."""
    doc = trace_doc()
    doc["deliveries"] += [
        {"ref": "del-4", "collector": "usina-rio", "member": "m-1", "plot": "p-1", "date": d(-3),
         "form": "field_latex", "wet_kg": 625, "drc_percent": 32},
        {"ref": "del-5", "collector": "usina-rio", "member": "m-2", "plot": "p-2", "date": d(-2),
         "form": "cup_lump", "dry_kg": 55.5},
    ]  # fmt: skip
    return doc


async def _signed_in_form(new_page: Any, **options: Any) -> tuple[Any, LotFormPage]:
    await import_document(doc_with_open_deliveries())
    await accounts.create_user(email=EMAIL, password=PASSWORD, role="producer", organization_ref="usina-rio")
    page = await new_page(viewport={"width": 360, "height": 740}, **options)
    js = options.get("java_script_enabled", True)
    await LoginPage(page, js=js).open()
    await LoginPage(page, js=js).sign_in(EMAIL, PASSWORD)
    form = LotFormPage(page, js=js)
    await form.open()
    return page, form


async def test_the_form_shows_the_running_total_and_saves_those_inputs(live: Any, new_page: Any, shots: Any) -> None:
    page, form = await _signed_in_form(new_page)
    await expect(form.total).to_be_visible()
    await expect(form.total_inputs).to_have_text("Inputs ticked and drawn: 0 kg dry")
    await form.tick(form.delivery("del-4"))
    await expect(form.total_inputs).to_have_text("Inputs ticked and drawn: 200 kg dry")
    await form.tick(form.delivery("del-5"))
    await expect(form.total_inputs).to_have_text("Inputs ticked and drawn: 255.5 kg dry")
    await form.fill(source_lot_1="lot-1", source_kg_1="100,25")  # a comma is a decimal point, as the server reads it
    await expect(form.total_inputs).to_have_text("Inputs ticked and drawn: 355.75 kg dry")
    await expect(form.total_difference).to_have_text("")
    await form.fill(output_dry_kg="350")
    await expect(form.total_difference).to_have_text("Output minus inputs: -5.75 kg dry")
    await form.tick(form.delivery("del-5"), on=False)
    await expect(form.total_inputs).to_have_text("Inputs ticked and drawn: 300.25 kg dry")
    await expect(form.total_difference).to_have_text("Output minus inputs: +49.75 kg dry")
    await form.tick(form.delivery("del-5"))
    await expect(form.total_difference).to_have_text("Output minus inputs: -5.75 kg dry")
    await page.screenshot(path=str(shots / "lot-form-total-360.png"), full_page=True)
    ref = await form.field("ref").input_value()
    await form.save()
    # The lots list at 360 px: each lot a card with every value under its column's name, nothing scrolls sideways.
    await page.goto("/traceability/lots")
    row = page.get_by_test_id("lot-row").filter(has_text=ref)
    await expect(row.locator('td[data-label="Dry kg"]')).to_have_text("350")
    assert await page.evaluate("document.documentElement.scrollWidth") == 360
    assert await page.evaluate("document.querySelector('[data-testid=lot-table]').scrollWidth") <= 360
    await page.screenshot(path=str(shots / "lots-360.png"), full_page=True)
    lot = await Lot.select(Lot.output_dry_kg, Lot.holder.ref.as_alias("holder")).where(Lot.ref == ref).first()
    assert lot == {"output_dry_kg": 350.0, "holder": "usina-rio"}
    # The form lists the newest delivery first and posts the ticked ones in that order.
    assert await lot_inputs(ref) == [("del-5", None, None), ("del-4", None, None), (None, "lot-1", 100.25)]


async def test_without_javascript_the_total_stays_hidden_and_the_form_saves(live: Any, new_page: Any) -> None:
    _page, form = await _signed_in_form(new_page, java_script_enabled=False)
    await expect(form.total).to_be_hidden()
    await form.tick(form.delivery("del-5"))
    await form.fill(output_dry_kg="55.5")
    ref = await form.field("ref").input_value()
    await form.save()
    assert await lot_inputs(ref) == [("del-5", None, None)]
    assert await Lot.count().where(Lot.ref == ref) == 1
