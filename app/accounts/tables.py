"""Tables for organisations, users, API tokens and sign-in attempts."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.table import Table


class Organization(Table, tablename="organization"):
    """A community enterprise, buyer company, or the program's backbone organisation."""

    ref = Varchar(length=100, unique=True, index=True)
    name = Varchar(length=200)
    #: producer | buyer | both | program
    kind = Varchar(length=20, index=True)
    legal_form = Varchar(length=40, default="")
    country = Varchar(length=2, index=True, default="")
    region = Varchar(length=6, default="")
    locality = Varchar(length=120, default="")
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    languages = JSON(default=[])
    contact_email = Varchar(length=254, default="")
    description = Text(default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class User(Table, tablename="account_user"):
    """A person who signs in; belongs to one organisation and has one role."""

    email = Varchar(length=254, unique=True, index=True)
    name = Varchar(length=120, default="")
    password_hash = Varchar(length=255)
    #: producer | buyer | staff
    role = Varchar(length=20)
    organization = ForeignKey(references=Organization, null=True)
    locale = Varchar(length=10, default="")
    is_active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)


class ApiToken(Table, tablename="api_token"):
    """A per-user token for integrations; only its SHA-256 is stored."""

    user = ForeignKey(references=User)
    name = Varchar(length=80)
    token_hash = Varchar(length=64, unique=True, index=True)
    prefix = Varchar(length=12)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)


class LoginAttempt(Table, tablename="login_attempt"):
    """A failed sign-in, keyed by e-mail or client address, for the shared rate limit."""

    key = Varchar(length=300, index=True, index_method=IndexMethod.btree)
    attempted_at = Timestamptz(default=TimestamptzNow(), index=True)


class PasswordReset(Table, tablename="password_reset"):
    """A one-time link to choose a new password, sent by e-mail. Only the token's SHA-256 is stored."""

    user = ForeignKey(references=User, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)


class UserSession(Table, tablename="account_session"):
    """A signed-in browser session. The cookie carries a random id; only its SHA-256 is stored. Signing out, a new
    password or deactivation deletes the row, which ends the session on every worker at once."""

    user = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    key_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    #: Slides forward (at most once a day) while the session is used; past it the session has ended.
    expires_at = Timestamptz(index=True)


class PasswordResetRequest(Table, tablename="password_reset_request"):
    """A "send me a link" request as typed, queued for the background worker. The request itself does the same
    work whether or not the address has an account (so its timing tells nothing); the worker looks the address up
    and, for an active account, makes the link and queues the e-mail."""

    email = Varchar(length=254)
    #: The language the requester was reading, for an account that has no saved language.
    locale = Varchar(length=10, default="")
    created_at = Timestamptz(default=TimestamptzNow())
