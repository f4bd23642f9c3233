"""Outbox table drained by the search sync worker."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
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
