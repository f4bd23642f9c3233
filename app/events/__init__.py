"""Domain events: services record what happened in their own transaction; subscribers consume it after commit.

See ``catalog`` for the events and who consumes them, ``outbox`` for recording, ``consumer`` for consuming.
"""

from app.events.catalog import ALERTS, EVENTS, LOTS, MAIL, SEARCH, SUBSCRIBERS
from app.events.consumer import Busy, Subscriber, consume, consume_once, pending
from app.events.outbox import (
    change_count,
    muted,
    off_record,
    on_change,
    on_record,
    record,
    record_change,
    record_changes,
)

__all__ = [
    "ALERTS",
    "EVENTS",
    "LOTS",
    "MAIL",
    "SEARCH",
    "SUBSCRIBERS",
    "Busy",
    "Subscriber",
    "change_count",
    "consume",
    "consume_once",
    "muted",
    "off_record",
    "on_change",
    "on_record",
    "pending",
    "record",
    "record_change",
    "record_changes",
]
