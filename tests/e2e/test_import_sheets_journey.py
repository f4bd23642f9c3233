"""Real browser: staff download the import template, fill 2,000 producers (organisations and certificates) into it,
see every planted problem in the preview with nothing written, upload the corrected workbook and import it; the
planted problems read in Spanish at 1280 and 360 px."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from playwright.async_api import Locator, expect

from app.accounts.tables import Organization, User
from app.certificates.tables import Certificate
from tests.e2e.conftest import SHOTS, NewPage
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e
PRODUCERS = 2000
# Reading and checking 2,000 rows takes a few seconds, more on a machine shared with other work.
CHECK_MS = 30_000


class SheetImportPage(BasePage):
    """Import a spreadsheet (/staff/import/sheet)."""

    path = "/staff/import/sheet"

    async def upload(self, file: Path) -> None:
        await self.field("sheet").set_input_files(str(file))
        await self.by_testid("sheet-check").click()

    def problems(self) -> Locator:
        return self.by_testid("sheet-problems").locator("tbody tr")


def fill(template: Path, out: Path, planted: bool) -> None:
    """The template with PRODUCERS organisations and their certificates; ``planted``: three rows wrong."""
    book = load_workbook(template)
    expires = dt.date.today() + dt.timedelta(days=500)
    orgs, certs = book["organizations"], book["certificates"]
    assert [c.value for c in orgs[2]] == ["ref", "name", "kind"]
    for i in range(1, PRODUCERS + 1):
        orgs.append([f"prod-{i}", f"Productor {i}", "farmer" if planted and i == 7 else "producer"])
        date: Any = "12/03/2031" if planted and i == 250 else expires
        scope = "XX" if planted and i == 1999 else "FM/COC"
        certs.append([f"cert-{i}", f"prod-{i}", f"SCS-FM/COC-{i:06d}", scope, "valid", date, "roundwood"])
    book.save(out)


async def test_staff_imports_two_thousand_producers_from_the_template(
    new_page: NewPage, live: Any, tmp_path: Path
) -> None:
    staff = await make_user("staff")
    page = await new_page()
    login = LoginPage(page)
    await login.open()
    await login.sign_in(staff.email, PASSWORD)
    sheets = SheetImportPage(page)
    await sheets.open()

    await sheets.by_testid("sheet-templates").locator("summary").click()
    async with page.expect_download() as info:
        await sheets.by_testid("template-all-xlsx-short").click()
    download = await info.value
    assert download.suggested_filename == "forestmatch-all-short.xlsx"
    template = tmp_path / download.suggested_filename
    await download.save_as(template)

    wrong, right = tmp_path / "producers-wrong.xlsx", tmp_path / "producers.xlsx"
    fill(template, wrong, planted=True)
    fill(template, right, planted=False)

    await sheets.upload(wrong)
    await expect(sheets.by_testid("sheet-problem-count")).to_contain_text(
        "3 problems: nothing was imported.", timeout=CHECK_MS
    )
    await expect(sheets.problems()).to_have_count(3)
    await expect(sheets.problems().nth(0)).to_contain_text("Unknown value 'farmer'")
    await expect(sheets.problems().nth(0).locator("td").nth(1)).to_have_text("11")  # 4 template rows, then row 7
    await expect(sheets.problems().nth(1)).to_contain_text("12/03/2031 could be read day first or month first")
    await expect(sheets.problems().nth(2)).to_contain_text("cert-1999")
    await expect(sheets.by_testid("sheet-import")).to_have_count(0)
    await page.screenshot(path=str(SHOTS / "sheet-import-preview.png"), full_page=True)
    assert await Organization.count().where(Organization.kind == "producer") == 0

    await sheets.upload(right)
    await expect(sheets.by_testid("sheet-ready")).to_contain_text(
        "organizations: 2000, certificates: 2000", timeout=CHECK_MS
    )
    await sheets.by_testid("sheet-import").click()
    await expect(sheets.by_testid("sheet-imported")).to_be_visible(timeout=60_000)
    await expect(sheets.by_testid("summary-organizations")).to_contain_text("2000")
    await expect(sheets.by_testid("org-prod-1999")).to_contain_text("Productor 1999")
    await page.screenshot(path=str(SHOTS / "sheet-import-done.png"))

    assert await Organization.count().where(Organization.kind == "producer") == PRODUCERS
    assert await Certificate.count().where(Certificate.scope == "FM/COC") == PRODUCERS
    row = await Organization.select(Organization.name).where(Organization.ref == "prod-250").first()
    assert row == {"name": "Productor 250"}

    # In Spanish, the same planted problems read in Spanish, at a desk and on a phone; still nothing is written.
    await User.update({User.locale: "es_MX"}).where(User.id == staff.id)
    await sheets.open()
    await sheets.upload(wrong)
    await expect(sheets.by_testid("sheet-problem-count")).to_contain_text(
        "3 problemas: no se importó nada.", timeout=CHECK_MS
    )
    await expect(sheets.problems()).to_have_count(3)
    await expect(sheets.problems().nth(1)).to_contain_text("12/03/2031 puede leerse con el día primero")
    await expect(sheets.by_testid("sheet-import")).to_have_count(0)
    await page.screenshot(path=str(SHOTS / "sheet-import-preview-1280-es.png"), full_page=True)
    await page.set_viewport_size({"width": 360, "height": 800})
    await expect(sheets.problems()).to_have_count(3)
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await page.screenshot(path=str(SHOTS / "sheet-import-preview-360-es.png"), full_page=True)
    assert await Organization.count().where(Organization.kind == "producer") == PRODUCERS
    row = await Organization.select(Organization.kind).where(Organization.ref == "prod-7").first()
    assert row == {"kind": "producer"}
