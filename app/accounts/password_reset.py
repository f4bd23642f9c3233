"""Forgotten passwords: a one-time link by e-mail, valid for an hour, that lets the user choose a new password.

The answer to "send me a link" is the same whether or not the address has an account, and so is the work behind
it: the request only counts against the rate limit (per address typed and per client, like sign-ins) and queues
the address typed (``password_reset_request``). The background worker then looks the address up and, for an
active account, makes the link and records the e-mail (``password_reset_mail``), which the mail subscriber puts in
the same queue as notifications (``email_outbox``), in the user's language. So neither the page nor its timing
tells who is registered.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.accounts.rate_limit import LoginRateLimiter
from app.accounts.services import check_password, hash_password
from app.accounts.sessions import end_sessions_of
from app.accounts.tables import PasswordReset, PasswordResetRequest, User
from app.clock import now
from app.db import atomic, engine
from app.events import record
from app.i18n import gettext as _
from app.i18n import normalize_locale, reset_locale, set_locale
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


async def request_reset(email: str, client: str, limiter: LoginRateLimiter, *, locale: str = "") -> None:
    """Queue a reset link for this address, whatever it is (the worker sends one only to an active account).

    Known and unknown addresses take the same path here: one rate-limit step and one queued row, no look-up."""
    address = (email or "").strip().lower()
    if not address or "@" not in address or len(address) > 254:
        raise FieldErrors({"email": _("Enter an e-mail address.")}, {"email": email})
    # Every request counts towards the limit, found or not.
    limits = [("reset:" + address, limiter.max_attempts), ("reset-address:" + client, limiter.address_max_attempts)]
    if await limiter.take(limits) is None:
        raise FieldErrors({"email": _("Too many requests. Wait a few minutes and try again.")}, {"email": email})
    await PasswordResetRequest.insert(
        PasswordResetRequest(email=address, locale=normalize_locale(locale) or "", created_at=now())
    )


async def _take_requests(limit: int) -> list[dict[str, Any]]:
    if isinstance(engine(), PostgresEngine):  # two workers never take the same requests
        return await PasswordResetRequest.raw(
            "SELECT id, email, locale FROM password_reset_request ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED", limit
        )
    return await (
        PasswordResetRequest.select(PasswordResetRequest.id, PasswordResetRequest.email, PasswordResetRequest.locale)
        .order_by(PasswordResetRequest.id)
        .limit(limit)
    )


async def process_requests(limit: int = 200) -> int:
    """Background step: turn queued requests into links and e-mails for active accounts (others are dropped);
    returns how many e-mails were queued."""
    if not await PasswordResetRequest.exists():
        return 0  # the usual idle pass: no write transaction
    settings = get_settings()
    queued = 0
    async with atomic():
        requests = await _take_requests(limit)
        addresses = sorted({r["email"] for r in requests})
        users = {
            u["email"]: u
            for u in await User.select(User.id, User.name, User.locale, User.email).where(
                User.email.is_in(addresses or [""]) & (User.is_active == True)  # noqa: E712 - Piccolo builds SQL
            )
        }
        for request in requests:
            user = users.get(request["email"])
            if user is None:
                continue
            token = secrets.token_urlsafe(32)
            locale = normalize_locale(user["locale"]) or request["locale"] or settings.default_locale
            subject, body = _mail_text(locale, user["name"], f"{settings.base_url}/password/reset/{token}")
            moment = now()
            await PasswordReset(
                user=user["id"], token_hash=_digest(token), created_at=moment, expires_at=moment + LINK_LIFETIME
            ).save()
            await record(  # the mail subscriber queues it with the notification e-mails
                "password_reset_mail",
                payload={
                    "to": user["email"],
                    "subject": subject,
                    "body": body,
                    "locale": locale,
                    "dedupe_key": "password-reset:" + _digest(token),
                    "created_at": moment.isoformat(),
                },
            )
            queued += 1
        await PasswordResetRequest.delete().where(PasswordResetRequest.id.is_in([r["id"] for r in requests] or [-1]))
    return queued


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
