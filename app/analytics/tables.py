"""Programs: staff-defined groupings of regions and organisations whose numbers the dashboard can show alone."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization


class Program(Table, tablename="program"):
    """A collective-impact initiative, e.g. "Mexico community forests"."""

    name = Varchar(length=120, unique=True)
    description = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ProgramRegion(Table, tablename="program_region"):
    """A country (``region`` empty) or one region of it (ISO 3166-2, e.g. ``MX-DUR``) inside a program."""

    program = ForeignKey(references=Program, index=True)
    country = Varchar(length=2)
    region = Varchar(length=6, default="")


class ProgramOrganization(Table, tablename="program_organization"):
    """An organisation named as a member of a program, wherever it is."""

    program = ForeignKey(references=Program, index=True)
    organization = ForeignKey(references=Organization, index=True)
