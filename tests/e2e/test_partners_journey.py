"""Real browser: staff add two partners to a program; partner A commits and submits a progress update, staff return
it with a comment, A corrects and resubmits, staff approve. Partner B records its commitment on a 360 px phone in
Spanish; both partners report a value on the reported indicator from their own pages; staff return A's value with a
comment and approve B's; A corrects and resubmits, staff approve, and the results page's actual is the sum of the
two approved values. Ends by checking the database."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import Locator, expect

from app.accounts.tables import User
from app.agenda.tables import ReportedValue, ReportedValueStep
from app.partners.tables import Commitment, EvidenceFile, Partner, ProgressUpdate, ProgressUpdateStep
from tests.e2e.pages import BasePage, LoginPage
from tests.factories import PASSWORD
from tests.integration.partners_data import World, org_ref, partners_world

pytestmark = pytest.mark.e2e


@pytest.fixture(name="world")
async def fx_world(live: Any) -> World:
    return await partners_world(add_partners=False)


class CommitmentPage(BasePage):
    """A commitment with its progress updates (/commitments/{id})."""

    def card(self, update_id: int) -> Locator:
        return self.by_testid(f"update-{update_id}")

    async def act(self, testid: str, status: str, update_id: int) -> None:
        await self.by_testid(testid).click()
        await expect(self.card(update_id)).to_have_attribute("data-status", status)


def _of(user: Any) -> Any:
    return ReportedValue.organization == user.organization_id


async def _signed_in(new_page: Any, email: str, width: int = 1280) -> Any:
    page = await new_page(viewport={"width": width, "height": 900})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    return page


async def test_partners_commit_report_and_staff_review(new_page: Any, live: Any, world: World) -> None:
    w = world
    staff = await _signed_in(new_page, w.staff.email)
    await staff.goto("/staff/programs")
    await staff.get_by_test_id(f"program-partners-{w.program_id}").click()
    partners = BasePage(staff)
    await partners.expect_at(re.escape(f"/staff/programs/{w.program_id}/partners"))
    ngo_ref, buyer_ref = await org_ref(w.ngo), await org_ref(w.buyer)
    for ref, role in ((ngo_ref, "ngo"), (buyer_ref, "buyer")):
        await partners.select(organization=ref, role=role)
        await partners.by_testid("partner-add").click()
        await expect(partners.by_testid(f"partner-{ref}")).to_be_visible()

    # Partner A records a commitment and submits a progress update.
    ngo = await _signed_in(new_page, w.ngo.email)
    await ngo.goto(f"/programs/{w.program_id}/commitments")
    form = BasePage(ngo)
    await form.fill(title="Nurseries for rubber seedlings", responsible_name="Ana Souza")
    await form.field("indicators").select_option([str(w.computed_id), str(w.reported_id)])
    await form.fill(start_date="2025-07-01", end_date="2025-12-31")
    await form.select(status="under_way")
    await form.by_testid("commitment-save").click()
    await form.expect_at(r"/commitments/\d+\?done=commitment_created")
    commitment_id = (await Commitment.select(Commitment.id).first())["id"]
    detail = CommitmentPage(ngo)
    await detail.select(period="2025-Q3")
    await detail.fill(narrative="Nursery one built.", links="https://example.org/photos")
    await detail.field("files").set_input_files(
        {"name": "nursery.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 nursery"}
    )
    await detail.by_testid("update-create-submit").click()
    await expect(detail.by_testid("updates-empty")).to_have_count(0)
    update_id = (await ProgressUpdate.select(ProgressUpdate.id).first())["id"]
    await expect(detail.card(update_id)).to_have_attribute("data-status", "submitted")
    # A partner is offered no approval.
    await expect(detail.by_testid(f"update-approve-{update_id}")).to_have_count(0)

    # Staff return it with a comment.
    await staff.goto(f"/commitments/{commitment_id}")
    review = CommitmentPage(staff)
    await review.fill(**{f"comment_{update_id}": "Add the nursery's capacity."})
    await review.act(f"update-return-{update_id}", "returned", update_id)

    # Partner A corrects and resubmits.
    await ngo.goto(f"/commitments/{commitment_id}")
    await expect(detail.by_testid(f"update-comment-{update_id}")).to_contain_text("Add the nursery's capacity.")
    await detail.fill(**{f"narrative_{update_id}": "Nursery one built: 5000 seedlings."})
    await detail.act(f"update-resubmit-{update_id}", "submitted", update_id)

    # Staff approve.
    await staff.goto(f"/commitments/{commitment_id}")
    await review.act(f"update-approve-{update_id}", "approved", update_id)
    await expect(review.by_testid(f"update-narrative-{update_id}")).to_have_text("Nursery one built: 5000 seedlings.")

    # Partner B, on a phone and in Spanish, records its own commitment on the reported indicator.
    await User.update({User.locale: "es_MX"}).where(User.id.is_in([w.ngo.id, w.buyer.id]))
    phone = await _signed_in(new_page, w.buyer.email, width=360)
    await phone.goto(f"/programs/{w.program_id}/commitments")
    values = BasePage(phone)
    await values.fill(title="Buy certified latex", responsible_name="Jonas Weber")
    await values.field("indicators").select_option([str(w.reported_id)])
    await values.fill(start_date="2025-10-01", end_date="2025-12-31")
    await values.select(status="under_way")
    await values.by_testid("commitment-save").click()
    await values.expect_at(r"/commitments/\d+\?done=commitment_created")

    # Both partners report a value for 2025-Q4 on their own pages: A at a desk, B on the phone.
    ngo_values = BasePage(ngo)
    await ngo.goto(f"/programs/{w.program_id}/commitments")
    await ngo_values.select(indicator=str(w.reported_id), period="2025-Q4")
    await ngo_values.fill(value="30", note="Two nurseries and their plots")
    await ngo_values.by_testid("value-submit").click()
    await expect(ngo_values.by_testid("partner-values-empty")).to_have_count(0)
    ngo_value = (await ReportedValue.select(ReportedValue.id).where(_of(w.ngo)).first())["id"]
    await expect(ngo_values.by_testid(f"partner-value-{ngo_value}")).to_have_attribute("data-status", "submitted")

    await phone.goto(f"/programs/{w.program_id}/commitments")
    await values.select(indicator=str(w.reported_id), period="2025-Q4")
    await values.fill(value="42")
    await values.by_testid("value-submit").click()
    await expect(values.by_testid("partner-values-empty")).to_have_count(0)
    value_id = (await ReportedValue.select(ReportedValue.id).where(_of(w.buyer)).first())["id"]
    await expect(values.by_testid(f"partner-value-{value_id}")).to_have_attribute("data-status", "submitted")
    # Each partner sees its own value only.
    await expect(values.by_testid(f"partner-value-{ngo_value}")).to_have_count(0)
    await expect(phone.locator('[data-testid^="commitment-"][data-status]')).to_have_count(1)
    assert await phone.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await phone.screenshot(path="/tmp/fm-shots/partners-values-360-es.png", full_page=True)

    # Staff return A's value with a comment and approve B's.
    await staff.goto(f"/staff/agenda/indicators/{w.reported_id}/values")
    await staff.get_by_test_id(f"field-comment_{ngo_value}").fill(
        "30 ha counts the nursery plots; give the planted area"
    )
    await staff.get_by_test_id(f"value-return-{ngo_value}").click()
    await expect(staff.get_by_test_id(f"value-{ngo_value}")).to_have_attribute("data-status", "returned")
    await staff.get_by_test_id(f"value-approve-{value_id}").click()
    await expect(staff.get_by_test_id(f"value-{value_id}")).to_have_attribute("data-status", "approved")

    # A reads the comment on its own page, corrects the value and resubmits it.
    await ngo.goto(f"/programs/{w.program_id}/commitments")
    await expect(ngo_values.by_testid(f"partner-value-comment-{ngo_value}")).to_contain_text("give the planted area")
    await expect(ngo_values.by_testid(f"partner-value-{value_id}")).to_have_count(0)
    await ngo_values.fill(**{f"value_{ngo_value}": "25"})
    await ngo_values.by_testid(f"partner-value-resubmit-{ngo_value}").click()
    await expect(ngo_values.by_testid(f"partner-value-{ngo_value}")).to_have_attribute("data-status", "submitted")
    await expect(ngo_values.by_testid(f"partner-value-number-{ngo_value}")).to_have_text("25")
    assert await ngo.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth") == 0
    await ngo.screenshot(path="/tmp/fm-shots/partners-values-1280-es.png", full_page=True)

    # Staff approve the corrected value: both approved values count in the quarter's actual (25 + 42).
    await staff.goto(f"/staff/agenda/indicators/{w.reported_id}/values")
    await staff.get_by_test_id(f"value-approve-{ngo_value}").click()
    await expect(staff.get_by_test_id(f"value-{ngo_value}")).to_have_attribute("data-status", "approved")
    await staff.goto(f"/programs/{w.program_id}/results")
    await expect(staff.get_by_test_id(f"actual-{w.reported_id}-2025-Q4")).to_have_text("67")

    # Staff read the reporting table on a phone: one card per partner, nothing to scroll sideways.
    staff_phone = await _signed_in(new_page, w.staff.email, width=360)
    await staff_phone.goto(f"/staff/programs/{w.program_id}/reporting")
    ngo_q3 = staff_phone.get_by_test_id(f"reporting-{w.ngo.organization_id}-2025-Q3")
    await expect(ngo_q3).to_have_text("1 of 2 received, 0 on time")  # submitted now: long after 2025-Q3
    buyer_q4 = staff_phone.get_by_test_id(f"reporting-{w.buyer.organization_id}-2025-Q4")
    await expect(buyer_q4).to_have_attribute("data-received", "1")
    width = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    assert await staff_phone.evaluate(width) == 0
    await staff_phone.screenshot(path="/tmp/fm-shots/partners-reporting-360.png", full_page=True)

    # The database holds what the pages said.
    assert sorted((r["organization"], r["role"]) for r in await Partner.select(Partner.organization, Partner.role)) == (
        sorted([(w.ngo.organization_id, "ngo"), (w.buyer.organization_id, "buyer")])
    )
    update = await ProgressUpdate.select().first()
    assert (update["status"], update["reviewed_by"], update["narrative"]) == (
        "approved",
        w.staff.id,
        "Nursery one built: 5000 seedlings.",
    )
    steps = await ProgressUpdateStep.select(ProgressUpdateStep.status).order_by(ProgressUpdateStep.id)
    assert [s["status"] for s in steps] == ["draft", "submitted", "returned", "returned", "submitted", "approved"]
    evidence = await EvidenceFile.select(EvidenceFile.filename, EvidenceFile.size).first()
    assert evidence == {"filename": "nursery.pdf", "size": 16}
    reported = await ReportedValue.select(
        ReportedValue.organization, ReportedValue.status, ReportedValue.value, ReportedValue.reviewed_by
    ).order_by(ReportedValue.id)
    assert reported == [
        {"organization": w.ngo.organization_id, "status": "approved", "value": 25.0, "reviewed_by": w.staff.id},
        {"organization": w.buyer.organization_id, "status": "approved", "value": 42.0, "reviewed_by": w.staff.id},
    ]
    value_steps = (
        await ReportedValueStep.select(ReportedValueStep.status, ReportedValueStep.value)
        .where(ReportedValueStep.reported_value == ngo_value)
        .order_by(ReportedValueStep.id)
    )
    assert [(s["status"], s["value"]) for s in value_steps] == [
        ("draft", 30.0),
        ("submitted", None),
        ("returned", None),
        ("returned", 25.0),
        ("submitted", None),
        ("approved", None),
    ]
    assert sorted(
        (c["organization"], c["title"]) for c in await Commitment.select(Commitment.organization, Commitment.title)
    ) == sorted(
        [
            (w.ngo.organization_id, "Nurseries for rubber seedlings"),
            (w.buyer.organization_id, "Buy certified latex"),
        ]
    )
