"""A new update reaches every member in-app, and by e-mail at once or in a weekly digest per their choice, in
their language; the digest is one mail per user and week and never sent twice."""

from __future__ import annotations

import datetime as dt

from app.bulletins.digest import send_weekly_digests, week_key
from app.bulletins.services import withdraw_update
from app.bulletins.tables import DigestItem
from app.i18n import gettext, reset_locale, set_locale
from app.notifications.tables import EmailOutbox, Notification, NotificationPreference
from tests.bulletins_data import make_program, post, user_in
from tests.factories import make_user, post_form, sign_in
from tests.notify_helpers import set_language

MONDAY = dt.date(2026, 12, 7)


def _hello(locale: str, name: str) -> str:
    token = set_locale(locale)
    try:
        return gettext("Hello %(name)s,", name=name) if name else gettext("Hello,")
    finally:
        reset_locale(token)


async def _choose(user, mode: str, in_app: bool = True) -> None:
    choice = {"in_app": in_app, "email": mode == "immediate", "email_mode": mode}
    await NotificationPreference(user=user.id, choices={"program_update": choice}).save()


async def test_immediate_mail_in_each_recipients_language(clean_db) -> None:
    staff = await make_user("staff")
    brazil = await user_in("MX", "MX-DUR")
    await set_language(brazil, "pt_BR")
    mexico = await user_in("MX", "MX-DUR")
    await set_language(mexico, "es_MX")
    program = await make_program("Durango", places=[("MX", "MX-DUR")])
    update_id = await post(staff, program, title="Taller en mayo")

    rows = await EmailOutbox.select().order_by(EmailOutbox.to_address)
    got = {r["to_address"]: r for r in rows}
    assert set(got) == {brazil.email, mexico.email}
    assert got[brazil.email]["locale"] == "pt_BR" and got[mexico.email]["locale"] == "es_MX"
    assert got[brazil.email]["subject"] == "Durango: Taller en mayo"
    assert got[brazil.email]["body"].startswith(_hello("pt_BR", brazil.name) + "\n")
    assert got[mexico.email]["body"].startswith(_hello("es_MX", mexico.name) + "\n")
    assert f"/programs/updates/{update_id}" in got[mexico.email]["body"]
    assert "Abra no ForestMatch: " in got[brazil.email]["body"]  # the existing pt_BR wording of the link line
    notes = await Notification.select(Notification.recipient, Notification.kind, Notification.dedupe_key)
    assert sorted((n["recipient"], n["kind"]) for n in notes) == sorted(
        [(brazil.id, "program_update"), (mexico.id, "program_update")]
    )
    assert await DigestItem.count() == 0


async def test_not_by_email_sends_none_and_keeps_the_notification(clean_db) -> None:
    staff = await make_user("staff")
    quiet = await user_in("MX", "MX-DUR")
    await _choose(quiet, "none")
    program = await make_program("Durango", places=[("MX", "MX-DUR")])
    await post(staff, program)
    assert await EmailOutbox.count() == 0
    assert await DigestItem.count() == 0
    assert await send_weekly_digests(MONDAY) == 0
    assert [n["recipient"] for n in await Notification.select(Notification.recipient)] == [quiet.id]


async def test_weekly_digest_groups_the_weeks_updates_in_one_mail_and_is_idempotent(clean_db) -> None:
    staff = await make_user("staff")
    weekly = await user_in("MX", "MX-DUR")
    await set_language(weekly, "es_MX")
    await _choose(weekly, "weekly", in_app=False)
    other_weekly = await user_in("PE")
    await _choose(other_weekly, "weekly")
    durango = await make_program("Durango", places=[("MX", "MX-DUR")])
    mexico = await make_program("México", places=[("MX", "")])
    peru = await make_program("Perú", places=[("PE", "")])
    first = await post(staff, durango, title="Primera")
    second = await post(staff, mexico, title="Segunda")
    third = await post(staff, peru, title="Tercera")
    assert await EmailOutbox.count() == 0  # nothing at once for weekly readers

    assert await send_weekly_digests(MONDAY) == 2
    mails = {r["to_address"]: r for r in await EmailOutbox.select()}
    assert set(mails) == {weekly.email, other_weekly.email}
    mine = mails[weekly.email]
    assert mine["locale"] == "es_MX" and mine["body"].startswith(_hello("es_MX", weekly.name))
    assert "Primera" in mine["body"] and "Segunda" in mine["body"] and "Tercera" not in mine["body"]
    assert f"/programs/updates/{first}" in mine["body"] and f"/programs/updates/{second}" in mine["body"]
    assert (
        "Tercera" in mails[other_weekly.email]["body"]
        and f"/programs/updates/{third}" in mails[other_weekly.email]["body"]
    )
    items = await DigestItem.select(DigestItem.mailed_at, DigestItem.week)
    assert {r["week"] for r in items} == {week_key(MONDAY)} and all(r["mailed_at"] for r in items)

    # Running again in the same week sends nothing twice, even with a new update waiting.
    assert await send_weekly_digests(MONDAY) == 0
    fourth = await post(staff, durango, title="Cuarta")
    assert await send_weekly_digests(MONDAY + dt.timedelta(days=2)) == 0
    assert await EmailOutbox.count() == 2

    # Next week's digest carries only what was not mailed yet.
    assert await send_weekly_digests(MONDAY + dt.timedelta(days=7)) == 1
    latest = await EmailOutbox.select().order_by(EmailOutbox.id, ascending=False).first()
    assert latest["to_address"] == weekly.email
    assert f"/programs/updates/{fourth}" in latest["body"] and "Primera" not in latest["body"]
    assert await send_weekly_digests(MONDAY + dt.timedelta(days=7)) == 0


async def test_a_withdrawn_update_is_left_out_of_the_digest(clean_db) -> None:
    staff = await make_user("staff")
    weekly = await user_in("MX", "MX-DUR")
    await _choose(weekly, "weekly")
    program = await make_program("Durango", places=[("MX", "MX-DUR")])
    kept = await post(staff, program, title="Queda")
    gone = await post(staff, program, title="Retirada")
    await withdraw_update(staff, gone)
    assert await send_weekly_digests(MONDAY) == 1
    body = (await EmailOutbox.select(EmailOutbox.body).first())["body"]
    assert f"/programs/updates/{kept}" in body and "Retirada" not in body


async def test_the_preferences_page_saves_the_email_mode(client) -> None:
    member = await user_in("MX", "MX-DUR")
    await sign_in(client, member)
    page = await client.get("/account")
    assert 'data-testid="pref-program_update-email_mode"' in page.text
    response = await post_form(
        client, "/account/notifications", {"program_update__in_app": "1", "program_update__email_mode": "weekly"}
    )
    assert response.status_code == 303
    saved = (
        await NotificationPreference.select()
        .where(NotificationPreference.user == member.id)
        .first()
        .output(load_json=True)
    )
    assert saved["choices"]["program_update"] == {"in_app": True, "email": False, "email_mode": "weekly"}
    response = await post_form(client, "/account/notifications", {"program_update__email_mode": "hourly"})
    assert response.status_code == 422
    assert 'id="pref-program_update-email_mode-error"' in response.text
    saved = (
        await NotificationPreference.select()
        .where(NotificationPreference.user == member.id)
        .first()
        .output(load_json=True)
    )
    assert saved["choices"]["program_update"]["email_mode"] == "weekly"
