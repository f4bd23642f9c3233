"""The computed measures an indicator can take its actuals from: key -> query over a period and a program.

Each measure reuses the shared-measurement dashboard's queries (``app.analytics.queries``) with the dashboard's own
program filter, so an indicator's actual is the figure the dashboard shows for the same program and dates. A measure
answers ``{dimension value: number}`` with ``""`` for the total; a share is a percentage (0-100) or None when there
is nothing to divide.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from app.agenda.periods import Period
from app.analytics import conditions as where_for
from app.analytics.conditions import Sql
from app.analytics.filters import Filters
from app.analytics.queries import supply, trade
from app.analytics.queries import traceability as trace_queries
from app.i18n import N_
from app.i18n import gettext as _
from app.vocab import CANONICAL_UNIT, CATEGORIES, UNITS

Values = dict[str, float | None]
Compute = Callable[[Filters, str], Awaitable[Values]]
#: {'YYYY-MM': {part: amount}} over a date range: a measure's additive parts per calendar month
Monthly = Callable[[Filters], Awaitable[dict[str, dict[str, float]]]]
#: A period's total from its months' parts added up
Combine = Callable[[dict[str, float]], float | None]


@dataclass(frozen=True)
class Measure:
    key: str
    #: What the measure counts, in words (translated where shown)
    label: str
    unit: str
    #: Disaggregations this measure can break its total down by (besides none)
    dimensions: tuple[str, ...]
    compute: Compute
    #: A share (percentage): its target is not prorated over a running period
    is_share: bool = False
    #: When set, the total (no breakdown) of several periods comes from one query over their whole range, split
    #: by calendar month (quarters and years are whole months), instead of one query per period: same answer.
    monthly: Monthly | None = None
    combine: Combine | None = None


def _sql() -> Sql:
    return Sql(where_for.is_postgres())


def _f(program: int, start: dt.date, end: dt.date, today: dt.date, **more: Any) -> Filters:
    return Filters(date_from=start, date_to=end, program=program, today=today, **more)


def _sum(
    rows: list[dict[str, Any]], value: str, by: str, keep: Callable[[dict[str, Any]], bool] | None = None
) -> Values:
    """Total of ``value`` over rows (``""``) and, when ``by`` names a column, per value of that column."""
    out: dict[str, float] = defaultdict(float)
    for r in rows:
        if keep is not None and not keep(r):
            continue
        amount = float(r[value] or 0)
        out[""] += amount
        if by:
            out[str(r[by] or "")] += amount
    out.setdefault("", 0.0)
    return {k: round(v, 3) for k, v in out.items()}


async def _per_category(f: Filters, dimension: str, one: Compute) -> Values:
    """A measure broken down by product family: the measure run once per family (totals from the unfiltered run)."""
    total = await one(f, "")
    if dimension != "category":
        return total
    out: Values = {"": total[""]}
    for category in CATEGORIES:
        out[category] = (await one(dataclasses.replace(f, category=category), ""))[""]
    return out


def _share(part: float, whole: float) -> float | None:
    return round(100.0 * part / whole, 2) if whole else None


# --- the measures -------------------------------------------------------------------------------------------------
async def _producers(f: Filters, dimension: str) -> Values:
    async def one(g: Filters, dim: str) -> Values:
        return _sum(await supply.producers(g), "active", dim if dim in ("country", "legal_form") else "")

    if dimension == "category":
        return await _per_category(f, dimension, one)
    return await one(f, dimension)


def _offered(category: str) -> Compute:
    async def compute(f: Filters, dimension: str) -> Values:
        rows = await supply.offered(dataclasses.replace(f, category=category), _sql())
        return _sum(rows, "quantity", "country" if dimension == "country" else "")

    return compute


async def _requests_viable(f: Filters, dimension: str) -> Values:
    rows = await supply.demand(f, _sql())
    return _sum(rows, "viable", "category" if dimension == "category" else "")


async def _contacts(f: Filters, dimension: str) -> Values:
    async def one(g: Filters, _dim: str) -> Values:
        return _sum(await trade.contact_months(g, _sql()), "contacts", "")

    return await _per_category(f, dimension, one)


async def _reply_rate(f: Filters, dimension: str) -> Values:
    async def one(g: Filters, _dim: str) -> Values:
        rows = await trade.contact_months(g, _sql())
        return {"": _share(sum(float(r["replied"] or 0) for r in rows), sum(float(r["contacts"] or 0) for r in rows))}

    return await _per_category(f, dimension, one)


async def _deals(f: Filters, dimension: str) -> Values:
    groups, _pairs = await trade.deals(f, _sql())
    by = dimension if dimension in ("country", "category") else ""
    return _sum(groups, "deals", by, keep=lambda r: bool(int(r["confirmed"] or 0)))


def _deal_volume(category: str) -> Compute:
    async def compute(f: Filters, dimension: str) -> Values:
        groups, _pairs = await trade.deals(dataclasses.replace(f, category=category), _sql())
        by = "country" if dimension == "country" else ""
        return _sum(groups, "quantity", by, keep=lambda r: bool(int(r["confirmed"] or 0)))

    return compute


def _add(out: dict[str, dict[str, float]], month: str, **parts: float) -> None:
    bucket = out.setdefault(month, {})
    for k, v in parts.items():
        bucket[k] = bucket.get(k, 0.0) + v


_SHARED: contextvars.ContextVar[dict[Any, asyncio.Future[Any]] | None] = contextvars.ContextVar(
    "agenda_shared_queries", default=None
)


@contextlib.contextmanager
def shared_queries() -> Iterator[None]:
    """Inside this block a dashboard query asked again with the same filters is answered once (a page that shows
    several measures over the same records: the results page, the program report)."""
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


async def once(query: Callable[[Filters, Sql], Awaitable[Any]], f: Filters) -> Any:
    """``query(f, sql)``, run once per filters inside ``shared_queries()`` (every time outside it)."""
    memo = _SHARED.get()
    if memo is None:
        return await query(f, _sql())
    key = (query, f)
    if key not in memo:
        memo[key] = asyncio.ensure_future(query(f, _sql()))
    return await memo[key]


async def _contacts_monthly(f: Filters) -> dict[str, dict[str, float]]:
    rows = await once(trade.contact_months, f)
    out: dict[str, dict[str, float]] = {}
    for r in rows:
        _add(out, str(r["month"]), contacts=float(r["contacts"] or 0), replied=float(r["replied"] or 0))
    return out


async def _deals_monthly(f: Filters) -> dict[str, dict[str, float]]:
    """Confirmed deals per month, and their volume per product family (a family's volume is its deals' rows: the
    same as the deals query narrowed to the family, from one query that every deal measure shares: the dashboard's
    deals grouped by month, family and confirmation only, ``trade.deal_months``)."""
    groups = await once(trade.deal_months, f)
    out: dict[str, dict[str, float]] = {}
    for r in groups:
        if int(r["confirmed"] or 0):
            quantity = {f"quantity_{r['category']}": float(r["quantity"] or 0)}
            _add(out, str(r["month"]), deals=float(r["deals"] or 0), **quantity)
    return out


def _part(name: str) -> Combine:
    def combine(parts: dict[str, float]) -> float | None:
        return round(parts.get(name, 0.0), 3)

    return combine


def _reply_share(parts: dict[str, float]) -> float | None:
    return _share(parts.get("replied", 0.0), parts.get("contacts", 0.0))


async def _repeat_buyers(f: Filters, dimension: str) -> Values:
    _groups, pairs = await trade.deals(f, _sql())
    return {"": float(len({p["buyer_ref"] for p in pairs}))}


async def _traceable_share(f: Filters, dimension: str) -> Values:
    rows = [r for r in await trace_queries.traded(dataclasses.replace(f, category="latex"), _sql()) if r["kind"] == "c"]
    out: Values = {
        "": _share(sum(float(r["traceable"] or 0) for r in rows), sum(float(r["quantity"] or 0) for r in rows))
    }
    if dimension == "country":
        for r in rows:
            out[str(r["key"] or "")] = _share(float(r["traceable"] or 0), float(r["quantity"] or 0))
    return out


_LIST = [
    Measure(
        "producers_reached",
        N_("Producers reached: producer organisations that posted an offer or wrote to a buyer in the period"),
        N_("organisations"),
        ("country", "legal_form", "category"),
        _producers,
    ),
    *[
        Measure(
            f"certified_volume_offered_{c}",
            N_("Certified volume offered (%(family)s): offers posted in the period, FSC Controlled Wood left out"),
            CANONICAL_UNIT[c],
            ("country",),
            _offered(c),
        )
        for c in CATEGORIES
    ],
    Measure(
        "requests_viable",
        N_("Sourcing requests posted in the period that have a viable match"),
        N_("requests"),
        ("category",),
        _requests_viable,
    ),
    Measure(
        "contacts",
        N_("Contacts: conversations started in the period"),
        N_("conversations"),
        ("category",),
        _contacts,
        monthly=_contacts_monthly,
        combine=_part("contacts"),
    ),
    Measure(
        "reply_rate",
        N_("Reply rate: share of the period's conversations the producer answered"),
        "%",
        ("category",),
        _reply_rate,
        is_share=True,
        monthly=_contacts_monthly,
        combine=_reply_share,
    ),
    Measure(
        "deals_confirmed",
        N_("Deals confirmed: deals dated in the period that the other party confirmed"),
        N_("deals"),
        ("country", "category"),
        _deals,
        monthly=_deals_monthly,
        combine=_part("deals"),
    ),
    *[
        Measure(
            f"volume_confirmed_{c}",
            N_("Volume confirmed (%(family)s): quantity of confirmed deals dated in the period"),
            CANONICAL_UNIT[c],
            ("country",),
            _deal_volume(c),
            monthly=_deals_monthly,
            combine=_part(f"quantity_{c}"),
        )
        for c in CATEGORIES
    ],
    Measure(
        "repeat_buyers",
        N_("Repeat buyers: buyers with two or more deals with the same producer in the period"),
        N_("buyers"),
        (),
        _repeat_buyers,
    ),
    Measure(
        "traceable_latex_share",
        N_("Traceable latex share: share of confirmed latex deal volume on offers backed by lots"),
        "%",
        ("country",),
        _traceable_share,
        is_share=True,
    ),
]

#: Every computed measure by key.
MEASURES: dict[str, Measure] = {m.key: m for m in _LIST}


def family_of(key: str) -> str:
    """The product family a per-family measure is about ('' for the others)."""
    for c in CATEGORIES:
        if key.endswith("_" + c):
            return c
    return ""


async def compute(key: str, program: int, start: dt.date, end: dt.date, today: dt.date, dimension: str) -> Values:
    """The measure for a program over ``start``..``end`` (inclusive days), total and per ``dimension`` value."""
    return await MEASURES[key].compute(_f(program, start, end, today), dimension)


async def compute_periods(
    key: str, program: int, periods: list[Period], today: dt.date, dimension: str
) -> dict[Period, Values]:
    """The measure for each period that has started (each up to ``today``): one query over their whole range when
    the measure has monthly parts and no breakdown is asked (shared with other measures inside
    ``shared_queries()``), else one query per period."""
    measure = MEASURES[key]
    started = [p for p in periods if p.start <= today]
    if measure.monthly is None or measure.combine is None or dimension or not started:
        return {p: await compute(key, program, p.start, min(p.end, today), today, dimension) for p in started}
    first, last = min(p.start for p in started), min(max(p.end for p in started), today)
    months = await measure.monthly(_f(program, first, last, today))
    out: dict[Period, Values] = {}
    for p in started:
        low, high = p.start.strftime("%Y-%m"), min(p.end, today).strftime("%Y-%m")
        parts: dict[str, float] = {}
        for month, values in months.items():
            if low <= month <= high:
                for k, v in values.items():
                    parts[k] = parts.get(k, 0.0) + v
        out[p] = {"": measure.combine(parts)}
    return out


_SYMBOLS = {k: v for units in UNITS.values() for k, v in units.items()}
_WORDS = {m.unit for m in _LIST}


def unit_label(unit: str) -> str:
    """A stored unit in the reader's language: a trade unit's symbol (kg DRC), a measure's word, or as typed."""
    if unit in _SYMBOLS:
        return _(_SYMBOLS[unit])
    return _(unit) if unit in _WORDS else unit


def measure_label(key: str) -> str:
    """What a measure counts, in the reader's language (a per-family measure names its family)."""
    measure = MEASURES.get(key)
    if measure is None:
        return key
    family = family_of(key)
    return _(measure.label, family=_(CATEGORIES[family])) if family else _(measure.label)
