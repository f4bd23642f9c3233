"""Real browser at 360 px, in Spanish: a member chooses the weekly digest on the account page; staff post a program
update; a producer of the program finds it in the notification centre, reads it (also at 1280 px) and comments; the
database holds the update, the comment, the read notification and the author's alert. The mail goes through the
real queue: the producer (e-mail at once, the default) has an outbox row in Spanish, the weekly member a digest item;
`forestmatch digest` and `forestmatch mail` then hand both e-mails to an SMTP server, and nothing to the outsider."""

from __future__ import annotations

import asyncio
import email
import os
import re
import subprocess
import sys
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.async_api import expect

from app.accounts.tables import User
from app.bulletins.tables import DigestItem, ProgramUpdate, UpdateComment
from app.i18n import ngettext, reset_locale, set_locale
from app.notifications.tables import EmailOutbox, Notification
from tests.bulletins_data import make_program, user_in
from tests.e2e.conftest import NewPage
from tests.e2e.pages import BasePage, LoginPage
from tests.e2e.pages_bulletins import UpdateFormPage, UpdatePage, UpdatesPage
from tests.factories import PASSWORD, make_user
from tests.server import free_port

pytestmark = pytest.mark.e2e

PHONE: dict[str, Any] = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 1,
    "is_mobile": True,
    "has_touch": True,
}


class _Inbox:
    """An SMTP server's mailbox (aiosmtpd handler): every message it accepted."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 Message accepted"


def _forestmatch(var_dir: Path, smtp_port: int, *args: str) -> str:
    """Run a ``forestmatch`` command on the journey's database, mailing through the test SMTP server."""
    env = {
        **os.environ,
        "FORESTMATCH_DATABASE_URL": os.environ["FORESTMATCH_TEST_ACTIVE_DB_URL"],
        "FORESTMATCH_VAR_DIR": str(var_dir),
        "FORESTMATCH_SMTP_HOST": "127.0.0.1",
        "FORESTMATCH_SMTP_PORT": str(smtp_port),
        "FORESTMATCH_SMTP_STARTTLS": "0",
    }
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _in_spanish(singular: str, plural: str, n: int) -> str:
    token = set_locale("es_MX")
    try:
        return ngettext(singular, plural, n)
    finally:
        reset_locale(token)


async def _no_sideways_scroll(page: Any) -> None:
    await _no_sideways_scroll_at(page, 360)


async def _no_sideways_scroll_at(page: Any, viewport: int) -> None:
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport, width


async def test_staff_post_a_member_reads_it_from_the_notifications_and_comments(
    new_page: NewPage, shots: Path, tmp_path: Path
) -> None:
    staff = await make_user("staff")
    producer = await user_in("MX", "MX-DUR")
    weekly = await user_in("MX", "MX-DUR")
    outsider = await user_in("MX", "MX-OAX")
    program = await make_program("Bosques de Durango", places=[("MX", "MX-DUR")])
    await User.update({User.locale: "es_MX"}).where(User.id.is_in([staff.id, producer.id, weekly.id]))

    # A member chooses the weekly digest for program updates on the account page.
    chooser = await new_page(**PHONE)
    await LoginPage(chooser).open()
    await LoginPage(chooser).sign_in(weekly.email, PASSWORD)
    await chooser.goto("/account")
    await chooser.get_by_test_id("pref-program_update-email_mode").select_option("weekly")
    await chooser.get_by_test_id("notification-prefs-submit").click()
    await expect(chooser).to_have_url(re.compile(r"/account\?saved=notifications"))
    await expect(chooser.get_by_test_id("pref-program_update-email_mode")).to_have_value("weekly")

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
    await expect(reading.by_testid("comment-submit")).to_have_text("Comentar")
    await page.screenshot(path=str(shots / "bulletins-update-360-es.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})
    await page.reload()
    await expect(reading.comments()).to_have_count(1)
    await _no_sideways_scroll_at(page, 1280)
    await page.screenshot(path=str(shots / "bulletins-update-1280-es.png"), full_page=True)

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
        (weekly.id, "program_update"),
        (staff.id, "program_comment"),
    ]
    assert notes[0]["read_at"] is not None and notes[1]["read_at"] is None and notes[2]["read_at"] is None
    assert outsider.id not in {n["recipient"] for n in notes}

    # By e-mail: the producer's mail waits in the outbox, in Spanish; the weekly member's update waits for the digest.
    queued = await EmailOutbox.select(
        EmailOutbox.to_address, EmailOutbox.subject, EmailOutbox.locale, EmailOutbox.status
    ).order_by(EmailOutbox.id)
    assert queued == [
        {
            "to_address": producer.email,
            "subject": "Bosques de Durango: Taller de manejo en mayo",
            "locale": "es_MX",
            "status": "pending",
        }
    ]
    items = await DigestItem.select(DigestItem.user, DigestItem.program_update, DigestItem.mailed_at)
    assert items == [{"user": weekly.id, "program_update": update_id, "mailed_at": None}]

    # The digest job and the mail job hand both e-mails to an SMTP server.
    inbox = _Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert await asyncio.to_thread(_forestmatch, tmp_path, port, "digest") == "queued 1 digest e-mail(s)"
        sent = await asyncio.to_thread(_forestmatch, tmp_path, port, "mail")
        assert sent == "sent 2, postponed 0, refused 0; 0 waiting"
    finally:
        controller.stop()
    got = {m["To"]: m for m in inbox.messages}
    assert sorted(got) == sorted([producer.email, weekly.email])
    immediate, digest = got[producer.email], got[weekly.email]
    assert immediate["Subject"] == "Bosques de Durango: Taller de manejo en mayo"
    assert immediate["Content-Language"] == "es-MX"
    assert f"/programs/updates/{update_id}" in immediate.get_content()
    assert digest["Subject"] == _in_spanish(
        "%(num)s update in your programs this week", "%(num)s updates in your programs this week", 1
    ) % {"num": 1}
    assert digest["Content-Language"] == "es-MX"
    assert "* Bosques de Durango: Taller de manejo en mayo (" in digest.get_content()
    assert f"/programs/updates/{update_id}" in digest.get_content()
    assert [r["status"] for r in await EmailOutbox.select(EmailOutbox.status)] == ["sent", "sent"]
    assert (await DigestItem.select(DigestItem.mailed_at).first())["mailed_at"] is not None
