"""The agenda's pure rules: periods, the prorated target, on track in each direction, the trend."""

from __future__ import annotations

import datetime as dt

from app.agenda import periods
from app.agenda.results import compared_target, reaches, state_of, trend

UP = {"direction": "increase", "measure": "contacts", "unit": "conversations"}
DOWN = {"direction": "decrease", "measure": "", "unit": "days"}
SHARE = {"direction": "increase", "measure": "reply_rate", "unit": "%"}


def test_periods_parse_quarters_and_years_and_refuse_the_rest() -> None:
    q3 = periods.parse("2026-Q3")
    assert q3 == periods.Period(dt.date(2026, 7, 1), dt.date(2026, 9, 30), "quarter")
    assert periods.parse(" 2026q4 ") == periods.Period(dt.date(2026, 10, 1), dt.date(2026, 12, 31), "quarter")
    assert periods.parse("2027") == periods.Period(dt.date(2027, 1, 1), dt.date(2027, 12, 31), "year")
    assert [periods.parse(x) for x in ("2026-Q5", "Q3", "26", "1999", "2026-07", "")] == [None] * 6
    assert (q3.label, periods.parse("2027").label) == ("2026-Q3", "2027")  # type: ignore[union-attr]
    assert [p.label for p in periods.last_quarters(dt.date(2026, 2, 10), 5)] == [
        "2025-Q1",
        "2025-Q2",
        "2025-Q3",
        "2025-Q4",
        "2026-Q1",
    ]


def test_a_running_count_is_held_to_its_target_prorated_by_days_passed() -> None:
    q1 = periods.quarter(2026, 1)  # 90 days
    assert q1.elapsed_share(dt.date(2025, 12, 31)) == 0.0
    assert q1.elapsed_share(dt.date(2026, 1, 31)) == 31 / 90
    assert q1.elapsed_share(dt.date(2026, 3, 31)) == 1.0
    day_45 = dt.date(2026, 2, 14)
    assert (state_of(q1, day_45), compared_target(UP, q1, 90.0, day_45)) == ("current", 45.0)
    assert reaches(UP, 45.0, compared_target(UP, q1, 90.0, day_45)) is True
    assert reaches(UP, 44.0, compared_target(UP, q1, 90.0, day_45)) is False
    # Shares and lower-is-better targets are compared whole while the period runs.
    assert compared_target(SHARE, q1, 60.0, day_45) == 60.0
    assert compared_target(DOWN, q1, 10.0, day_45) == 10.0
    # A closed period is held to its whole target.
    assert compared_target(UP, q1, 90.0, dt.date(2026, 4, 1)) == 90.0


def test_on_track_follows_the_direction_and_is_unknown_without_an_actual() -> None:
    assert (reaches(UP, 10.0, 10.0), reaches(UP, 9.9, 10.0)) == (True, False)
    assert (reaches(DOWN, 10.0, 10.0), reaches(DOWN, 10.1, 10.0)) == (True, False)
    assert (reaches(UP, None, 10.0), reaches(UP, 3.0, None)) == (None, None)


def test_trend_reads_the_last_two_closed_periods_in_the_direction() -> None:
    assert trend(UP, [1.0, 5.0, 3.0]) == "worsening"
    assert trend(DOWN, [5.0, 3.0]) == "improving"
    assert trend(UP, [2.0, 2.0]) == "steady"
    assert trend(UP, [4.0]) is None
