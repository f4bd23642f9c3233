"""Partners of a program, their commitments (mutually reinforcing activities) and progress updates on them."""

from __future__ import annotations

from piccolo.columns import Date, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization, User
from app.agenda.tables import Indicator
from app.analytics.tables import Program


class Partner(Table, tablename="partners_partner"):
    """An organisation taking part in a program with a role; its users are the program's partner users."""

    program = ForeignKey(references=Program, index=True, on_delete=OnDelete.cascade)
    organization = ForeignKey(references=Organization, index=True, on_delete=OnDelete.cascade)
    #: a key of app.partners.services.ROLES
    role = Varchar(length=20, default="other")
    added_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Commitment(Table, tablename="partners_commitment"):
    """An activity a partner commits to in the program, serving some of the program's indicators."""

    program = ForeignKey(references=Program, index=True, on_delete=OnDelete.cascade)
    organization = ForeignKey(references=Organization, index=True, on_delete=OnDelete.cascade)
    title = Varchar(length=200)
    description = Text(default="")
    #: who is responsible: a name, or a user of the partner (then the name is the user's)
    responsible_name = Varchar(length=200, default="")
    responsible_user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    start_date = Date()
    end_date = Date()
    #: planned | under_way | done | dropped
    status = Varchar(length=12, default="planned")
    created_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CommitmentIndicator(Table, tablename="partners_commitment_indicator"):
    """An indicator of the program a commitment serves."""

    commitment = ForeignKey(references=Commitment, index=True, on_delete=OnDelete.cascade)
    indicator = ForeignKey(references=Indicator, index=True, on_delete=OnDelete.cascade)


class ProgressUpdate(Table, tablename="partners_progress_update"):
    """A partner's progress on a commitment for one period: draft -> submitted -> approved, or returned (with a
    comment) -> corrected -> submitted again."""

    commitment = ForeignKey(references=Commitment, index=True, on_delete=OnDelete.cascade)
    period_kind = Varchar(length=10)
    period_start = Date()
    period_end = Date()
    narrative = Text()
    value = DoublePrecision(null=True, default=None)
    #: https links to evidence, one a line
    links = Text(default="")
    status = Varchar(length=10, default="draft", index=True)
    comment = Text(default="")
    created_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    #: the first submission (reporting on time is judged on it); ``submitted_at`` is the latest
    first_submitted_at = Timestamptz(null=True, default=None)
    submitted_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    submitted_at = Timestamptz(null=True, default=None)
    reviewed_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    reviewed_at = Timestamptz(null=True, default=None)


class ProgressUpdateStep(Table, tablename="partners_progress_update_step"):
    """One step of a progress update's workflow: who moved it to which status, when, and why."""

    progress_update = ForeignKey(references=ProgressUpdate, index=True, on_delete=OnDelete.cascade)
    status = Varchar(length=10)
    comment = Text(default="")
    by_user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    at = Timestamptz(default=TimestamptzNow())


class EvidenceFile(Table, tablename="partners_evidence_file"):
    """A small file attached to a progress update, stored under ``<var_dir>/partner_evidence/``."""

    progress_update = ForeignKey(references=ProgressUpdate, index=True, on_delete=OnDelete.cascade)
    filename = Varchar(length=200)
    #: the file's name on disk (random, inside the evidence directory)
    stored_name = Varchar(length=80)
    content_type = Varchar(length=100, default="application/octet-stream")
    size = Integer(default=0)
    uploaded_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
