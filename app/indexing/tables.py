"""Outbox table drained by the search sync worker."""

from __future__ import annotations

from piccolo.columns import DoublePrecision, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SearchOutbox(Table, tablename="search_outbox"):
    """One change to apply to the search index: which record (entity + ref) changed, in commit order (id)."""

    #: offer | certificate | organization | request
    entity = Varchar(length=20)
    ref = Varchar(length=100)
    created_at = Timestamptz(default=TimestamptzNow())
    #: Retries back off: a failed row is not picked up again before this time.
    available_at = Timestamptz(default=TimestamptzNow(), index=True)
    attempts = Integer(default=0)
    last_error = Text(default="")


class SearchSyncLease(Table, tablename="search_sync_lease"):
    """Who applies the outbox right now: one holder at a time across every process, for a bounded time.

    Taken and given back in short statements, never held inside a database transaction, so applying a batch to a
    slow or locked search engine never keeps a database lock."""

    name = Varchar(length=40, unique=True)
    holder = Varchar(length=40, default="")
    #: Unix time (seconds) until which the holder may apply; a holder that died is replaced after it.
    expires_at = DoublePrecision(default=0.0)
