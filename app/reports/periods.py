"""The report's period: typed as '2026-Q3' or '2026', the latest closed quarter by default."""

from __future__ import annotations

import datetime as dt

from app.agenda import periods
from app.agenda.periods import Period

#: How many quarters (and years) back the period picker offers.
PICKER_QUARTERS = 8
PICKER_YEARS = 3


def default_period(today: dt.date) -> Period:
    """The latest quarter that has ended before ``today``."""
    return periods.quarter_of(periods.quarter_of(today).start - dt.timedelta(days=1))


def parse_period(raw: str | None, today: dt.date) -> tuple[Period, bool]:
    """The period asked for, or the default; the flag says the raw text was given but could not be read."""
    text = (raw or "").strip()
    if not text:
        return default_period(today), False
    found = periods.parse(text)
    if found is None:
        return default_period(today), True
    return found, False


def choices(today: dt.date, chosen: Period) -> list[str]:
    """Labels the picker offers: recent quarters and years (newest first), the chosen one always among them."""
    quarters = periods.last_quarters(today, PICKER_QUARTERS)
    labels = [p.label for p in reversed(quarters)] + [str(today.year - k) for k in range(PICKER_YEARS)]
    if chosen.label not in labels:
        labels.insert(0, chosen.label)
    return labels
