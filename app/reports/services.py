"""The program report's data: one structure (``ProgramReport``) that the page and the PDF both draw.

Figures are formatted here, in the reader's language, so the page and the PDF show the same texts.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from app.accounts.services import CurrentUser
from app.agenda import measures
from app.agenda import services as agenda_services
from app.agenda.periods import Period
from app.agenda.results import period_result
from app.agenda.schemas import PeriodOut
from app.analytics import conditions as where_for
from app.analytics.conditions import Sql
from app.analytics.filters import Filters
from app.analytics.queries import supply, trade
from app.bulletins.services import excerpt
from app.bulletins.tables import ProgramUpdate
from app.i18n import N_, format_date, format_number
from app.i18n import gettext as _
from app.reports.sections import ReportSection, extra_sections
from app.vocab import CANONICAL_UNIT, CATEGORIES

#: How many program updates the report lists (the newest of the period); the rest are counted.
MAX_HIGHLIGHTS = 12
HIGHLIGHT_CHARS = 220

VERDICTS = {"on-track": N_("On track"), "off-track": N_("Off track"), "unknown": N_("Not known yet")}


@dataclass(frozen=True)
class IndicatorLine:
    """One indicator in the report's period; ``*_text`` are the figures as shown ('—' when there is none)."""

    id: int
    title: str
    unit: str
    ascending: bool
    computed: bool
    baseline_text: str
    target_text: str
    target_to_date_text: str
    actual_text: str
    #: "on-track", "off-track" or "unknown"
    verdict: str
    verdict_text: str
    actual: float | None
    target: float | None


@dataclass(frozen=True)
class Highlight:
    id: int
    title: str
    posted: str
    first_lines: str


@dataclass(frozen=True)
class FamilyFigure:
    """A product family's count and volume (canonical unit) in the period."""

    category: str
    label: str
    unit: str
    count: int
    quantity: float
    quantity_text: str


@dataclass(frozen=True)
class TradeFigures:
    offers: int
    offered: list[FamilyFigure]
    requests: int
    requests_viable: int
    contacts: int
    replied: int
    reply_rate_text: str
    deals: int
    deals_confirmed: int
    confirmed_volume: list[FamilyFigure]


@dataclass(frozen=True)
class ProgramReport:
    program_id: int
    program_name: str
    period: Period
    period_text: str
    generated_text: str
    today: dt.date
    indicators: list[IndicatorLine]
    highlights: list[Highlight]
    more_highlights: int
    trade: TradeFigures
    sections: list[ReportSection] = field(default_factory=list)

    @property
    def title(self) -> str:
        return _("Program report: %(program)s, %(period)s", program=self.program_name, period=self.period.label)

    @property
    def file_name(self) -> str:
        """The PDF's download name: ASCII letters, digits and dashes only."""
        slug = "".join(c if c.isascii() and c.isalnum() else "-" for c in self.program_name.lower())
        slug = "-".join(part for part in slug.split("-") if part)[:60] or f"program-{self.program_id}"
        return f"forestmatch-report-{slug}-{self.period.label}.pdf"


def figure(value: float | None, share: bool = False) -> str:
    """A figure in the reader's language: one decimal below 100 (and for shares), none above; '—' for none."""
    if value is None:
        return "—"
    return format_number(value, 1 if share or abs(value) < 100 else 0) + (" %" if share else "")


def period_text(p: Period) -> str:
    """'2026-Q3 (1 Jul 2026 – 30 Sep 2026)' in the reader's language."""
    return f"{p.label} ({format_date(p.start)} – {format_date(p.end)})"


def _line(indicator: dict[str, Any], out: PeriodOut) -> IndicatorLine:
    share = indicator["unit"].strip() == "%" or bool(
        measures.MEASURES.get(indicator["measure"]) and measures.MEASURES[indicator["measure"]].is_share
    )
    target = out.target[0].value if out.target else None
    actual = next((a.value for a in out.actual if not a.dimension), None)
    verdict = "unknown" if out.on_track is None else ("on-track" if out.on_track else "off-track")
    base, base_date = indicator["baseline_value"], indicator["baseline_date"]
    baseline = figure(base, share)
    if base is not None and base_date is not None:
        baseline = _("%(value)s on %(date)s", value=baseline, date=format_date(base_date))
    held_to = out.compared_target if out.compared_target != target else None
    return IndicatorLine(
        id=int(indicator["id"]),
        title=indicator["name"],
        unit=measures.unit_label(indicator["unit"]),
        ascending=indicator["direction"] == "increase",
        computed=indicator["source"] == "computed",
        baseline_text=baseline,
        target_text=figure(target, share),
        target_to_date_text=figure(held_to, share),
        actual_text=figure(actual, share),
        verdict=verdict,
        verdict_text=_(VERDICTS[verdict]),
        actual=actual,
        target=target,
    )


async def indicator_lines(program_id: int, p: Period, today: dt.date) -> list[IndicatorLine]:
    """Each indicator of the program against its target in the period (``app.agenda.results``' rules)."""
    out = []
    for indicator in await agenda_services.indicators_of(program_id):
        out.append(_line(indicator, await period_result(indicator, program_id, p, today)))
    return out


async def highlights(program_id: int, p: Period) -> tuple[list[Highlight], int]:
    """The program updates posted in the period (not withdrawn), newest first, and how many more there are."""
    start = dt.datetime.combine(p.start, dt.time(), tzinfo=dt.UTC)
    end = dt.datetime.combine(p.end + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    where = (
        (ProgramUpdate.program == program_id)
        & ProgramUpdate.withdrawn_at.is_null()
        & (ProgramUpdate.created_at >= start)
        & (ProgramUpdate.created_at < end)
    )
    total = await ProgramUpdate.count().where(where)
    rows = (
        await ProgramUpdate.select(ProgramUpdate.id, ProgramUpdate.title, ProgramUpdate.body, ProgramUpdate.created_at)
        .where(where)
        .order_by(ProgramUpdate.created_at, ascending=False)
        .order_by(ProgramUpdate.id, ascending=False)
        .limit(MAX_HIGHLIGHTS)
    )
    items = [
        Highlight(
            id=int(r["id"]),
            title=r["title"],
            posted=format_date(r["created_at"].date()),
            first_lines=excerpt(r["body"], HIGHLIGHT_CHARS),
        )
        for r in rows
    ]
    return items, max(total - len(items), 0)


def _family(category: str, count: int, quantity: float) -> FamilyFigure:
    unit = CANONICAL_UNIT.get(category, "")
    return FamilyFigure(
        category=category,
        label=_(CATEGORIES[category]) if category in CATEGORIES else category,
        unit=measures.unit_label(unit),
        count=count,
        quantity=round(quantity, 3),
        quantity_text=figure(round(quantity, 3)),
    )


async def trade_figures(program_id: int, p: Period, today: dt.date) -> TradeFigures:
    """Offers, requests, contacts, deals and confirmed volumes of the program in the period: the dashboard's own
    queries (``app.analytics.queries``) with its program filter and the period's dates."""
    f = Filters(date_from=p.start, date_to=min(p.end, today), program=program_id, today=today)
    sql = Sql(where_for.is_postgres())
    async with asyncio.TaskGroup() as tg:
        offered_task = tg.create_task(supply.offered(f, sql))
        demand_task = tg.create_task(supply.demand(f, sql))
        contact_task = tg.create_task(measures.once(trade.contact_months, f))
        deal_task = tg.create_task(measures.once(trade.deal_months, f))
    offered: dict[str, list[float]] = {}
    for r in offered_task.result():
        bucket = offered.setdefault(r["category"], [0, 0.0])
        bucket[0] += int(r["offers"] or 0)
        bucket[1] += float(r["quantity"] or 0.0)
    demand = demand_task.result()
    contact_rows = contact_task.result()
    deal_rows = deal_task.result()
    confirmed: dict[str, list[float]] = {}
    deals = deals_confirmed = 0
    for r in deal_rows:
        n = int(r["deals"] or 0)
        deals += n
        if int(r["confirmed"] or 0):
            deals_confirmed += n
            bucket = confirmed.setdefault(r["category"], [0, 0.0])
            bucket[0] += n
            bucket[1] += float(r["quantity"] or 0.0)
    contacts = sum(int(r["contacts"] or 0) for r in contact_rows)
    replied = sum(int(r["replied"] or 0) for r in contact_rows)
    return TradeFigures(
        offers=sum(int(v[0]) for v in offered.values()),
        offered=[_family(c, int(v[0]), v[1]) for c, v in sorted(offered.items())],
        requests=sum(int(r["requests"] or 0) for r in demand),
        requests_viable=sum(int(r["viable"] or 0) for r in demand),
        contacts=contacts,
        replied=replied,
        reply_rate_text=figure(round(100.0 * replied / contacts, 1) if contacts else None, share=True),
        deals=deals,
        deals_confirmed=deals_confirmed,
        confirmed_volume=[_family(c, int(v[0]), v[1]) for c, v in sorted(confirmed.items())],
    )


async def program_report(user: CurrentUser, program_id: int, p: Period, today: dt.date) -> ProgramReport:
    """The report of a program for a period: staff and users of member organisations; NotFound for anyone else."""
    program = await agenda_services.program_for(user, program_id)
    # The indicators' measures and the trade figures read the same dashboard queries for the same dates: once.
    with measures.shared_queries():
        figures = await trade_figures(program_id, p, today)
        lines = await indicator_lines(program_id, p, today)
    items, more = await highlights(program_id, p)
    return ProgramReport(
        program_id=program_id,
        program_name=program["name"],
        period=p,
        period_text=period_text(p),
        generated_text=format_date(today),
        today=today,
        indicators=lines,
        highlights=items,
        more_highlights=more,
        trade=figures,
        sections=await extra_sections(program_id, p, today),
    )


def trade_rows(t: TradeFigures) -> list[tuple[str, str, str]]:
    """The trade figures as (key, label, value) rows, in the order the page and the PDF show them."""
    rows = [("offers", _("Certified offers posted"), format_number(t.offers, 0))]
    rows += [
        (
            f"offered-{v.category}",
            _("Volume offered: %(family)s (%(unit)s)", family=v.label, unit=v.unit),
            v.quantity_text,
        )
        for v in t.offered
    ]
    rows += [
        ("requests", _("Sourcing requests posted"), format_number(t.requests, 0)),
        ("requests-viable", _("Sourcing requests with a viable match"), format_number(t.requests_viable, 0)),
        ("contacts", _("Contacts: conversations started"), format_number(t.contacts, 0)),
        ("reply-rate", _("Reply rate"), t.reply_rate_text),
        ("deals", _("Deals recorded"), format_number(t.deals, 0)),
        ("deals-confirmed", _("Deals confirmed"), format_number(t.deals_confirmed, 0)),
    ]
    rows += [
        (
            f"confirmed-{v.category}",
            _("Volume confirmed: %(family)s (%(unit)s)", family=v.label, unit=v.unit),
            v.quantity_text,
        )
        for v in t.confirmed_volume
    ]
    return rows
