"""Sections other packages add to the program report, without this package importing them.

A provider is an async callable ``(program_id, period, today) -> ReportSection | None``; a package registers it once
at import (``register(provider)``), and the report draws each section it returns after its own, on the page and in
the PDF. ``app/partners`` (partners' commitments, built in parallel) is meant to register its
``commitment_summary(program_id, period)`` here; until a provider is registered the report has no such section.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from app.agenda.periods import Period


@dataclass(frozen=True)
class ReportSection:
    """A section in plain data, drawn the same way on the page and in the PDF: a title, paragraphs and one table."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


SectionProvider = Callable[[int, Period, dt.date], Awaitable[ReportSection | None]]

#: The registered providers, in the order their sections appear.
report_sections: list[SectionProvider] = []


def register(provider: SectionProvider) -> SectionProvider:
    """Add a provider once (usable as a decorator); registering the same callable again changes nothing."""
    if provider not in report_sections:
        report_sections.append(provider)
    return provider


async def extra_sections(program_id: int, period: Period, today: dt.date) -> list[ReportSection]:
    """The sections the registered providers give for this program and period (those that return one)."""
    out = []
    for provider in report_sections:
        section = await provider(program_id, period, today)
        if section is not None:
            out.append(section)
    return out
