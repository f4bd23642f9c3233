"""The demo's program partners: in "Hule y caucho de Acre y Veracruz" (app.demo.agenda), the Acre rubber group as a
producer association and the demo buyer's company as a buyer, three commitments, and progress updates for the last
closed quarter: one returned with a comment and corrected, the rest approved. Written through the partners' services
(the same rules as the pages) with ``notify=False``: loading past history tells nobody anything; a few dozen small
writes."""

from __future__ import annotations

import datetime as dt

from app.accounts.services import CurrentUser
from app.agenda import periods
from app.agenda.tables import Indicator
from app.analytics.tables import Program
from app.demo.agenda import NAME
from app.partners import services, updates


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
    label = {"period": closed.label}
    returned = await updates.create_update(
        group,
        plans,
        {**label, "narrative": "Plans walked with 12 families.", "value": "140"},
        [],
        submit=True,
        notify=False,
    )
    await updates.move_update(staff, returned, "return", "Say how many hectares the agency approved.", notify=False)
    await updates.correct_update(
        group,
        returned,
        {
            "narrative": "Plans walked with 12 families; the agency approved 140 ha.",
            "value": "140",
            "links": "https://example.org/acre-plans",
        },
        [],
        submit=True,
        notify=False,
    )
    await updates.move_update(staff, returned, "approve", notify=False)
    approved = 1
    for commitment_id, narrative in (
        (scale, "All deliveries of the quarter were weighed at the scale and recorded."),
        (premium, "Premium paid on 18 t of certified latex."),
    ):
        update_id = await updates.create_update(
            group if commitment_id == scale else buyer,
            commitment_id,
            {**label, "narrative": narrative},
            [],
            submit=True,
            notify=False,
        )
        await updates.move_update(staff, update_id, "approve", notify=False)
        approved += 1
    return f"program partners: 2 partners, 3 commitments, {approved} approved progress updates (one returned first)"
