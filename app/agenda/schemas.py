"""A program's results as JSON, shaped like the IATI standard's results: result -> indicator -> period, with target
and actual values (0..n each, one per breakdown value given as dimension name/value; the first is the total)."""

from __future__ import annotations

import datetime as dt

import msgspec


class Dimension(msgspec.Struct):
    name: str
    value: str


class Figure(msgspec.Struct):
    """A target or actual value; ``dimension`` is empty for the total."""

    value: float | None
    dimension: list[Dimension] = []


class Baseline(msgspec.Struct, rename="kebab"):
    year: int | None
    iso_date: dt.date | None
    value: float | None


class PeriodOut(msgspec.Struct, rename="kebab"):
    period_start: dt.date
    period_end: dt.date
    #: "2026-Q3" or "2026"
    label: str
    #: "closed", "current" or "future" on ``as-of``
    state: str
    target: list[Figure]
    actual: list[Figure]
    #: The target the actual is compared with: prorated by days passed in the current period (not for shares)
    compared_target: float | None
    on_track: bool | None


class IndicatorOut(msgspec.Struct, rename="kebab"):
    id: int
    title: str
    description: str
    #: IATI measure code: "1" unit, "2" percentage
    measure: str
    unit: str
    #: IATI ``ascending``: true when higher is better
    ascending: bool
    #: "computed" or "reported"
    source: str
    computed_measure: str
    disaggregation: str
    baseline: Baseline
    period: list[PeriodOut]
    #: The on-track rule applied to the latest period that has started (None when unknown)
    on_track: bool | None
    #: "improving", "worsening" or "steady" between the last two closed periods' actuals (None when unknown)
    trend: str | None


class ResultOut(msgspec.Struct, rename="kebab"):
    #: IATI result type: "2" outcome
    type: str
    title: str
    indicator: list[IndicatorOut]


class ProgramResults(msgspec.Struct, rename="kebab"):
    program_id: int
    program_name: str
    as_of: dt.date
    on_track_rule: str
    result: list[ResultOut]


class ReportedValueIn(msgspec.Struct, forbid_unknown_fields=True):
    """A value of a reported indicator: ``period`` as '2026-Q3' or '2026'; ``dimension`` a breakdown value (a
    country code, a legal form, a product family) or empty for the total; ``organization`` the reporting
    organisation's reference (optional)."""

    period: str | None = None
    value: float | str | None = None
    dimension: str | None = None
    note: str | None = None
    organization: str | None = None

    def raw(self) -> dict[str, object]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class ReportedValueMove(msgspec.Struct, forbid_unknown_fields=True):
    """A workflow step: ``submit`` (draft or returned), ``approve`` or ``return`` (submitted; a comment is needed)."""

    action: str | None = None
    comment: str | None = None


class ReportedValueOut(msgspec.Struct, rename="kebab"):
    id: int
    indicator: int
    period: str
    period_start: dt.date
    period_end: dt.date
    dimension: str
    value: float
    #: draft | submitted | approved | returned (only approved values count in the results)
    status: str
    comment: str
    organization: int | None
