"""The test run's clock: one instant taken once, when the session starts, shared by every module and the factories.

Test modules and factories date their data from ``TODAY`` (and ``NOW``), never from their own ``date.today()`` at
import, so a run that crosses midnight still builds all of its data around one date. ``tests/conftest.py`` imports
this module before any test module, which fixes the instant at session start.
"""

from __future__ import annotations

import datetime as dt

#: The instant the test session started (UTC).
NOW = dt.datetime.now(dt.UTC)
#: The local calendar date of ``NOW``: what ``date.today()`` gave, and what the app's ``date.today()`` reads.
TODAY = NOW.astimezone().date()
#: The UTC calendar date of ``NOW`` (the analytics filters count days in UTC).
UTC_TODAY = NOW.date()
