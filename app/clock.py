"""The clock: the one place the app asks what time it is (UTC), so every module reads the same source."""

from __future__ import annotations

import datetime as dt


def now() -> dt.datetime:
    """The current moment, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)
