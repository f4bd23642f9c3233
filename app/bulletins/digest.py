"""The weekly digest of program updates: one e-mail per user and week listing the updates not yet mailed to them.

Members who chose "weekly digest" get a ``program_update_digest_item`` row per update when it is posted. The digest
job (the worker on ``DIGEST_WEEKDAY``, or ``forestmatch digest``) turns each user's waiting rows into one e-mail in
the e-mail outbox, in the user's language, and marks them mailed in the same transaction. The mail's Message-ID is
fixed by the user and the ISO week, so a second run in the same week queues nothing: rows that arrive after this
week's digest wait for next week's.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from app.accounts.tables import User
from app.bulletins.services import excerpt
from app.bulletins.tables import DigestItem
from app.clock import now
from app.db import atomic
from app.i18n import DEFAULT_LOCALE, format_date, ngettext, normalize_locale, reset_locale, set_locale
from app.i18n import gettext as _
from app.notifications.services import email_modes, message_id_for
from app.notifications.tables import EmailOutbox
from app.settings import get_settings

log = logging.getLogger("forestmatch.bulletins")

#: Monday: the worker sends the digests on the first pass of this weekday (0 = Monday).
DIGEST_WEEKDAY = 0
_last_run: dt.date | None = None


def week_key(day: dt.date) -> str:
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def digest_key(user_id: int, week: str) -> str:
    return f"{user_id}:program-digest:{week}"


def digest_text(locale: str, name: str, items: list[dict[str, Any]]) -> tuple[str, str]:
    """Subject and plain-text body of a digest, in ``locale``."""
    base = get_settings().base_url
    token = set_locale(locale)
    try:
        subject = ngettext(
            "%(num)s update in your programs this week", "%(num)s updates in your programs this week", len(items)
        )
        lines = [_("Hello %(name)s,", name=name) if name else _("Hello,"), "", subject, ""]
        for item in items:
            created = item["created_at"]
            day = created.date() if isinstance(created, dt.datetime) else dt.date.fromisoformat(str(created)[:10])
            lines += [
                f"* {item['program_name']}: {item['title']} ({format_date(day)})",
                f"  {excerpt(item['body'])}",
                f"  {base}/programs/updates/{item['update']}",
                "",
            ]
        lines += [
            "-- ",
            _(
                "You get this e-mail because of your notification choices. Change them at %(url)s",
                url=base + "/account#notifications",
            ),
        ]
    finally:
        reset_locale(token)
    return subject, "\n".join(lines) + "\n"


async def send_weekly_digests(today: dt.date | None = None) -> int:
    """Queue this week's digest for every user with updates waiting; returns how many e-mails were queued."""
    week = week_key(today or dt.date.today())
    waiting = await DigestItem.raw(
        'SELECT DISTINCT di."user" AS id FROM program_update_digest_item di '
        "JOIN program_update pu ON pu.id = di.program_update "
        'WHERE di.mailed_at IS NULL AND pu.withdrawn_at IS NULL ORDER BY di."user"'
    )
    user_ids = [int(r["id"]) for r in waiting]
    if not user_ids:
        return 0
    modes = await email_modes(user_ids, "program_update")
    users = {
        u["id"]: u
        for u in await User.select(User.id, User.email, User.name, User.locale, User.is_active).where(
            User.id.is_in(user_ids)
        )
    }
    default_locale = normalize_locale(get_settings().default_locale) or DEFAULT_LOCALE
    queued = 0
    for user_id in user_ids:
        user = users.get(user_id)
        pending = DigestItem.mailed_at.is_null() & (DigestItem.user == user_id)
        if not user or not user["is_active"] or not user["email"] or modes[user_id] != "weekly":
            # The user left, or chose otherwise since: these rows will never be mailed.
            async with atomic():
                await DigestItem.update({DigestItem.mailed_at: now(), DigestItem.week: "-"}).where(pending)
            continue
        message_id = message_id_for(digest_key(user_id, week))
        if await EmailOutbox.exists().where(EmailOutbox.message_id == message_id):
            continue  # this week's digest went already; the rest waits for next week's
        items = await (
            DigestItem.select(
                DigestItem.id,
                DigestItem.program_update.as_alias("update"),
                DigestItem.program_update.title.as_alias("title"),
                DigestItem.program_update.body.as_alias("body"),
                DigestItem.program_update.created_at.as_alias("created_at"),
                DigestItem.program_update.program.name.as_alias("program_name"),
            )
            .where(pending & DigestItem.program_update.withdrawn_at.is_null())
            .order_by(DigestItem.program_update.created_at)
        )
        if not items:
            continue
        locale = normalize_locale(user["locale"]) or default_locale
        subject, body = digest_text(locale, user["name"], items)
        moment = now()
        async with atomic():
            await EmailOutbox(
                to_address=user["email"],
                subject=" ".join(subject.split())[:300],
                body=body,
                locale=locale,
                message_id=message_id,
                status="pending",
                next_attempt_at=moment,
                created_at=moment,
            ).save()
            await DigestItem.update({DigestItem.mailed_at: moment, DigestItem.week: week}).where(
                DigestItem.id.is_in([i["id"] for i in items])
            )
        queued += 1
    return queued


async def weekly_step(today: dt.date | None = None) -> None:
    """The worker's step: on the digest weekday, once per process and day (the per-week keys make a second
    process's run harmless); never raises."""
    global _last_run
    today = today or dt.date.today()
    if today.weekday() != DIGEST_WEEKDAY or _last_run == today:
        return
    try:
        sent = await send_weekly_digests(today)
        _last_run = today
        if sent:
            log.info("queued %s weekly digest(s) of program updates", sent)
    except Exception:
        log.exception("weekly digest failed; will retry on the next pass")
