"""The test run's clock: the app's own clock (``app.clock``, UTC), read when a test asks.

Tests and factories date their data from ``today()`` (and ``now()``) at the moment they build it, and compare what
the app stamped with the same clock, never with a date taken when the run or a module started: a run that crosses
midnight (CI's did, at 84 % of the suite) would otherwise build "today" data for yesterday while the app stamps
today, and every "expires in 30 days" or "since today" would be off by one. What is left is a midnight falling
inside one test, between its data and its assertion: seconds, not a whole run.
"""

from __future__ import annotations

import datetime as dt

from app import clock


def now() -> dt.datetime:
    """The current instant as the app reads it (timezone-aware, UTC)."""
    return clock.now()


def today() -> dt.date:
    """The local calendar date now: what ``date.today()`` gives, in the app and in a browser on this machine."""
    return clock.now().astimezone().date()


def utc_today() -> dt.date:
    """The UTC calendar date now (the analytics filters and the app's stamped dates count days in UTC)."""
    return clock.now().date()
