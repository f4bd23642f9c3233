"""Real browser: staff set up a program's agenda (one computed, one reported indicator), enter a reported value,
return it with a comment, correct and approve it, and see it on the results page; a member reads the results on a
360 px phone without sideways scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Locator, expect

from app.accounts.tables import User
from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue, ReportedValueStep
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD
from tests.integration.agenda_data import CURRENT, Agenda, agenda_world

pytestmark = pytest.mark.e2e


@pytest.fixture(name="agenda")
async def fx_agenda(live: Any) -> Agenda:
    return await agenda_world()


class AgendaPage(BasePage):
    """A program's indicators for staff (/staff/programs/{id}/agenda) and the indicator form."""

    def __init__(self, page: Any, program_id: int) -> None:
        super().__init__(page)
        self.path = f"/staff/programs/{program_id}/agenda"

    async def add_indicator(self, *, selects: dict[str, str], **fields: str) -> None:
        await self.by_testid("indicator-new").click()
        await self.expect_at(re.escape(self.path) + "/new")
        await self.select(**selects)
        await self.fill(**fields)
        await self.by_testid("indicator-save").click()
        await self.expect_at(re.escape(self.path) + r"\?done=created")


class ValuesPage(BasePage):
    """A reported indicator's values and their workflow."""

    def card(self, value_id: int) -> Locator:
        return self.by_testid(f"value-{value_id}")

    async def act(self, testid: str, status: str, value_id: int) -> None:
        await self.by_testid(testid).click()
        await expect(self.card(value_id)).to_have_attribute("data-status", status)


async def test_staff_set_up_an_agenda_and_approve_a_corrected_value(new_page: Any, live: Any, agenda: Agenda) -> None:
    page = await new_page(viewport={"width": 1280, "height": 900})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(agenda.staff.email, PASSWORD)
    await page.goto("/staff/programs")
    await page.get_by_test_id(f"program-agenda-{agenda.program_id}").click()
    setup = AgendaPage(page, agenda.program_id)
    await setup.expect_at(re.escape(setup.path))

    # A typo in the period comes back inline with what was typed.
    await setup.by_testid("indicator-new").click()
    await setup.select(source="computed", measure="contacts")
    await setup.fill(name_en="Contacts", target_period_0="Q4", target_value_0="2")
    await setup.by_testid("indicator-save").click()
    await expect(page.locator("#f-target_period_0-error")).to_have_text(
        "Enter a quarter such as 2026-Q3 or a year such as 2026."
    )
    await expect(setup.field("target_period_0")).to_have_value("Q4")
    await setup.fill(target_period_0=CURRENT.label)
    await setup.by_testid("indicator-save").click()
    await setup.expect_at(re.escape(setup.path) + r"\?done=created")

    await setup.add_indicator(
        selects={"source": "reported", "disaggregation": ""},
        name_en="Hectares restored",
        name_es="Hectáreas restauradas",
        unit="ha",
        baseline_value="4",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_value_0="8",
    )
    reported = await Indicator.select(Indicator.id).where(Indicator.source == "reported").first()
    await setup.by_testid(f"indicator-values-{reported['id']}").click()
    values = ValuesPage(page)
    await values.expect_at(re.escape(f"/staff/agenda/indicators/{reported['id']}/values"))
    await values.fill(period=CURRENT.label, value="12")
    await values.by_testid("value-save").click()
    await expect(values.by_testid("values-empty")).to_have_count(0)
    value_id = (await ReportedValue.select(ReportedValue.id).first())["id"]
    await expect(values.card(value_id)).to_have_attribute("data-status", "draft")

    await values.act(f"value-submit-{value_id}", "submitted", value_id)
    # Returning needs a comment: without one the page says so next to the field.
    await values.by_testid(f"value-return-{value_id}").click()
    await expect(page.locator(f"#f-comment_{value_id}-error")).to_have_text("Say what should be corrected.")
    await values.fill(**{f"comment_{value_id}": "12 ha counts the nursery; give the planted area only"})
    await values.act(f"value-return-{value_id}", "returned", value_id)
    await expect(values.by_testid(f"value-comment-{value_id}")).to_contain_text("give the planted area only")

    await values.by_testid(f"value-correct-toggle-{value_id}").click()
    await values.fill(**{f"value_{value_id}": "9"})
    await values.by_testid(f"value-correct-save-{value_id}").click()
    await expect(values.by_testid(f"value-number-{value_id}")).to_have_text("9")
    await values.act(f"value-submit-{value_id}", "submitted", value_id)
    await values.act(f"value-approve-{value_id}", "approved", value_id)

    await page.goto(f"/programs/{agenda.program_id}/results")
    await expect(page.get_by_test_id(f"actual-{reported['id']}-{CURRENT.label}")).to_have_text("9")
    computed = await Indicator.select(Indicator.id).where(Indicator.source == "computed").first()
    await expect(page.get_by_test_id(f"actual-{computed['id']}-{CURRENT.label}")).to_have_text("3")
    await expect(page.get_by_test_id(f"on-track-{reported['id']}")).to_have_attribute("data-state", "on-track")
    await expect(page.get_by_test_id(f"indicator-{reported['id']}").locator("svg rect")).to_have_count(1)

    # The database holds what the pages said.
    row = await ReportedValue.select().where(ReportedValue.id == value_id).first()
    assert (row["status"], row["value"], row["period_start"], row["reviewed_by"]) == (
        "approved",
        9.0,
        CURRENT.start,
        agenda.staff.id,
    )
    steps = await ReportedValueStep.select(ReportedValueStep.status).order_by(ReportedValueStep.id)
    assert [s["status"] for s in steps] == ["draft", "submitted", "returned", "returned", "submitted", "approved"]
    assert await IndicatorTarget.count() == 2
    assert await Indicator.count() == 2


async def test_member_reads_results_on_a_phone_without_sideways_scroll(
    new_page: Any, live: Any, agenda: Agenda
) -> None:
    from app.agenda import services

    indicator_id = await services.create_indicator(
        agenda.staff,
        agenda.program_id,
        {
            "name_es": "Productores alcanzados por país y forma jurídica del programa comunitario",
            "source": "computed",
            "measure": "producers_reached",
            "disaggregation": "legal_form",
            "direction": "increase",
            "target_period_0": CURRENT.label,
            "target_value_0": "1",
        },
    )
    # Spanish runs about a quarter longer than English: the phone layout is checked in it.
    await User.update({User.locale: "es_MX"}).where(User.id == agenda.producer.id)
    page = await new_page(viewport={"width": 360, "height": 800})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(agenda.producer.email, PASSWORD)
    await page.goto("/dashboard")
    await page.get_by_test_id(f"member-program-{agenda.program_id}").click()
    await expect(page.get_by_test_id(f"indicator-{indicator_id}")).to_be_visible()
    await expect(page.get_by_test_id(f"actual-{indicator_id}-{CURRENT.label}")).to_have_text("1")
    assert await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await page.screenshot(path="/tmp/fm-shots/agenda-results-360.png", full_page=True)
    assert await Indicator.count() == 1
