"""Notifications, the e-mail outbox, notification preferences, saved searches and the alert bookkeeping."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User


class Notification(Table, tablename="notification"):
    """One alert for one user. Its text is rendered from ``kind`` and ``params`` in the reader's language."""

    recipient = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    #: a key of app.notifications.kinds.KINDS
    kind = Varchar(length=40)
    #: Values the title and body are filled with (names, refs, dates as ISO strings, vocabulary keys).
    params = JSON(default={})
    #: Path inside the site the notification points to.
    link = Varchar(length=300, default="")
    #: "<recipient id>:<alert key>": the same alert is never created twice for one user (unique in the database).
    dedupe_key = Varchar(length=255, unique=True)
    #: False when the user wants this kind by e-mail only (kept for the dedupe, hidden from the centre).
    in_app = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    read_at = Timestamptz(null=True, default=None, index=True)


class EmailOutbox(Table, tablename="email_outbox"):
    """An e-mail waiting to be sent (or sent): rendered in the recipient's language when queued."""

    notification = ForeignKey(references=Notification, null=True, default=None, on_delete=OnDelete.set_null)
    to_address = Varchar(length=254)
    subject = Varchar(length=300)
    body = Text()
    locale = Varchar(length=10, default="")
    #: Deterministic, so a mail re-sent after a crash carries the same Message-ID (receivers drop the copy).
    message_id = Varchar(length=200, unique=True)
    #: pending | sending (claimed under a lease) | sent | failed (permanently refused by the server)
    status = Varchar(length=10, default="pending", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    #: A claimed mail whose lease ran out (its worker died) is taken again by the next worker.
    lease_until = Timestamptz(null=True, default=None)
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class NotificationPreference(Table, tablename="notification_preference"):
    """A user's choices per notification kind: {"<kind>": {"in_app": bool, "email": bool}}; missing kinds use the
    defaults of app.notifications.kinds."""

    user = ForeignKey(references=User, unique=True, on_delete=OnDelete.cascade)
    choices = JSON(default={})
    updated_at = Timestamptz(default=TimestamptzNow())


class SavedSearch(Table, tablename="saved_search"):
    """A search a user saved from /search; new or changed offers that match it raise an alert."""

    user = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    name = Varchar(length=120)
    #: The search page's query string (without the page number).
    query = Varchar(length=2000)
    created_at = Timestamptz(default=TimestamptzNow())


class AlertOfferChange(Table, tablename="alert_offer_change"):
    """An offer the search sync applied, waiting to be checked against saved searches (written in the sync's
    transaction, so none is lost when a pass fails)."""

    offer_ref = Varchar(length=100)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
