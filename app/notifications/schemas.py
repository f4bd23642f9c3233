"""JSON shapes of the notifications API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

from app.validation import MAX_ROW_ID

#: A notification id: a positive 64-bit row id (anything else cannot name one).
NotificationId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ROW_ID)]


class NotificationOut(msgspec.Struct):
    """One notification, its text in the caller's language."""

    id: int
    kind: str
    title: str
    body: str
    #: Path inside the site the notification is about.
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class NotificationPageOut(msgspec.Struct):
    items: list[NotificationOut]
    total: int
    unread: int
    page: int
    per_page: int


class MarkReadIn(msgspec.Struct):
    """Either ``ids`` (notifications of the caller) or ``all: true``."""

    ids: list[NotificationId] | None = None
    all: bool = False


class UnreadOut(msgspec.Struct):
    unread: int


def notification_out(row: dict[str, Any]) -> NotificationOut:
    return NotificationOut(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        link=row["link"],
        created_at=row["created_at"],
        read_at=row["read_at"],
    )
