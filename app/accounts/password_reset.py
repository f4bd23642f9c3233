"""Forgotten passwords: a one-time link by e-mail, valid for an hour, that lets the user choose a new password.

The answer to "send me a link" is the same whether or not the address has an account, so the form cannot be
used to find out who is registered; requests are rate-limited per address and per client like sign-ins. The
e-mail goes through the same queue as notifications (``email_outbox``), in the user's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from app.accounts.services import LoginRateLimiter, check_password, hash_password, now
from app.accounts.sessions import end_sessions_of
from app.accounts.tables import PasswordReset, User
from app.db import atomic
from app.i18n import gettext as _
from app.i18n import normalize_locale, reset_locale, set_locale
from app.notifications.services import message_id_for
from app.notifications.tables import EmailOutbox
from app.settings import get_settings
from app.validation import Checker, FieldErrors, NotFound

LINK_LIFETIME = dt.timedelta(hours=1)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mail_text(locale: str, name: str, url: str) -> tuple[str, str]:
    token = set_locale(locale)
    try:
        subject = _("Choose a new ForestMatch password")
        lines = [
            _("Hello %(name)s,", name=name) if name else _("Hello,"),
            "",
            _("Someone (we hope you) asked to choose a new password for this address. Open this link:"),
            url,
            "",
            _("The link works once, for one hour. If you did not ask for it, ignore this e-mail: nothing changes."),
        ]
    finally:
        reset_locale(token)
    return subject, "\n".join(lines) + "\n"


async def request_reset(email: str, client: str, limiter: LoginRateLimiter) -> str | None:
    """Queue a reset link for an active account with this e-mail; returns the token (None when no mail is sent).

    Callers show the same message either way.
    """
    address = (email or "").strip().lower()
    if not address or "@" not in address:
        raise FieldErrors({"email": _("Enter an e-mail address.")}, {"email": email})
    # Every request counts towards the limit, found or not.
    limits = [("reset:" + address, limiter.max_attempts), ("reset-address:" + client, limiter.address_max_attempts)]
    if await limiter.take(limits) is None:
        raise FieldErrors({"email": _("Too many requests. Wait a few minutes and try again.")}, {"email": email})
    user = (
        await User.select(User.id, User.name, User.locale, User.email)
        .where(
            (User.email == address) & (User.is_active == True)  # noqa: E712 - Piccolo builds SQL from ==
        )
        .first()
    )
    if user is None:
        return None
    token = secrets.token_urlsafe(32)
    settings = get_settings()
    locale = normalize_locale(user["locale"]) or settings.default_locale
    subject, body = _mail_text(locale, user["name"], f"{settings.base_url}/password/reset/{token}")
    moment = now()
    async with atomic():
        await PasswordReset(
            user=user["id"], token_hash=_digest(token), created_at=moment, expires_at=moment + LINK_LIFETIME
        ).save()
        await EmailOutbox(
            to_address=user["email"],
            subject=subject,
            body=body,
            locale=locale,
            message_id=message_id_for("password-reset:" + _digest(token)),
            next_attempt_at=moment,
            created_at=moment,
        ).save()
    return token


async def check_token(token: str) -> int:
    """The reset row id for a usable token; NotFound when unknown, used or expired."""
    row = (
        await PasswordReset.select(PasswordReset.id)
        .where(
            (PasswordReset.token_hash == _digest(token or ""))
            & PasswordReset.used_at.is_null()
            & (PasswordReset.expires_at > now())
        )
        .first()
    )
    if row is None:
        raise NotFound()
    return int(row["id"])


async def reset_password(token: str, raw: dict[str, str]) -> int:
    """Set the new password from a usable link and spend it (and every other open link of the user)."""
    c = Checker(raw)
    password = check_password(c)
    if not c.errors and raw.get("password") != raw.get("password_again"):
        c.fail("password_again", _("The two passwords are not the same."))
    c.raise_if_errors()
    async with atomic():
        reset_id = await check_token(token)
        row = await PasswordReset.select(PasswordReset.user).where(PasswordReset.id == reset_id).first()
        user_id = int(row["user"])  # type: ignore[index]
        await User.update({User.password_hash: hash_password(password)}).where(User.id == user_id)
        await end_sessions_of(user_id)  # whoever knew the old password is signed out everywhere
        await PasswordReset.update({PasswordReset.used_at: now()}).where(
            (PasswordReset.user == user_id) & PasswordReset.used_at.is_null()
        )
    return user_id
