"""The partners' section of the program report (``app.reports``): each commitment running in the period, its status
and its progress update for the period, after a line of reporting completeness. Registered when this module is
imported (``app.partners.controllers`` imports it, so the app has it)."""

from __future__ import annotations

import datetime as dt

from app.agenda import periods
from app.agenda.services import STATUSES
from app.i18n import gettext as _
from app.partners import completeness
from app.partners.services import COMMITMENT_STATUSES, ROLES, active_in
from app.partners.tables import Commitment, Partner, ProgressUpdate
from app.reports.sections import ReportSection, register


@register
async def commitment_summary(program_id: int, period: periods.Period, today: dt.date) -> ReportSection | None:
    """The section for this program and period; None when the program has no partner."""
    partners = await Partner.select(
        Partner.organization, Partner.role, Partner.organization.name.as_alias("name")
    ).where(Partner.program == program_id)
    if not partners:
        return None
    roles = {int(p["organization"]): _(ROLES.get(p["role"], p["role"])) for p in partners}
    commitments = await Commitment.select(
        Commitment.id,
        Commitment.organization,
        Commitment.title,
        Commitment.status,
        Commitment.start_date,
        Commitment.end_date,
        Commitment.organization.name.as_alias("organization_name"),
    ).where((Commitment.program == program_id) & Commitment.organization.is_in(sorted(roles)))
    running = [c for c in commitments if active_in(c, period)]
    ids = [c["id"] for c in running]
    updates = (
        await ProgressUpdate.select(ProgressUpdate.commitment, ProgressUpdate.status).where(
            ProgressUpdate.commitment.is_in(ids)
            & (ProgressUpdate.period_start == period.start)
            & (ProgressUpdate.period_end == period.end)
        )
        if ids
        else []
    )
    update_status = {int(u["commitment"]): u["status"] for u in updates}
    rows = [
        [
            c["organization_name"],
            roles[int(c["organization"])],
            c["title"],
            _(COMMITMENT_STATUSES.get(c["status"], c["status"])),
            _(STATUSES[update_status[c["id"]]]) if c["id"] in update_status else "-",
        ]
        for c in sorted(running, key=lambda c: (c["organization_name"].lower(), c["title"].lower(), c["id"]))
    ]
    paragraphs = []
    _periods, lines = await completeness.completeness(program_id)
    cells = [cell for line in lines for cell in line.cells if cell.period == period.label]
    if cells:
        expected, received, on_time = (sum(getattr(c, f) for c in cells) for f in ("expected", "received", "on_time"))
        paragraphs.append(
            _(
                "Partners' updates for the period: %(received)s of %(expected)s received, %(on_time)s on time.",
                received=received,
                expected=expected,
                on_time=on_time,
            )
        )
    if not rows:
        paragraphs.append(_("No partner commitment runs in this period."))
    return ReportSection(
        key="partners",
        title=_("Partners' commitments"),
        paragraphs=paragraphs,
        columns=[_("Partner"), _("Role"), _("Commitment"), _("Status"), _("Update for the period")],
        rows=rows,
    )
