"""The demo's program partners: in "Hule y caucho de Acre y Veracruz" (app.demo.agenda), the Acre rubber group as a
producer association and the demo buyer's company as a buyer, three commitments, and a year of progress updates: one
per commitment and closed quarter it ran in, approved, most a few days after the quarter closed, one late (past the
grace days), one returned with a comment and corrected. The partners' reported indicators (hectares, families) are
theirs too: the approved quarterly values ``app.demo.agenda`` loads are entered on their behalf. Written through the
partners' services (the same rules as the pages) with ``notify=False`` (loading past history tells nobody anything),
then moved back to the days they happened on; a few hundred small writes."""

from __future__ import annotations

import datetime as dt

from app.accounts.services import CurrentUser
from app.agenda import periods
from app.agenda.tables import Indicator, ReportedValue, ReportedValueStep
from app.analytics.tables import Program
from app.demo.agenda import NAME
from app.partners import completeness, services, updates
from app.partners.tables import ProgressUpdate, ProgressUpdateStep


async def _indicators(program_id: int) -> dict[str, int]:
    """Indicator ids by measure (computed) or unit (reported)."""
    rows = await Indicator.select(Indicator.id, Indicator.measure, Indicator.unit, Indicator.source).where(
        Indicator.program == program_id
    )
    return {(r["measure"] if r["source"] == "computed" else r["unit"]): int(r["id"]) for r in rows}


async def demo_partners(staff: CurrentUser, group: CurrentUser, buyer: CurrentUser, today: dt.date) -> str:
    """Load the demo partners; returns a line for the demo's summary."""
    program = await Program.select(Program.id).where(Program.name == NAME).first()
    if program is None:
        return "program partners: none (no demo program)"
    program_id = int(program["id"])
    ids = await _indicators(program_id)
    quarters = periods.last_quarters(today, 5)
    closed = quarters[-2]
    for user, role in ((group, "producer_association"), (buyer, "buyer")):
        await services.add_partner(staff, program_id, {"organization": user.organization_ref, "role": role})

    def commitment(title: str, description: str, served: list[str], start: periods.Period) -> dict[str, object]:
        return {
            "title": title,
            "description": description,
            "responsible_name": "",
            "start_date": start.start.isoformat(),
            "end_date": quarters[-1].end.isoformat(),
            "status": "under_way",
            "indicators": [str(ids[key]) for key in served if key in ids],
        }

    plans = await services.create_commitment(
        group,
        program_id,
        {
            **commitment(
                "Management plans for the tapper families' rubber forest",
                "Walk the rubber trails with each family and write the plan the state agency approves.",
                ["ha", "producers_reached"],
                quarters[0],
            ),
            "responsible_user": str(group.id),
        },
    )
    scale = await services.create_commitment(
        group,
        program_id,
        {
            **commitment(
                "Every delivery weighed and recorded with the collector's phone",
                "Deliveries recorded at the scale, so each lot's claim is derived from its members' plots.",
                ["traceable_latex_share"],
                quarters[2],
            ),
            "responsible_name": "Raimunda Lima",
        },
    )
    premium = await services.create_commitment(
        buyer,
        program_id,
        {
            **commitment(
                "A premium paid for certified latex",
                "A premium above the local price for every kilogram of certified latex bought from the groups.",
                ["families"],
                quarters[1],
            ),
            "responsible_name": "Procurement team",
        },
    )
    served = {plans: ("ha", group), premium: ("families", buyer)}
    updates_made = late = 0
    for quarter in quarters[:-1]:  # every closed quarter of the year, each commitment running in it
        for commitment_id, author, first in (
            (plans, group, quarters[0]),
            (scale, group, quarters[2]),
            (premium, buyer, quarters[1]),
        ):
            if quarter < first:
                continue
            # One update came in late (the first weighing report, 24 days after its quarter); the rest within days.
            days = 24 if (commitment_id, quarter) == (scale, quarters[2]) else 3 + updates_made % 5
            late += days > completeness.REPORTING_GRACE_DAYS
            if (commitment_id, quarter) == (plans, closed):
                update_id = await _returned_and_corrected(staff, group, plans, closed)
            else:
                narrative = NARRATIVES[commitment_id == plans, commitment_id == premium]
                update_id = await updates.create_update(
                    author,
                    commitment_id,
                    {"period": quarter.label, "narrative": narrative},
                    [],
                    submit=True,
                    notify=False,
                )
                await updates.move_update(staff, update_id, "approve", notify=False)
            # Never later than a few days ago (its steps follow on the next days); early in a quarter, the last
            # one's updates came in at once.
            day = min(quarter.end + dt.timedelta(days=days), today - dt.timedelta(days=5))
            await _backdate_update(update_id, day)
            updates_made += 1
            if commitment_id in served:
                unit, partner = served[commitment_id]
                await _on_behalf(ids.get(unit), partner, quarter, day)
    return (
        f"program partners: 2 partners, 3 commitments, {updates_made} approved progress updates"
        f" (one returned first, {late} late)"
    )


#: Narratives of the routine updates by (is the plans commitment, is the premium commitment).
NARRATIVES = {
    (True, False): "Plans walked with the quarter's families; the agency is reviewing them.",
    (False, True): "Premium paid on the quarter's certified latex, per kilogram, to every family that delivered.",
    (False, False): "All deliveries of the quarter were weighed at the scale and recorded.",
}


async def _returned_and_corrected(staff: CurrentUser, group: CurrentUser, plans: int, quarter: periods.Period) -> int:
    """The plans update of the last closed quarter: submitted, returned with a comment, corrected, approved."""
    update_id = await updates.create_update(
        group,
        plans,
        {"period": quarter.label, "narrative": "Plans walked with 12 families.", "value": "140"},
        [],
        submit=True,
        notify=False,
    )
    await updates.move_update(staff, update_id, "return", "Say how many hectares the agency approved.", notify=False)
    await updates.correct_update(
        group,
        update_id,
        {
            "narrative": "Plans walked with 12 families; the agency approved 140 ha.",
            "value": "140",
            "links": "https://example.org/acre-plans",
        },
        [],
        submit=True,
        notify=False,
    )
    await updates.move_update(staff, update_id, "approve", notify=False)
    return update_id


async def _backdate_update(update_id: int, submitted: dt.date) -> None:
    """Move an update's history to when it happened: written the day before ``submitted``, first submitted that
    day, each later step a day after the one before (loaded history, as the demo's trade is)."""
    first = dt.datetime.combine(submitted, dt.time(15), tzinfo=dt.UTC)
    steps = (
        await ProgressUpdateStep.select(ProgressUpdateStep.id, ProgressUpdateStep.status)
        .where(ProgressUpdateStep.progress_update == update_id)
        .order_by(ProgressUpdateStep.id)
    )
    moments = [first + dt.timedelta(days=i - 1) for i in range(len(steps))]
    for step, moment in zip(steps, moments, strict=True):
        await ProgressUpdateStep.update({ProgressUpdateStep.at: moment}).where(ProgressUpdateStep.id == step["id"])
    submitted_at = [m for s, m in zip(steps, moments, strict=True) if s["status"] == "submitted"]
    await ProgressUpdate.update(
        {
            ProgressUpdate.created_at: moments[0],
            ProgressUpdate.first_submitted_at: submitted_at[0],
            ProgressUpdate.submitted_at: submitted_at[-1],
            ProgressUpdate.reviewed_at: moments[-1],
        }
    ).where(ProgressUpdate.id == update_id)


async def _on_behalf(indicator_id: int | None, partner: CurrentUser, quarter: periods.Period, day: dt.date) -> None:
    """The staff-entered approved value of a reported indicator for the quarter (``app.demo.agenda``) becomes the
    partner's, entered on its behalf (the staff form's organisation field) when its update came in."""
    if indicator_id is None:
        return
    row = (
        await ReportedValue.select(ReportedValue.id)
        .where(
            (ReportedValue.indicator == indicator_id)
            & (ReportedValue.period_start == quarter.start)
            & (ReportedValue.period_end == quarter.end)
            & ReportedValue.organization.is_null()
        )
        .first()
    )
    if row is None:
        return
    moment = dt.datetime.combine(day, dt.time(16), tzinfo=dt.UTC)
    await ReportedValue.update(
        {
            ReportedValue.organization: partner.organization_id,
            ReportedValue.created_at: moment,
            ReportedValue.submitted_at: moment,
            ReportedValue.reviewed_at: moment + dt.timedelta(days=1),
        }
    ).where(ReportedValue.id == row["id"])
    steps = (
        await ReportedValueStep.select(ReportedValueStep.id)
        .where(ReportedValueStep.reported_value == row["id"])
        .order_by(ReportedValueStep.id)
    )
    for i, step in enumerate(steps):
        at = moment + dt.timedelta(days=max(i - 1, 0))
        await ReportedValueStep.update({ReportedValueStep.at: at}).where(ReportedValueStep.id == step["id"])
