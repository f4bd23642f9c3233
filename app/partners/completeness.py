"""Reporting completeness: per partner and period, the updates expected vs received and received on time; and the
reminder sent before a period closes to the partner users whose updates for it are missing.

Expected per partner and period (the program's target periods): one progress update per commitment running in the
period and not dropped, and one value per reported indicator those commitments serve. Received: submitted at least
once (returned ones count: the partner did report). On time: first submitted by the end of the period's last day
plus ``REPORTING_GRACE_DAYS`` (UTC).
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field

from app.accounts.tables import User
from app.agenda import periods
from app.agenda.tables import Indicator, ReportedValue, ReportedValueStep
from app.i18n import gettext as _
from app.notifications.services import Alert, deliver
from app.partners.services import active_in, partners_of, program_periods
from app.partners.tables import Commitment, CommitmentIndicator, Partner, ProgressUpdate

log = logging.getLogger("forestmatch.partners")

#: Days after a period's end within which a first submission still counts as on time.
REPORTING_GRACE_DAYS = 15
#: The reminder goes this many days before a period ends (and until it ends, for a worker that was down that day).
REMINDER_DAYS_BEFORE = 7


def deadline(period: periods.Period) -> dt.date:
    """The last day a first submission for the period counts as on time."""
    return period.end + dt.timedelta(days=REPORTING_GRACE_DAYS)


def _day(moment: dt.datetime | str) -> dt.date:
    if isinstance(moment, str):
        moment = dt.datetime.fromisoformat(moment)
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.date()


@dataclass
class Cell:
    """One partner in one period."""

    period: str
    expected: int = 0
    received: int = 0
    on_time: int = 0
    #: what is still missing: commitment titles and indicator ids
    missing: list[str] = field(default_factory=list)


@dataclass
class PartnerLine:
    organization: int
    organization_name: str
    role_label: str
    cells: list[Cell]


async def completeness(program_id: int) -> tuple[list[periods.Period], list[PartnerLine]]:
    """The program's periods and, per partner, one cell per period."""
    program_periods_ = await program_periods(program_id)
    partners = await partners_of(program_id)
    commitments = await Commitment.select(
        Commitment.id,
        Commitment.organization,
        Commitment.title,
        Commitment.start_date,
        Commitment.end_date,
        Commitment.status,
    ).where(Commitment.program == program_id)
    ids = [c["id"] for c in commitments]
    links = (
        await CommitmentIndicator.select(CommitmentIndicator.commitment, CommitmentIndicator.indicator).where(
            CommitmentIndicator.commitment.is_in(ids)
        )
        if ids
        else []
    )
    reported = {
        int(r["id"])
        for r in await Indicator.select(Indicator.id).where(
            (Indicator.program == program_id) & (Indicator.source == "reported")
        )
    }
    updates = (
        await ProgressUpdate.select(
            ProgressUpdate.commitment,
            ProgressUpdate.period_kind,
            ProgressUpdate.period_start,
            ProgressUpdate.period_end,
            ProgressUpdate.first_submitted_at,
        ).where(ProgressUpdate.commitment.is_in(ids) & ProgressUpdate.first_submitted_at.is_not_null())
        if ids
        else []
    )
    first_update: dict[tuple[int, periods.Period], dt.date] = {}
    for u in updates:
        key = (int(u["commitment"]), periods.of_row(u))
        day = _day(u["first_submitted_at"])
        first_update[key] = min(day, first_update.get(key, day))
    values = (
        await ReportedValue.select(
            ReportedValue.id,
            ReportedValue.indicator,
            ReportedValue.organization,
            ReportedValue.period_kind,
            ReportedValue.period_start,
            ReportedValue.period_end,
        ).where(ReportedValue.indicator.is_in(sorted(reported)) & ReportedValue.organization.is_not_null())
        if reported
        else []
    )
    value_ids = [v["id"] for v in values]
    submissions = (
        await ReportedValueStep.select(ReportedValueStep.reported_value, ReportedValueStep.at).where(
            ReportedValueStep.reported_value.is_in(value_ids) & (ReportedValueStep.status == "submitted")
        )
        if value_ids
        else []
    )
    first_step: dict[int, dt.date] = {}
    for s in submissions:
        day = _day(s["at"])
        first_step[int(s["reported_value"])] = min(day, first_step.get(int(s["reported_value"]), day))
    first_value: dict[tuple[int, int, periods.Period], dt.date] = {}
    for v in values:
        if v["id"] in first_step:
            key3 = (int(v["organization"]), int(v["indicator"]), periods.of_row(v))
            day = first_step[v["id"]]
            first_value[key3] = min(day, first_value.get(key3, day))
    lines = []
    for p in partners:
        org = int(p["organization"])
        own = [c for c in commitments if c["organization"] == org]
        cells = []
        for period in program_periods_:
            cell = Cell(period.label)
            active = [c for c in own if active_in(c, period)]
            served: set[int] = set()
            for c in active:
                cell.expected += 1
                served |= {int(x["indicator"]) for x in links if x["commitment"] == c["id"]} & reported
                submitted = first_update.get((int(c["id"]), period))
                if submitted is None:
                    cell.missing.append(c["title"])
                    continue
                cell.received += 1
                cell.on_time += submitted <= deadline(period)
            for indicator_id in sorted(served):
                cell.expected += 1
                submitted = first_value.get((org, indicator_id, period))
                if submitted is None:
                    cell.missing.append(f"indicator:{indicator_id}")
                    continue
                cell.received += 1
                cell.on_time += submitted <= deadline(period)
            cells.append(cell)
        lines.append(PartnerLine(org, p["organization_name"], p["role_label"], cells))
    return program_periods_, lines


# --- reminders ------------------------------------------------------------------------------------------------------
def in_reminder_window(period: periods.Period, today: dt.date) -> bool:
    """From ``REMINDER_DAYS_BEFORE`` days before the period's end until its last day."""
    return period.end - dt.timedelta(days=REMINDER_DAYS_BEFORE) <= today <= period.end


async def send_reminders(today: dt.date) -> int:
    """Tell each partner user whose organisation's updates for a period closing within the reminder window are
    missing; once per user, program and period (the notification's dedupe key). Returns how many were told."""
    program_ids = sorted({int(r["program"]) for r in await Partner.select(Partner.program)})
    told = 0
    for program_id in program_ids:
        closing = [p for p in await program_periods(program_id) if in_reminder_window(p, today)]
        if not closing:
            continue
        program = (
            await Partner.select(Partner.program.name.as_alias("name")).where(Partner.program == program_id).first()
        )
        _periods, lines = await completeness(program_id)
        for line in lines:
            for cell in line.cells:
                period = next((p for p in closing if p.label == cell.period), None)
                if period is None or cell.received >= cell.expected:
                    continue
                users = await User.select(User.id).where(
                    (User.organization == line.organization) & (User.is_active == True)  # noqa: E712
                )
                alert = Alert(
                    kind="partner_reminder",
                    key=f"partner-reminder:{program_id}:{period.label}:{line.organization}",
                    params={
                        "program": program["name"] if program else "",
                        "missing": cell.expected - cell.received,
                        "period": period.label,
                        "date": period.end.isoformat(),
                    },
                    link=f"/programs/{program_id}/commitments",
                )
                told += len(await deliver(alert, [int(u["id"]) for u in users]))
    return told


_last_run: dt.date | None = None


async def reminder_step(today: dt.date | None = None) -> None:
    """The worker's step: the reminders once per process and day (the dedupe keys make a second run harmless);
    never raises."""
    global _last_run
    today = today or dt.date.today()
    if _last_run == today:
        return
    try:
        told = await send_reminders(today)
        _last_run = today
        if told:
            log.info("reminded %s partner user(s) of progress updates due", told)
    except Exception:
        log.exception("partner reminders failed; will retry on the next pass")


def cell_label(cell: Cell) -> str:
    """'2 of 3 received, 1 on time' in the reader's language."""
    return _(
        "%(received)s of %(expected)s received, %(on_time)s on time",
        received=cell.received,
        expected=cell.expected,
        on_time=cell.on_time,
    )
