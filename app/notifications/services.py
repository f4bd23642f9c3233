"""Creating notifications (deduplicated, per the recipients' choices, with their e-mails queued in the same
transaction), the notification centre, preferences and saved searches.

Only the recipient can list or mark a notification: every query here is filtered by the signed-in user's id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import parseaddr
from typing import Any
from urllib.parse import parse_qsl

from app.accounts.services import CurrentUser
from app.accounts.services import set_locale as save_user_locale
from app.accounts.tables import User
from app.clock import now
from app.db import atomic
from app.i18n import DEFAULT_LOCALE, SUPPORTED_LOCALES, normalize_locale, reset_locale, set_locale
from app.i18n import gettext as _
from app.notifications.kinds import EMAIL_MODES, KINDS, kinds_for_role, render, render_in
from app.notifications.tables import EmailOutbox, Notification, NotificationPreference, SavedSearch
from app.search.services import SearchParams, query_dict
from app.settings import get_settings
from app.validation import MAX_PAGE, Checker, FieldErrors, NotFound

PAGE_SIZE = 50
MAX_MARK = 500
MAX_SAVED_SEARCHES = 20


@dataclass
class Alert:
    """One thing that happened, to be told to some users: kind, text parameters, link and a dedupe key."""

    kind: str
    #: Identifies the event (e.g. "message:42"); with the recipient's id it is unique in the database.
    key: str
    params: dict[str, Any] = field(default_factory=dict)
    link: str = ""


# --- preferences -----------------------------------------------------------------------------------------------
def channels(choices: dict[str, Any] | None, kind: str) -> tuple[bool, bool]:
    """(in_app, email) for a kind, from the user's stored choices or the kind's defaults."""
    spec = KINDS[kind]
    chosen = (choices or {}).get(kind)
    if not isinstance(chosen, dict):
        return True, spec.email_default
    return bool(chosen.get("in_app", True)), bool(chosen.get("email", spec.email_default))


def email_mode(choices: dict[str, Any] | None, kind: str) -> str:
    """'immediate', 'weekly' or 'none' for a kind with e-mail modes (others: 'immediate' or 'none')."""
    chosen = (choices or {}).get(kind)
    mode = chosen.get("email_mode") if isinstance(chosen, dict) else None
    if KINDS[kind].email_modes and mode in EMAIL_MODES:
        return str(mode)
    return "immediate" if channels(choices, kind)[1] else "none"


async def email_modes(user_ids: list[int], kind: str) -> dict[int, str]:
    """Each user's e-mail mode for a kind (users without saved choices get the kind's default)."""
    choices = await _choices_for(user_ids)
    return {uid: email_mode(choices.get(uid), kind) for uid in user_ids}


async def _choices_for(user_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not user_ids:
        return {}
    rows = (
        await NotificationPreference.select(NotificationPreference.user, NotificationPreference.choices)
        .where(NotificationPreference.user.is_in(user_ids))
        .output(load_json=True)
    )
    return {r["user"]: r["choices"] or {} for r in rows}


async def get_preferences(user: CurrentUser) -> list[dict[str, Any]]:
    """The kinds this user's role can receive, with their current channel choices."""
    choices = (await _choices_for([user.id])).get(user.id, {})
    out = []
    for spec in kinds_for_role(user.role):
        in_app, email = channels(choices, spec.key)
        row = {"key": spec.key, "name": _(spec.name), "in_app": in_app, "email": email}
        if spec.email_modes:
            row["email_mode"] = email_mode(choices, spec.key)
            row["email_modes"] = [(key, _(text)) for key, text in EMAIL_MODES.items()]
        out.append(row)
    return out


async def save_preferences(user: CurrentUser, raw: dict[str, Any]) -> None:
    """Store the checkboxes of the preferences form (``<kind>__in_app``, ``<kind>__email``) and the language."""
    c = Checker(raw)
    locale = c.choice("locale", list(SUPPORTED_LOCALES)) if raw.get("locale") else None
    modes = {
        spec.key: c.choice(f"{spec.key}__email_mode", EMAIL_MODES) or "immediate"
        for spec in kinds_for_role(user.role)
        if spec.email_modes
    }
    c.raise_if_errors()
    choices: dict[str, dict[str, Any]] = {
        spec.key: {
            "in_app": raw.get(f"{spec.key}__in_app") in ("1", "on", True),
            "email": raw.get(f"{spec.key}__email") in ("1", "on", True),
        }
        for spec in kinds_for_role(user.role)
    }
    for key, mode in modes.items():
        # Only "immediate" mails at once (deliver reads "email"); "weekly" waits for the digest.
        choices[key] = {"in_app": choices[key]["in_app"], "email": mode == "immediate", "email_mode": mode}
    async with atomic():
        existing = (
            await NotificationPreference.select(NotificationPreference.id)
            .where(NotificationPreference.user == user.id)
            .first()
        )
        if existing:
            await NotificationPreference.update(
                {NotificationPreference.choices: choices, NotificationPreference.updated_at: now()}
            ).where(NotificationPreference.id == existing["id"])
        else:
            await NotificationPreference(user=user.id, choices=choices, updated_at=now()).save()
        if locale:
            await save_user_locale(user, locale)


# --- creating notifications ------------------------------------------------------------------------------------
def message_id_for(dedupe_key: str) -> str:
    """A Message-ID fixed by the notification (the same mail always carries the same one)."""
    domain = parseaddr(get_settings().smtp_from)[1].rpartition("@")[2] or "forestmatch.local"
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def email_text(locale: str, alert: Alert, name: str) -> tuple[str, str]:
    """Subject and plain-text body of a notification e-mail, in ``locale``."""

    title, body = render_in(locale, alert.kind, alert.params)
    base = get_settings().base_url
    token = set_locale(locale)
    try:
        lines = [_("Hello %(name)s,", name=name) if name else _("Hello,"), "", title]
        if body:
            lines += ["", body]
        if alert.link:
            lines += ["", _("Open it in ForestMatch: %(url)s", url=base + alert.link)]
        lines += [
            "",
            "-- ",
            _(
                "You get this e-mail because of your notification choices. Change them at %(url)s",
                url=base + "/account#notifications",
            ),
        ]
    finally:
        reset_locale(token)
    return title, "\n".join(lines) + "\n"


async def deliver(alert: Alert, recipient_ids: Iterable[int]) -> list[int]:
    """Create the alert for every active recipient who wants this kind (in-app and/or e-mail), at most once each;
    queue the e-mails in the recipient's language. Returns the ids of the users notified by this call."""
    ids = sorted(set(recipient_ids))
    if not ids:
        return []
    users = await User.select(User.id, User.email, User.name, User.locale).where(
        User.id.is_in(ids) & (User.is_active == True)  # noqa: E712 - Piccolo builds SQL from ==
    )
    choices = await _choices_for([u["id"] for u in users])
    default_locale = normalize_locale(get_settings().default_locale) or DEFAULT_LOCALE
    notified: list[int] = []
    moment = now()
    async with atomic():
        for user in users:
            in_app, email = channels(choices.get(user["id"]), alert.kind)
            if not (in_app or email):
                continue
            key = f"{user['id']}:{alert.key}"[:255]
            inserted = (
                await Notification.insert(
                    Notification(
                        recipient=user["id"],
                        kind=alert.kind,
                        params=alert.params,
                        link=alert.link,
                        dedupe_key=key,
                        in_app=in_app,
                        created_at=moment,
                    )
                )
                .on_conflict(target=Notification.dedupe_key, action="DO NOTHING")
                .returning(Notification.id)
            )
            if not inserted:
                continue  # this user already got this alert
            notified.append(user["id"])
            if email and user["email"]:
                locale = normalize_locale(user["locale"]) or default_locale
                subject, body = email_text(locale, alert, user["name"])
                await EmailOutbox(
                    notification=inserted[0]["id"],
                    to_address=user["email"],
                    subject=" ".join(subject.split())[:300],  # no line breaks: a header cannot hold them
                    body=body,
                    locale=locale,
                    message_id=message_id_for(key),
                    status="pending",
                    next_attempt_at=moment,
                    created_at=moment,
                ).save()
    return notified


# --- the notification centre -----------------------------------------------------------------------------------
def _visible(user: CurrentUser) -> Any:
    return (Notification.recipient == user.id) & (Notification.in_app == True)  # noqa: E712


async def unread_count(user: CurrentUser) -> int:
    return await Notification.count().where(_visible(user) & Notification.read_at.is_null())


async def list_notifications(
    user: CurrentUser, *, unread_only: bool = False, page: int = 1, per_page: int = PAGE_SIZE
) -> tuple[list[dict[str, Any]], int]:
    """The user's notifications, newest first, with title and body in the current language; and the total."""

    where = _visible(user)
    if unread_only:
        where = where & Notification.read_at.is_null()
    total = await Notification.count().where(where)
    rows = (
        await Notification.select(
            Notification.id,
            Notification.kind,
            Notification.params,
            Notification.link,
            Notification.created_at,
            Notification.read_at,
        )
        .where(where)
        .order_by(Notification.id, ascending=False)
        .limit(per_page)
        .offset((min(max(page, 1), MAX_PAGE) - 1) * per_page)
        .output(load_json=True)
    )
    for row in rows:
        row["title"], row["body"] = render(row["kind"], row["params"] or {})
    return rows, total


async def mark_read(user: CurrentUser, ids: list[int] | None = None) -> int:
    """Mark some (or, with ``ids=None``, all) of the user's notifications read; others' ids are not found."""
    if ids is not None and len(ids) > MAX_MARK:
        raise FieldErrors({"ids": _("Mark at most %(n)s notifications at once.", n=MAX_MARK)})
    async with atomic():
        if ids is not None:
            owned = await Notification.count().where(_visible(user) & Notification.id.is_in(ids or [-1]))
            if owned != len(set(ids)):
                raise NotFound()
            where = _visible(user) & Notification.id.is_in(ids or [-1]) & Notification.read_at.is_null()
        else:
            where = _visible(user) & Notification.read_at.is_null()
        await Notification.update({Notification.read_at: now()}).where(where)
    return await unread_count(user)


#: What a thread shows in full: opening it marks these read. A deal to confirm stays unread until it is confirmed.
THREAD_KINDS = ("message", "deal_confirmed", "deal_declined")


async def mark_conversation_read(user: CurrentUser, conversation_id: int) -> int:
    """The reader opened a conversation: their notifications about its messages (and ended or confirmed deals) are
    read. Returns how many were marked; a view with nothing unread writes nothing."""
    links = [f"/conversations/{conversation_id}#latest", f"/conversations/{conversation_id}#events"]
    where = (
        _visible(user)
        & Notification.read_at.is_null()
        & Notification.kind.is_in(list(THREAD_KINDS))
        & Notification.link.is_in(links)
    )
    unread = await Notification.count().where(where)
    if unread:
        async with atomic():
            await Notification.update({Notification.read_at: now()}).where(where)
    return unread


async def mark_alert_read(user: CurrentUser, key: str) -> None:
    """Mark the reader's notification of one alert (its dedupe key without the recipient) read, if unread."""
    where = (Notification.dedupe_key == f"{user.id}:{key}"[:255]) & Notification.read_at.is_null()
    if await Notification.exists().where(where):
        async with atomic():
            await Notification.update({Notification.read_at: now()}).where(where)


# --- saved searches --------------------------------------------------------------------------------------------
def normalized_query(query: str) -> str:
    """The search's query string as the search page writes it (validated, page dropped)."""
    params = SearchParams.from_query(query_dict(parse_qsl(query.lstrip("?"), keep_blank_values=False)))
    return params.query_string()


async def save_search(user: CurrentUser, raw: dict[str, Any]) -> int:
    """Save the search of the search page (its query string) under a name."""
    c = Checker(raw)
    query = c.text("query", max_len=2000)
    name = c.text("name", max_len=120)
    c.raise_if_errors()
    clean = normalized_query(query)
    if not clean:
        c.fail("query", _("Choose some words or filters first: an empty search would match every offer."))
    c.raise_if_errors()
    async with atomic():
        if await SavedSearch.count().where(SavedSearch.user == user.id) >= MAX_SAVED_SEARCHES:
            c.fail("query", _("You can keep at most %(n)s saved searches. Delete one first.", n=MAX_SAVED_SEARCHES))
            c.raise_if_errors()
        existing = (
            await SavedSearch.select(SavedSearch.id)
            .where((SavedSearch.user == user.id) & (SavedSearch.query == clean))
            .first()
        )
        if existing:
            return int(existing["id"])
        search = SavedSearch(user=user.id, name=name or clean[:120], query=clean, created_at=now())
        await search.save()
    return int(search.id)


async def list_saved_searches(user: CurrentUser) -> list[dict[str, Any]]:
    return await (
        SavedSearch.select(SavedSearch.id, SavedSearch.name, SavedSearch.query, SavedSearch.created_at)
        .where(SavedSearch.user == user.id)
        .order_by(SavedSearch.id)
    )


async def delete_saved_search(user: CurrentUser, search_id: int) -> None:
    """Delete one of the user's saved searches (someone else's: not found)."""
    async with atomic():
        if not await SavedSearch.exists().where((SavedSearch.id == search_id) & (SavedSearch.user == user.id)):
            raise NotFound()
        await SavedSearch.delete().where((SavedSearch.id == search_id) & (SavedSearch.user == user.id))
