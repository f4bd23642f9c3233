"""The common agenda of a program: its indicators, their targets per period and the values partners report."""

from __future__ import annotations

from piccolo.columns import Date, DoublePrecision, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization, User
from app.analytics.tables import Program


class Indicator(Table, tablename="agenda_indicator"):
    """One measure of a program's progress, named in the three site languages (each falls back to the others)."""

    program = ForeignKey(references=Program, index=True, on_delete=OnDelete.cascade)
    name_es = Varchar(length=200, default="")
    name_en = Varchar(length=200, default="")
    name_pt = Varchar(length=200, default="")
    definition_es = Text(default="")
    definition_en = Text(default="")
    definition_pt = Text(default="")
    unit = Varchar(length=40, default="")
    #: "increase" (higher is better) or "decrease" (lower is better)
    direction = Varchar(length=10, default="increase")
    #: "computed" (from ForestMatch's records, ``measure`` names the query) or "reported" (values entered per period)
    source = Varchar(length=10, default="computed")
    measure = Varchar(length=60, default="")
    #: "" (none), "country", "legal_form" or "category"
    disaggregation = Varchar(length=20, default="")
    baseline_value = DoublePrecision(null=True, default=None)
    baseline_date = Date(null=True, default=None)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class IndicatorTarget(Table, tablename="agenda_target"):
    """The value an indicator should reach in one period (a quarter or a calendar year, both days inclusive)."""

    indicator = ForeignKey(references=Indicator, index=True, on_delete=OnDelete.cascade)
    #: "quarter" or "year"
    period_kind = Varchar(length=10)
    period_start = Date()
    period_end = Date()
    value = DoublePrecision()


class ReportedValue(Table, tablename="agenda_reported_value"):
    """A value of a reported indicator for one period (and one disaggregation value, "" for the total).

    Moves draft -> submitted -> approved, or submitted -> returned (with a comment) -> submitted again; only
    approved values count in the actuals. ``organization`` is the partner that reported it (None: staff entered it).
    """

    indicator = ForeignKey(references=Indicator, index=True, on_delete=OnDelete.cascade)
    period_kind = Varchar(length=10)
    period_start = Date()
    period_end = Date()
    dimension = Varchar(length=60, default="")
    value = DoublePrecision()
    note = Text(default="")
    status = Varchar(length=10, default="draft", index=True)
    comment = Text(default="")
    organization = ForeignKey(references=Organization, null=True, default=None, on_delete=OnDelete.set_null)
    created_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    submitted_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    submitted_at = Timestamptz(null=True, default=None)
    reviewed_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    reviewed_at = Timestamptz(null=True, default=None)


class ReportedValueStep(Table, tablename="agenda_reported_value_step"):
    """One step of a reported value's workflow: who moved it to which status, when, and why (a return's comment)."""

    reported_value = ForeignKey(references=ReportedValue, index=True, on_delete=OnDelete.cascade)
    status = Varchar(length=10)
    value = DoublePrecision(null=True, default=None)
    comment = Text(default="")
    by_user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    at = Timestamptz(default=TimestamptzNow())
