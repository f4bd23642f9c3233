"""Real browser: staff open a program's report from the programs list in Spanish, pick a period, read it at 1280 px
and at 360 px without sideways scrolling, print it (the printable page, and the print stylesheet: no navigation, no
controls, every section there, one section per A4 page, as Chromium prints it) and download the PDF (a real PDF
naming the program)."""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect
from pypdf import PdfReader

from app.accounts.tables import User
from app.agenda import services
from app.agenda.tables import Indicator, ReportedValue
from tests.e2e.pages import LoginPage
from tests.factories import PASSWORD
from tests.integration.agenda_data import PREVIOUS, Agenda, agenda_world

pytestmark = pytest.mark.e2e


@pytest.fixture(name="agenda")
async def fx_agenda(live: Any) -> Agenda:
    return await agenda_world()


async def test_staff_read_a_report_in_spanish_and_download_its_pdf(new_page: Any, live: Any, agenda: Agenda) -> None:
    indicator_id = await services.create_indicator(
        agenda.staff,
        agenda.program_id,
        {
            "name_es": "Contactos con compradores de las comunidades forestales del programa",
            "source": "computed",
            "measure": "contacts",
            "direction": "increase",
            "target_period_0": PREVIOUS.label,
            "target_value_0": "3",
        },
    )
    await User.update({User.locale: "es_MX"}).where(User.id == agenda.staff.id)
    page = await new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    login = LoginPage(page)
    await login.open()
    await login.sign_in(agenda.staff.email, PASSWORD)
    await page.goto("/staff/programs")
    await page.get_by_test_id(f"program-report-{agenda.program_id}").click()
    await expect(page).to_have_url(re.compile(re.escape(f"/programs/{agenda.program_id}/report") + "$"))
    await expect(page.get_by_test_id("report-title")).to_contain_text(PREVIOUS.label)

    # Pick the year of the previous quarter, then the quarter again, with the picker.
    await page.get_by_test_id("field-period").fill(str(PREVIOUS.start.year))
    await page.get_by_test_id("report-show").click()
    await expect(page).to_have_url(re.compile(r"period=" + str(PREVIOUS.start.year) + "$"))
    await page.get_by_test_id("field-period").fill(PREVIOUS.label)
    await page.get_by_test_id("report-show").click()
    await expect(page).to_have_url(re.compile(r"period=" + PREVIOUS.label + "$"))
    await expect(page.get_by_test_id(f"report-actual-{indicator_id}")).to_have_text("2")
    await expect(page.get_by_test_id(f"report-verdict-{indicator_id}")).to_have_text("Fuera de camino")
    await expect(page.get_by_test_id("report-trade-contacts")).to_have_text("2")
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await page.screenshot(path="/tmp/fm-shots/program-report-1280-es.png", full_page=True)

    # Printing: the printable page drops the controls on screen already...
    await page.get_by_test_id("report-print").click()
    await expect(page).to_have_url(re.compile(re.escape(f"period={PREVIOUS.label}&print=1") + "$"))
    await expect(page.get_by_test_id("report-picker")).to_be_hidden()
    await expect(page.get_by_test_id("report-pdf")).to_be_hidden()
    await expect(page.get_by_test_id(f"report-actual-{indicator_id}")).to_have_text("2")
    # ...and the print stylesheet hides the navigation and every control, and keeps each section.
    await page.goto(f"/programs/{agenda.program_id}/report?period={PREVIOUS.label}")
    await expect(page.locator(".site-header")).to_be_visible()
    await page.emulate_media(media="print")
    for chrome in (".site-header", ".site-nav", ".site-footer"):
        await expect(page.locator(chrome)).to_be_hidden()
    for control in ("report-picker", "report-pdf", "report-print", "report-results"):
        await expect(page.get_by_test_id(control)).to_be_hidden()
    for section in ("report-indicators", "report-highlights", "report-trade"):
        await expect(page.get_by_test_id(section)).to_be_visible()
    await expect(page.get_by_test_id(f"report-verdict-{indicator_id}")).to_have_text("Fuera de camino")
    await page.screenshot(path="/tmp/fm-shots/program-report-print-1280-es.png", full_page=True)
    # What Chromium prints: A4 pages, one per section, with the figures and without the page's controls.
    printed = PdfReader(io.BytesIO(await page.pdf(format="A4", print_background=False)))
    printed_text = "\n".join(p.extract_text() for p in printed.pages)
    assert len(printed.pages) == 3, printed_text
    first_page = " ".join(printed.pages[0].extract_text().split())  # long names wrap across lines
    assert "Contactos con compradores de las comunidades forestales del programa" in first_page
    assert "Real 2 Valoración Fuera de camino" in first_page
    assert "Descargar en PDF" not in printed_text and "Ver el informe" not in printed_text
    assert "Cerrar sesión" not in printed_text
    await page.emulate_media(media="screen")
    await expect(page.locator(".site-header")).to_be_visible()

    await page.set_viewport_size({"width": 360, "height": 800})
    await page.reload()
    await expect(page.get_by_test_id(f"report-verdict-{indicator_id}")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await page.screenshot(path="/tmp/fm-shots/program-report-360-es.png", full_page=True)

    async with page.expect_download() as info:
        await page.get_by_test_id("report-pdf").click()
    download = await info.value
    assert download.suggested_filename == f"forestmatch-report-acre-and-durango-{PREVIOUS.label}.pdf"
    content = await asyncio.to_thread(Path(await download.path()).read_bytes)
    assert content.startswith(b"%PDF-")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert "Acre and Durango" in text
    assert "Contactos con compradores de las comunidades forestales del programa" in text

    # Reading a report writes nothing: the agenda is as it was set up.
    assert await Indicator.count() == 1
    assert await ReportedValue.count() == 0
