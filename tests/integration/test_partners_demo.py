"""The demo's partners make the partners' pages alive: two partners, three commitments, updates in the last closed
quarter (one returned and corrected, all approved), counted on the reporting page."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.agenda import periods
from app.analytics.tables import Program
from app.demo.agenda import NAME, demo_agenda
from app.demo.partners import demo_partners
from app.notifications.tables import Notification
from app.partners import completeness
from app.partners.tables import Commitment, Partner, ProgressUpdate, ProgressUpdateStep
from tests.clock import UTC_TODAY as TODAY
from tests.factories import make_user, sign_in


async def test_demo_partners_are_alive(client: AsyncTestClient) -> None:
    staff = await make_user("staff")
    group = await make_user("producer", org_name="Acre rubber group")
    buyer = await make_user("buyer", org_name="Demo buyer")
    await demo_agenda(staff, TODAY)
    line = await demo_partners(staff, group, buyer, TODAY)
    assert line == "program partners: 2 partners, 3 commitments, 3 approved progress updates (one returned first)"
    program_id = (await Program.select(Program.id).where(Program.name == NAME).first())["id"]
    assert sorted(r["role"] for r in await Partner.select(Partner.role)) == ["buyer", "producer_association"]
    assert await Commitment.count() == 3
    assert [r["status"] for r in await ProgressUpdate.select(ProgressUpdate.status)] == ["approved"] * 3
    assert await ProgressUpdateStep.count().where(ProgressUpdateStep.status == "returned") == 2  # returned, corrected
    assert await Notification.count() == 0  # loading past history tells nobody anything
    closed = periods.last_quarters(TODAY, 5)[-2].label
    _periods, lines = await completeness.completeness(program_id)
    received = {line.organization_name: next(c for c in line.cells if c.period == closed) for line in lines}
    # The group: two commitments (one serves the hectares, a reported indicator it has not reported); the buyer:
    # one commitment serving the families (reported indicator, not reported by the buyer).
    assert {k: (c.expected, c.received) for k, c in received.items()} == {
        "Acre rubber group": (3, 2),
        "Demo buyer": (2, 1),
    }
    await sign_in(client, staff)
    page = await client.get(f"/staff/programs/{program_id}/reporting")
    assert page.status_code == 200
    assert f'data-testid="reporting-{group.organization_id}-{closed}"' in page.text
