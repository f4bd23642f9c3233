"""Certificate table."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization, User


class Certificate(Table, tablename="certificate"):
    """An FSC certificate held by an organisation (alone or through a group certificate)."""

    ref = Varchar(length=100, unique=True, index=True)
    organization = ForeignKey(references=Organization, index=True)
    code = Varchar(length=40, index=True)
    license_code = Varchar(length=12, default="")
    #: FM | COC | FM/COC | CW/FM
    scope = Varchar(length=10)
    #: valid | suspended | terminated | expired
    status = Varchar(length=12, index=True)
    #: The day the current status began, when ForestMatch saw it change (an edit or an import that changed it); None
    #: when unknown (recorded so from the start). A lot's claim reads it: latex delivered before a suspension stays
    #: certified.
    status_since = Date(null=True, default=None)
    issued_on = Date(null=True, default=None)
    expires_on = Date(index=True)
    product_types = JSON(default=[])
    is_group = Boolean(default=False)
    #: pending | verified | rejected (set by staff)
    verification = Varchar(length=10, default="pending", index=True)
    verified_by = ForeignKey(references=User, null=True)
    verified_at = Timestamptz(null=True, default=None)
    rejection_reason = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    #: when it entered the verification queue (registered, imported, or sent back by a change); the queue's order
    submitted_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
