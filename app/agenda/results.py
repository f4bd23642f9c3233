"""A program's results: each indicator's actual against its target per period, the trend, and whether it is on track.

On track (``ON_TRACK_RULE``): the latest period that has started (closed or current) and has both a target and an
actual is judged (a quarter whose values are not reported yet does not hide the last known one). Its actual must
reach the target in the indicator's direction: at least the target when higher is better, at most the target when
lower is better. While a period runs, a count or volume where higher is better is compared with the target
prorated by the share of the period's days that have passed; shares (%) and lower-is-better targets are compared
whole. No actual yet, or no period started: not known.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from app.agenda import measures, periods
from app.agenda.periods import Period
from app.agenda.schemas import Baseline, Dimension, Figure, IndicatorOut, PeriodOut, ProgramResults, ResultOut
from app.agenda.services import approved_sums, indicators_of
from app.agenda.tables import ReportedValue
from app.db import Row
from app.i18n import N_
from app.i18n import gettext as _

ON_TRACK_RULE = N_(
    "An indicator is on track when the actual of its latest period that has started and has an actual reaches the"
    " target in the"
    " indicator's direction: at least the target when higher is better, at most the target when lower is better."
    " While a period runs, a count or a volume is compared with the target prorated by the days passed; shares"
    " and lower-is-better targets are compared whole. Only approved reported values count."
)


def _is_share(indicator: dict[str, Any]) -> bool:
    measure = measures.MEASURES.get(indicator["measure"])
    return bool(measure and measure.is_share) or indicator["unit"].strip() == "%"


def state_of(p: Period, today: dt.date) -> str:
    if p.end < today:
        return "closed"
    return "current" if p.start <= today else "future"


def compared_target(indicator: dict[str, Any], p: Period, target: float, today: dt.date) -> float:
    """The target an actual is held to on ``today`` (prorated while the period runs, see the module docstring)."""
    if state_of(p, today) == "current" and indicator["direction"] == "increase" and not _is_share(indicator):
        return round(target * p.elapsed_share(today), 3)
    return target


def reaches(indicator: dict[str, Any], actual: float | None, target: float | None) -> bool | None:
    if actual is None or target is None:
        return None
    return actual >= target if indicator["direction"] == "increase" else actual <= target


def trend(indicator: dict[str, Any], closed_actuals: list[float]) -> str | None:
    """Between the last two closed periods with an actual: improving, worsening or steady in the direction."""
    if len(closed_actuals) < 2:
        return None
    before, last = closed_actuals[-2], closed_actuals[-1]
    if last == before:
        return "steady"
    better = last > before if indicator["direction"] == "increase" else last < before
    return "improving" if better else "worsening"


async def _actuals(
    indicator: dict[str, Any], program_id: int, shown: list[Period], today: dt.date, approved: dict[Any, Any]
) -> dict[Period, dict[str, float | None]]:
    if indicator["source"] == "computed" and indicator["measure"] in measures.MEASURES:
        return await measures.compute_periods(
            indicator["measure"], program_id, shown, today, indicator["disaggregation"]
        )
    out: dict[Period, dict[str, float | None]] = {}
    for p in shown:
        if p.start > today:
            continue
        if (p.start, p.end) in approved:
            values: dict[str, float | None] = dict(approved[(p.start, p.end)])
            if "" not in values:
                parts = [v for v in values.values() if v is not None]
                values[""] = None if _is_share(indicator) else round(sum(parts), 3)
            out[p] = values
    return out


async def indicator_results(indicator: Row, program_id: int, today: dt.date) -> IndicatorOut:
    """One indicator's periods (those with a target, and those with approved values), actuals and verdicts."""
    targets = {periods.of_row(t): float(t["value"]) for t in indicator["targets"]}
    approved: dict[Any, Any] = {}
    if indicator["source"] == "reported":
        rows = await ReportedValue.select().where(
            (ReportedValue.indicator == indicator["id"]) & (ReportedValue.status == "approved")
        )
        approved = approved_sums(rows)
    shown = sorted(set(targets) | {Period(s, e, _kind(s, e)) for s, e in approved})
    actuals = await _actuals(indicator, program_id, shown, today, approved)
    dim = indicator["disaggregation"]
    out_periods: list[PeriodOut] = []
    judged: bool | None = None
    closed: list[float] = []
    for p in shown:
        out = _period_out(indicator, p, actuals.get(p), targets.get(p), today)
        if out.on_track is not None:
            judged = out.on_track
        total = out.actual[0].value if out.actual else None
        if out.state == "closed" and total is not None:
            closed.append(total)
        out_periods.append(out)
    base_date = indicator["baseline_date"]
    return IndicatorOut(
        id=int(indicator["id"]),
        title=indicator["name"],
        description=indicator["definition"],
        measure="2" if _is_share(indicator) else "1",
        unit=indicator["unit"],
        ascending=indicator["direction"] == "increase",
        source=indicator["source"],
        computed_measure=indicator["measure"],
        disaggregation=dim,
        baseline=Baseline(
            year=None if base_date is None else base_date.year,
            iso_date=base_date,
            value=indicator["baseline_value"],
        ),
        period=out_periods,
        on_track=judged,
        trend=trend(indicator, closed),
    )


def _period_out(
    indicator: dict[str, Any], p: Period, values: dict[str, float | None] | None, target: float | None, today: dt.date
) -> PeriodOut:
    """One period of an indicator: its target, the target to date, the actual (total, then per breakdown value)
    and the verdict (``values`` None: no actual computed or approved for the period)."""
    dim = indicator["disaggregation"]
    found = values or {}
    total = found.get("")
    held_to = None if target is None else compared_target(indicator, p, target, today)
    verdict = reaches(indicator, total, held_to) if p.start <= today else None
    actual = [Figure(value=total)] if values is not None else []
    actual += [Figure(value=v, dimension=[Dimension(name=dim, value=k)]) for k, v in sorted(found.items()) if k and dim]
    return PeriodOut(
        period_start=p.start,
        period_end=p.end,
        label=p.label,
        state=state_of(p, today),
        target=[] if target is None else [Figure(value=target)],
        actual=actual,
        compared_target=held_to,
        on_track=verdict,
    )


async def period_result(indicator: Row, program_id: int, p: Period, today: dt.date) -> PeriodOut:
    """One indicator in one period (a report's), by the same rules as the results page, with or without a target."""
    targets = {periods.of_row(t): float(t["value"]) for t in indicator["targets"]}
    approved: dict[Any, Any] = {}
    if indicator["source"] == "reported":
        rows = await ReportedValue.select().where(
            (ReportedValue.indicator == indicator["id"])
            & (ReportedValue.status == "approved")
            & (ReportedValue.period_start == p.start)
            & (ReportedValue.period_end == p.end)
        )
        approved = approved_sums(rows)
    actuals = await _actuals(indicator, program_id, [p], today, approved)
    return _period_out(indicator, p, actuals.get(p), targets.get(p), today)


def _kind(start: dt.date, end: dt.date) -> str:
    return "year" if (start.month, start.day, end.month, end.day) == (1, 1, 12, 31) else "quarter"


async def program_results(program: Row, today: dt.date) -> ProgramResults:
    """Every indicator of the program with its periods (the caller has checked who may read them)."""
    rows = await indicators_of(program["id"])
    # Indicators are independent: their queries run side by side (as the dashboard's do), each asked once.
    with measures.shared_queries():
        indicators = list(await asyncio.gather(*(indicator_results(i, int(program["id"]), today) for i in rows)))
    return ProgramResults(
        program_id=int(program["id"]),
        program_name=program["name"],
        as_of=today,
        on_track_rule=_(ON_TRACK_RULE),
        result=[
            ResultOut(type="2", title=_("Common agenda of %(program)s", program=program["name"]), indicator=indicators)
        ],
    )


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def _verdict(value: bool | None) -> str:
    return "" if value is None else (_("yes") if value else _("no"))


def to_csv(results: ProgramResults) -> str:
    """One line per indicator, period and breakdown value (the total first): plain values any spreadsheet reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Indicator"),
            _("Unit"),
            _("Higher is better"),
            _("Period"),
            _("Start"),
            _("End"),
            _("Target"),
            _("Target to date"),
            _("Actual"),
            _("On track"),
            _("Breakdown"),
            _("Breakdown value"),
        ]
    )
    for result in results.result:
        for i in result.indicator:
            for p in i.period:
                target = p.target[0].value if p.target else None
                total = next((a.value for a in p.actual if not a.dimension), None)
                common = [i.title, i.unit, _verdict(i.ascending), p.label, p.period_start, p.period_end]
                writer.writerow(
                    [*common, _number(target), _number(p.compared_target), _number(total), _verdict(p.on_track), "", ""]
                )
                for a in p.actual:
                    if a.dimension:
                        d = a.dimension[0]
                        writer.writerow([*common, "", "", _number(a.value), "", d.name, d.value])
    return out.getvalue()


def to_iati_xml(results: ProgramResults) -> str:
    """The results as IATI-XML ``<result>`` elements (inside a ``<results>`` wrapper)."""

    lines = ['<?xml version="1.0" encoding="UTF-8"?>', "<results>"]
    for result in results.result:
        lines.append(f'  <result type="{result.type}">')
        lines.append(f"    <title><narrative>{escape(result.title)}</narrative></title>")
        for i in result.indicator:
            lines.append(f'    <indicator measure="{i.measure}" ascending="{1 if i.ascending else 0}">')
            lines.append(f"      <title><narrative>{escape(i.title)}</narrative></title>")
            if i.description:
                lines.append(f"      <description><narrative>{escape(i.description)}</narrative></description>")
            if i.baseline.value is not None and i.baseline.iso_date is not None:
                lines.append(
                    f'      <baseline year="{i.baseline.year}" iso-date="{i.baseline.iso_date}"'
                    f' value="{_number(i.baseline.value)}"/>'
                )
            for p in i.period:
                lines.append("      <period>")
                lines.append(f'        <period-start iso-date="{p.period_start}"/>')
                lines.append(f'        <period-end iso-date="{p.period_end}"/>')
                for tag, figures in (("target", p.target), ("actual", p.actual)):
                    for fig in figures:
                        if fig.value is None:
                            continue
                        dims = "".join(
                            f"<dimension name={quoteattr(d.name)} value={quoteattr(d.value)}/>" for d in fig.dimension
                        )
                        if dims:
                            lines.append(f'        <{tag} value="{_number(fig.value)}">{dims}</{tag}>')
                        else:
                            lines.append(f'        <{tag} value="{_number(fig.value)}"/>')
                lines.append("      </period>")
            lines.append("    </indicator>")
        lines.append("  </result>")
    lines.append("</results>")
    return "\n".join(lines) + "\n"
