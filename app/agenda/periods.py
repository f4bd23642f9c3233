"""Reporting periods: a quarter ('2026-Q3') or a calendar year ('2026'), stored as inclusive start and end dates."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_YEAR = re.compile(r"^\s*(\d{4})\s*$")
MIN_YEAR, MAX_YEAR = 2000, 2100


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period; ``start`` and ``end`` are both inside it."""

    start: dt.date
    end: dt.date
    kind: str  # "quarter" or "year"

    @property
    def label(self) -> str:
        """'2026-Q3' or '2026': how periods are typed and shown (the same in every language)."""
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def elapsed_share(self, today: dt.date) -> float:
        """How much of the period has passed by the end of ``today`` (0 before it starts, 1 once it has ended)."""
        if today < self.start:
            return 0.0
        if today >= self.end:
            return 1.0
        return ((today - self.start).days + 1) / self.days


def quarter(year: int, q: int) -> Period:
    start = dt.date(year, 3 * (q - 1) + 1, 1)
    end = dt.date(year + 1, 1, 1) if q == 4 else dt.date(year, 3 * q + 1, 1)
    return Period(start, end - dt.timedelta(days=1), "quarter")


def year(y: int) -> Period:
    return Period(dt.date(y, 1, 1), dt.date(y, 12, 31), "year")


def parse(raw: str) -> Period | None:
    """'2026-Q3', '2026Q3', '2026 q3' or '2026'; None for anything else (years 2000-2100)."""
    m = _QUARTER.match(raw or "")
    if m and MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return quarter(int(m.group(1)), int(m.group(2)))
    m = _YEAR.match(raw or "")
    if m and MIN_YEAR <= int(m.group(1)) <= MAX_YEAR:
        return year(int(m.group(1)))
    return None


def of_row(row: dict[str, object]) -> Period:
    """The period stored in a row's period_start, period_end and period_kind."""
    start, end = row["period_start"], row["period_end"]
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if isinstance(end, str):
        end = dt.date.fromisoformat(end)
    assert isinstance(start, dt.date) and isinstance(end, dt.date)
    return Period(start, end, str(row["period_kind"]))


def quarter_of(day: dt.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def last_quarters(today: dt.date, count: int) -> list[Period]:
    """The quarter holding ``today`` and the ``count - 1`` before it, oldest first."""
    current = quarter_of(today)
    out = [current]
    while len(out) < count:
        out.insert(0, quarter_of(out[0].start - dt.timedelta(days=1)))
    return out
