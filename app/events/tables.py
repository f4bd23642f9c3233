"""The event outbox: what happened, recorded in the writer's transaction, one row per subscriber that consumes it."""

from __future__ import annotations

from piccolo.columns import JSON, BigInt, DoublePrecision, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

__all__ = ["ChangeCount", "EventLease", "EventOutbox"]


class EventOutbox(Table, tablename="event_outbox"):
    """One event waiting for one subscriber, in commit order (id); the row is deleted once the subscriber applied it."""

    #: search | alerts | mail (``app.events.catalog.SUBSCRIBERS``)
    subscriber = Varchar(length=20, index=True)
    #: ``app.events.catalog.EVENTS``: offer_changed, message_sent, ...
    name = Varchar(length=40)
    #: The record the event is about, for the change events (offer | certificate | organization | request).
    entity = Varchar(length=20, default="")
    ref = Varchar(length=100, default="")
    payload = JSON(default={})
    created_at = Timestamptz(default=TimestamptzNow())
    #: Retries back off: a failed row is not picked up again before this time.
    available_at = Timestamptz(default=TimestamptzNow(), index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")


class EventLease(Table, tablename="event_lease"):
    """Who consumes a subscriber's rows right now: one holder per subscriber across every process, for a bounded time.

    Taken and given back in single statements, never held inside a database transaction, so a subscriber waiting on
    a slow search engine never keeps a database lock."""

    name = Varchar(length=40, unique=True)
    holder = Varchar(length=40, default="")
    #: Unix time (seconds) until which the holder may consume; a holder that died is replaced after it.
    expires_at = DoublePrecision(default=0.0)


class ChangeCount(Table, tablename="change_count"):
    """How many changes to listed records (offers, certificates, organisations, requests) were recorded, bumped in the
    writer's own transaction by ``record_change``: a reader that sees the same value as before knows that no change
    committed since, whichever process or host wrote it (the offer list's cache is checked against it)."""

    name = Varchar(length=40, unique=True)
    value = BigInt(default=0)
