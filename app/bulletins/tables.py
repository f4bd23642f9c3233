"""Program updates, their comments, the users allowed to post in a program, and the weekly digest's queue."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User
from app.analytics.tables import Program


class ProgramPoster(Table, tablename="program_poster"):
    """A user staff allowed to post updates in a program (e.g. a partner organisation's user)."""

    program = ForeignKey(references=Program, index=True, on_delete=OnDelete.cascade)
    user = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    added_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class ProgramUpdate(Table, tablename="program_update"):
    """An announcement to a program's members: plain text (paragraphs split on blank lines), optional links."""

    program = ForeignKey(references=Program, index=True, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    title = Varchar(length=200)
    body = Text()
    #: [{"url": "https://...", "label": "..."}]
    links = JSON(default=[])
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(null=True, default=None)
    edited_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    withdrawn_at = Timestamptz(null=True, default=None)
    withdrawn_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)


class UpdateComment(Table, tablename="program_update_comment"):
    """A member's or staff's comment on an update; deleted by its author or hidden by staff (kept, not shown)."""

    program_update = ForeignKey(references=ProgramUpdate, index=True, on_delete=OnDelete.cascade)
    author = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)
    hidden_at = Timestamptz(null=True, default=None)
    hidden_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)


class DigestItem(Table, tablename="program_update_digest_item"):
    """An update waiting for a user's weekly digest (the user chose 'weekly digest'); ``mailed_at`` once sent."""

    user = ForeignKey(references=User, index=True, on_delete=OnDelete.cascade)
    program_update = ForeignKey(references=ProgramUpdate, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())
    mailed_at = Timestamptz(null=True, default=None, index=True)
    #: The ISO week of the digest that carried it, e.g. "2026-W49".
    week = Varchar(length=10, default="")
