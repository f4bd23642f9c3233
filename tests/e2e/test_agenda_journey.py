"""Real browser: staff set up a program's agenda (three computed indicators on different measures, two reported
ones, each with a baseline and targets), enter the reported values (one returned with a comment, corrected and
approved), and see all five with their actuals on the results page, in English and (for a member) in Spanish at
1280 and 360 px; a member reads the results on a 360 px phone without sideways scrolling."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from playwright.async_api import Locator, expect

from app.accounts.tables import User
from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue, ReportedValueStep
from app.messaging.tables import Conversation, Message
from app.offers.tables import Offer
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD
from tests.integration.agenda_data import CURRENT, NEXT, Agenda, agenda_world

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


async def _expected_computed(agenda: Agenda) -> dict[str, str]:
    """What the seeded trade implies for the program this quarter, counted straight from the records (not through
    the measures the results page uses): conversations the member producer was asked in, the share it answered,
    and the member organisations that posted an offer or wrote in the quarter; as the page prints them."""
    start = dt.datetime.combine(CURRENT.start, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(CURRENT.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    members = [agenda.producer.organization_id, agenda.named.organization_id]
    conversations = await Conversation.select(Conversation.id).where(
        Conversation.producer_organization.is_in(members)
        & (Conversation.created_at >= start)
        & (Conversation.created_at < end)
    )
    ids = [c["id"] for c in conversations]
    answered = await Message.select(Message.conversation).where(
        Message.conversation.is_in(ids) & Message.sender_organization.is_in(members)
    )
    offering = await Offer.select(Offer.organization).where(
        Offer.organization.is_in(members) & (Offer.created_at >= start) & (Offer.created_at < end)
    )
    writing = await Message.select(Message.sender_organization).where(
        Message.sender_organization.is_in(members) & (Message.created_at >= start) & (Message.created_at < end)
    )
    reached = {r["organization"] for r in offering} | {r["sender_organization"] for r in writing}
    replied = {r["conversation"] for r in answered}
    return {
        "contacts": f"{len(ids)}",
        "reply_rate": f"{100 * len(replied) / len(ids):.1f}",
        "producers_reached": f"{len(reached)}",
    }


async def test_staff_set_up_an_agenda_of_five_indicators_and_approve_a_corrected_value(
    new_page: Any, live: Any, agenda: Agenda
) -> None:
    expected = await _expected_computed(agenda)
    # The seed is what this test is about: three contacts this quarter, two answered, one producer reached.
    assert expected == {"contacts": "3", "reply_rate": "66.7", "producers_reached": "1"}

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
    await setup.fill(
        name_es="Contactos",
        baseline_value="1",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_period_1=NEXT.label,
        target_value_1="4",
    )
    await setup.by_testid("indicator-save").click()
    await setup.expect_at(re.escape(setup.path) + r"\?done=created")

    # Two more computed indicators (other measures) and two reported ones, each with a baseline and two targets.
    await setup.add_indicator(
        selects={"source": "computed", "measure": "reply_rate", "direction": "increase"},
        name_en="Reply rate",
        name_es="Tasa de respuesta",
        baseline_value="50",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_value_0="60",
        target_period_1=NEXT.label,
        target_value_1="70",
    )
    await setup.add_indicator(
        selects={"source": "computed", "measure": "producers_reached", "direction": "increase"},
        name_en="Producers reached",
        name_es="Productores alcanzados",
        baseline_value="0",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_value_0="100",
        target_period_1=NEXT.label,
        target_value_1="120",
    )
    await setup.add_indicator(
        selects={"source": "reported", "disaggregation": ""},
        name_en="Hectares restored",
        name_es="Hectáreas restauradas",
        unit="ha",
        baseline_value="4",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_value_0="8",
        target_period_1=NEXT.label,
        target_value_1="10",
    )
    await setup.add_indicator(
        selects={"source": "reported", "direction": "decrease", "disaggregation": ""},
        name_en="Days to pay a producer",
        name_es="Días para pagar a un productor",
        unit="days",
        baseline_value="45",
        baseline_date="2025-12-31",
        target_period_0=CURRENT.label,
        target_value_0="30",
        target_period_1=NEXT.label,
        target_value_1="20",
    )
    ids = {
        (r["measure"] or r["name_en"]): r["id"]
        for r in await Indicator.select(Indicator.id, Indicator.measure, Indicator.name_en).order_by(Indicator.id)
    }
    assert list(ids) == ["contacts", "reply_rate", "producers_reached", "Hectares restored", "Days to pay a producer"]
    for indicator_id in ids.values():
        await expect(setup.by_testid(f"indicator-row-{indicator_id}")).to_be_visible()

    # Hectares: entered, submitted, returned with a comment, corrected, resubmitted and approved.
    hectares = ids["Hectares restored"]
    await setup.by_testid(f"indicator-values-{hectares}").click()
    values = ValuesPage(page)
    await values.expect_at(re.escape(f"/staff/agenda/indicators/{hectares}/values"))
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

    # Days to pay: entered, submitted and approved.
    days = ids["Days to pay a producer"]
    await page.goto(f"/staff/agenda/indicators/{days}/values")
    await expect(values.by_testid("values-empty")).to_be_visible()
    await values.fill(period=CURRENT.label, value="33")
    await values.by_testid("value-save").click()
    await expect(values.by_testid("values-empty")).to_have_count(0)
    days_value = (await ReportedValue.select(ReportedValue.id).where(ReportedValue.indicator == days).first())["id"]
    await expect(values.card(days_value)).to_have_attribute("data-status", "draft")
    await values.act(f"value-submit-{days_value}", "submitted", days_value)
    await values.act(f"value-approve-{days_value}", "approved", days_value)

    # The results page: all five, each with its actual for this quarter.
    await page.goto(f"/programs/{agenda.program_id}/results")
    actuals = {
        ids["contacts"]: expected["contacts"],
        ids["reply_rate"]: expected["reply_rate"],
        ids["producers_reached"]: expected["producers_reached"],
        hectares: "9",
        days: "33",
    }
    await expect(page.locator("section.agenda__indicator")).to_have_count(5)
    for indicator_id, actual in actuals.items():
        await expect(page.get_by_test_id(f"actual-{indicator_id}-{CURRENT.label}")).to_have_text(actual)
    # Against the targets to date (a running quarter's count target prorated by the days gone, so 2 contacts and 8 ha
    # are at most 2 and 8; 100 producers are more than 1 from the quarter's first day on), shares and lower-is-better
    # compared whole: 3 contacts, 66.7 % >= 60 % and 9 ha are on track; 1 producer and 33 days > 30 are not.
    states = {
        ids["contacts"]: "on-track",
        ids["reply_rate"]: "on-track",
        ids["producers_reached"]: "off-track",
        hectares: "on-track",
        days: "off-track",
    }
    for indicator_id, state in states.items():
        await expect(page.get_by_test_id(f"on-track-{indicator_id}")).to_have_attribute("data-state", state)
    await expect(page.get_by_test_id(f"indicator-{hectares}").locator("svg rect")).to_have_count(1)
    await page.screenshot(path="/tmp/fm-shots/agenda-five-results-1280-en.png", full_page=True)

    # A member reads the same five in Spanish, on a desk and on a phone.
    await User.update({User.locale: "es_MX"}).where(User.id == agenda.producer.id)
    for width in (1280, 360):
        member = await new_page(viewport={"width": width, "height": 900})
        await LoginPage(member).open()
        await LoginPage(member).sign_in(agenda.producer.email, PASSWORD)
        await member.goto(f"/programs/{agenda.program_id}/results")
        await expect(member.get_by_test_id(f"indicator-{days}")).to_contain_text("Días para pagar a un productor")
        await expect(member.get_by_test_id(f"on-track-{hectares}")).to_have_text("En camino")
        # es_MX writes decimals with a point, as English does.
        await expect(member.get_by_test_id(f"actual-{ids['reply_rate']}-{CURRENT.label}")).to_have_text(
            expected["reply_rate"]
        )
        await expect(member.get_by_test_id(f"actual-{hectares}-{CURRENT.label}")).to_have_text("9")
        scroll = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        assert await member.evaluate(scroll) == 0
        await member.screenshot(path=f"/tmp/fm-shots/agenda-five-results-{width}-es.png", full_page=True)

    # The database holds what the pages said.
    row = await ReportedValue.select().where(ReportedValue.id == value_id).first()
    assert (row["status"], row["value"], row["period_start"], row["reviewed_by"]) == (
        "approved",
        9.0,
        CURRENT.start,
        agenda.staff.id,
    )
    steps = (
        await ReportedValueStep.select(ReportedValueStep.status)
        .where(ReportedValueStep.reported_value == value_id)
        .order_by(ReportedValueStep.id)
    )
    assert [s["status"] for s in steps] == ["draft", "submitted", "returned", "returned", "submitted", "approved"]
    days_row = (
        await ReportedValue.select(ReportedValue.status, ReportedValue.value)
        .where(ReportedValue.id == days_value)
        .first()
    )
    assert days_row == {"status": "approved", "value": 33.0}
    stored = await Indicator.select(
        Indicator.source, Indicator.measure, Indicator.direction, Indicator.baseline_value
    ).order_by(Indicator.id)
    assert [(r["source"], r["measure"], r["direction"], r["baseline_value"]) for r in stored] == [
        ("computed", "contacts", "increase", 1.0),
        ("computed", "reply_rate", "increase", 50.0),
        ("computed", "producers_reached", "increase", 0.0),
        ("reported", "", "increase", 4.0),
        ("reported", "", "decrease", 45.0),
    ]
    targets = (
        await IndicatorTarget.select(IndicatorTarget.indicator, IndicatorTarget.value)
        .order_by(IndicatorTarget.indicator)
        .order_by(IndicatorTarget.period_start)
    )
    assert [(t["indicator"], t["value"]) for t in targets] == [
        (ids["contacts"], 2.0),
        (ids["contacts"], 4.0),
        (ids["reply_rate"], 60.0),
        (ids["reply_rate"], 70.0),
        (ids["producers_reached"], 100.0),
        (ids["producers_reached"], 120.0),
        (hectares, 8.0),
        (hectares, 10.0),
        (days, 30.0),
        (days, 20.0),
    ]


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
