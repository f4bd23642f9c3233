"""The demo's partners make the partners' pages alive: two partners, three commitments, a year of updates (one per
commitment and closed quarter it ran in: one returned and corrected, all approved, all on time but one), and the
partners' reported values, counted on the reporting page."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.agenda import periods
from app.agenda.tables import ReportedValue
from app.analytics.tables import Program
from app.demo.agenda import NAME, demo_agenda
from app.demo.partners import demo_partners
from app.notifications.tables import Notification
from app.partners import completeness
from app.partners.tables import Commitment, Partner, ProgressUpdate, ProgressUpdateStep
from tests.clock import utc_today
from tests.factories import make_user, sign_in


async def test_demo_partners_are_alive(client: AsyncTestClient) -> None:
    staff = await make_user("staff")
    group = await make_user("producer", org_name="Acre rubber group")
    buyer = await make_user("buyer", org_name="Demo buyer")
    await demo_agenda(staff, utc_today())
    line = await demo_partners(staff, group, buyer, utc_today())
    assert line == (
        "program partners: 2 partners, 3 commitments, 9 approved progress updates (one returned first, 1 late)"
    )
    program_id = (await Program.select(Program.id).where(Program.name == NAME).first())["id"]
    assert sorted(r["role"] for r in await Partner.select(Partner.role)) == ["buyer", "producer_association"]
    assert await Commitment.count() == 3
    assert [r["status"] for r in await ProgressUpdate.select(ProgressUpdate.status)] == ["approved"] * 9
    assert await ProgressUpdateStep.count().where(ProgressUpdateStep.status == "returned") == 2  # returned, corrected
    assert await Notification.count() == 0  # loading past history tells nobody anything
    quarters = [p.label for p in periods.last_quarters(utc_today(), 5)]
    closed = quarters[-2]
    _periods, lines = await completeness.completeness(program_id)
    cells = {
        (line.organization_name, c.period): (c.expected, c.received, c.on_time) for line in lines for c in line.cells
    }
    # (expected, received, on time) per partner and quarter. The group: the plans from the first quarter (with the
    # hectares it reports), the scale from the third (its first update 24 days late); the buyer: the premium from
    # the second (with the families it reports). The current quarter has nothing in yet.
    assert cells == {
        ("Acre rubber group", quarters[0]): (2, 2, 2),
        ("Acre rubber group", quarters[1]): (2, 2, 2),
        ("Acre rubber group", quarters[2]): (3, 3, 2),
        ("Acre rubber group", quarters[3]): (3, 3, 3),
        ("Acre rubber group", quarters[4]): (3, 0, 0),
        ("Demo buyer", quarters[0]): (0, 0, 0),
        ("Demo buyer", quarters[1]): (2, 2, 2),
        ("Demo buyer", quarters[2]): (2, 2, 2),
        ("Demo buyer", quarters[3]): (2, 2, 2),
        ("Demo buyer", quarters[4]): (2, 0, 0),
    }
    on_time = sum(c[2] for c in cells.values())
    received = sum(c[1] for c in cells.values())
    assert (on_time, received) == (15, 16)  # most on time, one late
    # The partners' values are the approved quarterly values the results count (nothing added twice).
    hectares = (
        await ReportedValue.select(ReportedValue.value, ReportedValue.organization)
        .where(ReportedValue.indicator.unit == "ha")
        .order_by(ReportedValue.period_start)
    )
    assert [(r["value"], r["organization"]) for r in hectares] == [
        (v, group.organization_id) for v in (1320.0, 1390.0, 1540.0, 1580.0)
    ]
    await sign_in(client, staff)
    page = await client.get(f"/staff/programs/{program_id}/reporting")
    assert page.status_code == 200
    assert f'data-testid="reporting-{group.organization_id}-{closed}"' in page.text
