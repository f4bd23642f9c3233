"""Reporting completeness per partner and period (expected, received, on time) and the reminder before a period
closes (once per user and period)."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

from litestar.testing import AsyncTestClient

from app.agenda.tables import ReportedValueStep
from app.notifications.tables import Notification
from app.partners import completeness, services, updates
from app.partners.tables import ProgressUpdate
from tests.factories import sign_in
from tests.integration.partners_data import World, commitment_form, partners_world

Q3_END = dt.date(2025, 9, 30)


def _at(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.UTC)


async def _reporting_world() -> tuple[World, dict[str, int]]:
    """NGO: a commitment over both quarters serving both indicators, one in Q4 only serving the computed one, one
    dropped. Buyer: one commitment over Q3 only serving the reported indicator."""
    w = await partners_world()
    ids = {
        "both": await services.create_commitment(w.ngo, w.program_id, commitment_form(w)),
        "q4": await services.create_commitment(
            w.ngo,
            w.program_id,
            commitment_form(w, title="Training", start_date="2025-10-01", indicators=[str(w.computed_id)]),
        ),
        "dropped": await services.create_commitment(w.ngo, w.program_id, commitment_form(w, status="dropped")),
        "buyer": await services.create_commitment(
            w.buyer,
            w.program_id,
            commitment_form(w, title="Buy latex", end_date="2025-09-30", indicators=[str(w.reported_id)]),
        ),
    }
    return w, ids


async def test_completeness_counts(client: AsyncTestClient) -> None:
    w, ids = await _reporting_world()
    # NGO, Q3: the update on time (3 days after the end), the value late (20 days after); Q4: one update, returned.
    on_time = await updates.create_update(w.ngo, ids["both"], {"period": "2025-Q3", "narrative": "a"}, [], submit=True)
    await ProgressUpdate.update({ProgressUpdate.first_submitted_at: _at(Q3_END + dt.timedelta(days=3))}).where(
        ProgressUpdate.id == on_time
    )
    value_id = await updates.report_value(
        w.ngo, w.program_id, {"indicator": str(w.reported_id), "period": "2025-Q3", "value": "3"}, submit=True
    )
    await ReportedValueStep.update({ReportedValueStep.at: _at(Q3_END + dt.timedelta(days=20))}).where(
        (ReportedValueStep.reported_value == value_id) & (ReportedValueStep.status == "submitted")
    )
    q4 = await updates.create_update(w.ngo, ids["q4"], {"period": "2025-Q4", "narrative": "b"}, [], submit=True)
    await updates.move_update(w.staff, q4, "return", "More detail")
    await ProgressUpdate.update({ProgressUpdate.first_submitted_at: _at(dt.date(2026, 1, 15))}).where(
        ProgressUpdate.id == q4
    )
    # A draft never submitted does not count as received.
    await updates.create_update(w.ngo, ids["both"], {"period": "2025-Q4", "narrative": "c"}, [])

    periods, lines = await completeness.completeness(w.program_id)
    assert [p.label for p in periods] == ["2025-Q3", "2025-Q4"]
    got = {
        line.organization_name: [(c.period, c.expected, c.received, c.on_time) for c in line.cells] for line in lines
    }
    assert got == {
        "Hule Buyers GmbH": [("2025-Q3", 2, 0, 0), ("2025-Q4", 0, 0, 0)],
        # Q3: "both" (update + reported value); Q4: "both" (update + value) and "q4" (update; computed only).
        "Selva Viva NGO": [("2025-Q3", 2, 2, 1), ("2025-Q4", 3, 1, 1)],
    }
    await sign_in(client, w.staff)
    page = await client.get(f"/staff/programs/{w.program_id}/reporting")
    assert page.status_code == 200
    cell = f'data-testid="reporting-{w.ngo.organization_id}-2025-Q3"'
    assert f'{cell}\n            data-expected="2" data-received="2" data-on-time="1">2 of 2 received, 1 on time' in (
        page.text
    )
    assert "within 15 days after the period ends" in page.text
    # Staff see what waits for them: the Q3 update and value (the Q4 update was returned, the draft never sent).
    waiting = [r["link"] for r in await updates.waiting_for_review(w.program_id)]
    assert waiting == [
        f"/commitments/{ids['both']}#update-{on_time}",
        f"/staff/agenda/indicators/{w.reported_id}/values",
    ]
    assert f'data-testid="review-value-{value_id}"><a href="/staff/agenda/indicators/{w.reported_id}/values">' in (
        page.text
    )
    assert f'data-testid="review-update-{q4}"' not in page.text


async def test_reminder_once_per_user_and_period(clean_db: str) -> None:
    w, ids = await _reporting_world()
    # Everything the buyer owes is for Q3 only; the NGO owes three things in Q4 and sends one.
    await updates.create_update(w.ngo, ids["q4"], {"period": "2025-Q4", "narrative": "b"}, [], submit=True)
    assert await completeness.send_reminders(dt.date(2025, 12, 23)) == 0  # 8 days before the end: too early
    assert await completeness.send_reminders(dt.date(2025, 12, 24)) == 2  # the NGO's two users
    assert await completeness.send_reminders(dt.date(2025, 12, 24)) == 0
    assert await completeness.send_reminders(dt.date(2025, 12, 30)) == 0
    rows = (
        await Notification.select(Notification.recipient, Notification.params, Notification.link)
        .where(Notification.kind == "partner_reminder")
        .order_by(Notification.recipient)
        .output(load_json=True)
    )
    assert [r["recipient"] for r in rows] == sorted([w.ngo.id, w.ngo_colleague.id])
    assert rows[0]["params"] == {
        "program": "Rubber partners",
        "missing": 2,
        "period": "2025-Q4",
        "date": "2025-12-31",
    }
    assert rows[0]["link"] == f"/programs/{w.program_id}/commitments"


async def test_reminder_step_never_raises_and_runs_once_a_day(clean_db: str) -> None:
    w, _ids = await _reporting_world()
    completeness._last_run = None
    await completeness.reminder_step(dt.date(2025, 9, 25))  # the buyer owes two things for Q3
    assert await Notification.count().where(Notification.recipient == w.buyer.id) == 1
    await Notification.delete(force=True)
    await completeness.reminder_step(dt.date(2025, 9, 25))  # same day in this process: nothing runs
    assert await Notification.count() == 0
    completeness._last_run = None


def _cli(db_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url, "FORESTMATCH_VAR_DIR": str(var_dir)}
    command = [sys.executable, "-m", "app.cli", "reminders", *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=180, check=False)


async def test_reminders_command(db_url: str, tmp_path: Path) -> None:
    w, _ids = await _reporting_world()
    first = _cli(db_url, tmp_path, "--date", "2025-09-25")
    assert (first.returncode, first.stdout) == (0, "reminded 3 partner user(s)\n"), first.stderr
    again = _cli(db_url, tmp_path, "--date", "2025-09-25")
    assert (again.returncode, again.stdout) == (0, "reminded 0 partner user(s)\n"), again.stderr
    rows = await Notification.select(Notification.recipient).where(Notification.kind == "partner_reminder")
    assert sorted(r["recipient"] for r in rows) == sorted([w.ngo.id, w.ngo_colleague.id, w.buyer.id])
    bad = _cli(db_url, tmp_path, "--date", "25/09/2025")
    assert (bad.returncode, bad.stderr) == (2, "--date: give a date as YYYY-MM-DD\n")


async def test_the_program_report_has_a_partners_section(client: AsyncTestClient) -> None:
    w, ids = await _reporting_world()
    update_id = await updates.create_update(
        w.ngo, ids["both"], {"period": "2025-Q3", "narrative": "a"}, [], submit=True
    )
    await updates.move_update(w.staff, update_id, "approve")
    await sign_in(client, w.staff)
    page = await client.get(f"/programs/{w.program_id}/report", params={"period": "2025-Q3"})
    assert page.status_code == 200
    section = page.text.split('data-testid="report-section-partners"')[1].split("</section>")[0]
    assert "Partners&#39; updates for the period: 1 of 4 received, 0 on time." in section
    rows = [r.split("</tr>")[0] for r in section.split("<tbody>")[1].split("<tr>")[1:]]
    assert rows == [
        "<td>Hule Buyers GmbH</td><td>Buyer</td><td>Buy latex</td><td>Under way</td><td>-</td>",
        "<td>Selva Viva NGO</td><td>NGO</td><td>Nurseries for rubber seedlings</td><td>Under way</td><td>Approved</td>",
    ]
    pdf = await client.get(f"/programs/{w.program_id}/report.pdf", params={"period": "2025-Q3"})
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
