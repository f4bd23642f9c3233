"""The demo's program updates: the demo producer belongs to a program and reads its updates and comments."""

from __future__ import annotations

import datetime as dt

from app.bulletins.membership import program_ids_of_user
from app.bulletins.tables import ProgramUpdate, UpdateComment
from app.demo.bulletins import COMMENTS, UPDATES, demo_program_updates
from app.notifications.tables import EmailOutbox, Notification
from tests.factories import make_user, sign_in


async def test_the_demo_producer_reads_the_demo_updates_and_nothing_is_sent(client) -> None:
    staff = await make_user("staff", email="staff@demo.example")
    producer = await make_user("producer", email="producer@demo.example")
    line = await demo_program_updates({"staff": staff.email, "producer": producer.email}, dt.datetime.now(dt.UTC))
    assert line.startswith(f"{len(UPDATES)} program updates")
    assert len(await program_ids_of_user(producer)) == 1
    assert await ProgramUpdate.count() == len(UPDATES) and await UpdateComment.count() == len(COMMENTS)
    assert await Notification.count() == 0 and await EmailOutbox.count() == 0  # the demo inboxes stay as seeded

    await sign_in(client, producer)
    page = await client.get("/programs/updates")
    assert page.status_code == 200 and page.text.count('data-testid="update"') == len(UPDATES)
    assert 'data-testid="nav-program-updates"' in page.text
