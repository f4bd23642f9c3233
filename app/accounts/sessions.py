"""Browser sessions kept on the server, so that signing out really ends them.

The session cookie stays a signed, encrypted cookie (any worker reads it), but all it holds is a random session
id; the session is the ``account_session`` row with that id's SHA-256. Each request with a session cookie costs
one indexed lookup that also loads the user, as before. Signing out deletes the row, a new password deletes the
user's other rows, deactivation deletes them all: a copied cookie then signs nobody in, on every worker at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets

from app.accounts.services import CurrentUser, user_from_row
from app.accounts.tables import UserSession
from app.clock import now

#: How long a session lasts without being used (the cookie's Max-Age is the same).
LIFETIME = dt.timedelta(days=14)
#: A used session's end moves forward at most this often (one small write a day per active session, not per request).
REFRESH_EVERY = dt.timedelta(days=1)

_COLUMNS = (
    UserSession.id.as_alias("session_id"),
    UserSession.expires_at,
    UserSession.user.id.as_alias("id"),
    UserSession.user.email.as_alias("email"),
    UserSession.user.name.as_alias("name"),
    UserSession.user.role.as_alias("role"),
    UserSession.user.locale.as_alias("locale"),
    UserSession.user.is_active.as_alias("is_active"),
    UserSession.user.organization.id.as_alias("organization_id"),
    UserSession.user.organization.name.as_alias("organization_name"),
    UserSession.user.organization.ref.as_alias("organization_ref"),
    UserSession.user.organization.kind.as_alias("organization_kind"),
    UserSession.user.organization.is_active.as_alias("organization_active"),
    UserSession.user.organization.country.as_alias("organization_country"),
)


def _digest(session_key: str) -> str:
    return hashlib.sha256(session_key.encode()).hexdigest()


async def open_session(user_id: int) -> str:
    """Start a session for this user; returns the key the cookie carries (only its digest is stored)."""
    key = secrets.token_urlsafe(32)
    moment = now()
    await UserSession.insert(
        UserSession(user=user_id, key_hash=_digest(key), created_at=moment, expires_at=moment + LIFETIME)
    )
    # Sessions of this user that ran out are of no use any more.
    await UserSession.delete().where((UserSession.user == user_id) & (UserSession.expires_at <= moment))
    return key


async def user_for_session(key: str) -> CurrentUser | None:
    """The active user of a live session, or None (unknown, ended or expired session; deactivated user)."""
    moment = now()
    row = await (
        UserSession.select(*_COLUMNS)
        .where((UserSession.key_hash == _digest(key)) & (UserSession.expires_at > moment))
        .first()
    )
    if not row or not row["is_active"] or row["organization_active"] is False:
        return None
    if row["expires_at"] - moment < LIFETIME - REFRESH_EVERY:
        await UserSession.update({UserSession.expires_at: moment + LIFETIME}).where(UserSession.id == row["session_id"])
    return dataclasses.replace(user_from_row(row), session_id=row["session_id"])


async def end_session(key: str) -> None:
    """Sign this session out everywhere."""
    await UserSession.delete().where(UserSession.key_hash == _digest(key))


async def end_sessions_of(user_id: int, *, keep: int | None = None) -> None:
    """End every session of a user (but the one with id ``keep``, when given)."""
    where = UserSession.user == user_id
    if keep is not None:
        where &= UserSession.id != keep
    await UserSession.delete().where(where)
