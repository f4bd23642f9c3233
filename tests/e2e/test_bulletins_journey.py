"""Real browser at 360 px: staff post a program update; a producer of the program finds it in the notification centre,
reads it and comments; the database holds the update, the comment, the read notification and the author's alert."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from app.bulletins.tables import ProgramUpdate, UpdateComment
from app.notifications.tables import Notification
from tests.bulletins_data import make_program, user_in
from tests.e2e.conftest import NewPage
from tests.e2e.pages import BasePage, LoginPage
from tests.e2e.pages_bulletins import UpdateFormPage, UpdatePage, UpdatesPage
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.e2e

PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}


async def _no_sideways_scroll(page: Any) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360, width


async def test_staff_post_a_member_reads_it_from_the_notifications_and_comments(new_page: NewPage, shots: Path) -> None:
    staff = await make_user("staff")
    producer = await user_in("MX", "MX-DUR")
    outsider = await user_in("MX", "MX-OAX")
    program = await make_program("Bosques de Durango", places=[("MX", "MX-DUR")])

    # Staff post from the phone.
    staff_page = await new_page(**PHONE)
    await LoginPage(staff_page).open()
    await LoginPage(staff_page).sign_in(staff.email, PASSWORD)
    updates = UpdatesPage(staff_page)
    await updates.nav("nav-staff-programs")  # staff reach a program's updates from the programs list
    await updates.by_testid(f"program-updates-{program}").click()
    await updates.expect_at(rf"/programs/updates\?program={program}")
    await updates.by_testid("update-new").click()
    form = UpdateFormPage(staff_page)
    await form.expect_at(rf"/programs/updates/new\?program={program}")
    await form.post(program, "Taller de manejo en mayo", "Les invitamos a un taller.\n\nHabrá transporte.")
    await form.expect_at(r"/programs/updates/\d+\?done=posted")
    update_id = int(staff_page.url.split("?")[0].rsplit("/", 1)[1])
    await expect(UpdatePage(staff_page).title()).to_have_text("Taller de manejo en mayo")
    await _no_sideways_scroll(staff_page)

    # The producer finds it in the notification centre and comments.
    page = await new_page(**PHONE)
    await LoginPage(page).open()
    await LoginPage(page).sign_in(producer.email, PASSWORD)
    centre = BasePage(page)
    await centre.nav("nav-notifications")
    await centre.expect_at("/notifications")
    item = page.locator('[data-testid="notification"][data-kind="program_update"]')
    await expect(item).to_contain_text("Bosques de Durango: Taller de manejo en mayo")
    await item.get_by_role("link").click()
    reading = UpdatePage(page)
    await reading.expect_at(rf"/programs/updates/{update_id}")
    await expect(reading.by_testid("update-body")).to_contain_text("Habrá transporte.")
    await _no_sideways_scroll(page)
    await reading.comment("Nuestro ejido va con dos personas.")
    await reading.expect_at(rf"/programs/updates/{update_id}\?done=commented")
    await expect(reading.comments()).to_have_count(1)
    await expect(reading.comments().first).to_contain_text("Nuestro ejido va con dos personas.")
    await _no_sideways_scroll(page)
    await page.screenshot(path=str(shots / "bulletins-update-360.png"), full_page=True)

    # The database: the update by staff, the producer's comment, their notification read, the author told.
    row = await ProgramUpdate.select().where(ProgramUpdate.id == update_id).first()
    assert (row["program"], row["author"], row["title"]) == (program, staff.id, "Taller de manejo en mayo")
    comments = await UpdateComment.select(UpdateComment.program_update, UpdateComment.author, UpdateComment.body)
    assert comments == [
        {"program_update": update_id, "author": producer.id, "body": "Nuestro ejido va con dos personas."}
    ]
    notes = await Notification.select(Notification.recipient, Notification.kind, Notification.read_at).order_by(
        Notification.id
    )
    assert [(n["recipient"], n["kind"]) for n in notes] == [
        (producer.id, "program_update"),
        (staff.id, "program_comment"),
    ]
    assert notes[0]["read_at"] is not None and notes[1]["read_at"] is None
    assert outsider.id not in {n["recipient"] for n in notes}
