"""Builders shared by the notification tests: organisations with several users, language and channel choices."""

from __future__ import annotations

import secrets
from typing import Any

from app.accounts import services as accounts
from app.accounts.services import CurrentUser
from app.accounts.tables import User
from app.notifications.tables import EmailOutbox, Notification, NotificationPreference
from app.worker import consume_notifications
from tests.factories import PASSWORD


async def colleague(of: CurrentUser, *, locale: str = "", prefs: dict[str, Any] | None = None) -> CurrentUser:
    """Another user of the same organisation, with a saved language and notification choices."""
    user = await accounts.create_user(
        email=f"{of.role}-{secrets.token_hex(4)}@example.org",
        password=PASSWORD,
        role=of.role,
        organization_ref=of.organization_ref,
    )
    if locale:
        await set_language(user, locale)
    if prefs is not None:
        await NotificationPreference(user=user.id, choices=prefs).save()
    return user


async def set_language(user: CurrentUser, locale: str) -> None:
    await User.update({User.locale: locale}).where(User.id == user.id)


async def delivered() -> int:
    """What the worker's pass does after a write: the alerts and mail subscribers consume their events."""
    return await consume_notifications()


async def notes(user: CurrentUser, kind: str | None = None) -> list[dict[str, Any]]:
    """The user's notification rows (every channel), oldest first, once the events recorded so far are delivered."""
    await delivered()
    where = Notification.recipient == user.id
    if kind:
        where = where & (Notification.kind == kind)
    return await Notification.select().where(where).order_by(Notification.id).output(load_json=True)


async def all_notes() -> list[tuple[int, str, str]]:
    """(recipient, kind, dedupe key) of every notification, sorted, once the events recorded so far are delivered."""
    await delivered()
    rows = await Notification.select(Notification.recipient, Notification.kind, Notification.dedupe_key)
    return sorted((r["recipient"], r["kind"], r["dedupe_key"]) for r in rows)


async def mails(to: str | None = None) -> list[dict[str, Any]]:
    """Queued e-mails, oldest first, once the events recorded so far are delivered."""
    await delivered()
    query = EmailOutbox.select().order_by(EmailOutbox.id)
    if to:
        query = query.where(EmailOutbox.to_address == to)
    return await query


OFF = {"in_app": False, "email": False}
