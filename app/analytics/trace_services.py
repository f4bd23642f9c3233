"""The traceability figures of the shared measurement: computed at query time from offers, deals, lots, members and
plots (``app.analytics.queries.traceability``), reused while those records are unchanged (``app.analytics.cache``)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections import defaultdict
from typing import Any

from app.accounts.services import CurrentUser
from app.analytics import cache
from app.analytics import conditions as where_for
from app.analytics.conditions import Sql
from app.analytics.filters import Filters
from app.analytics.queries import traceability as queries
from app.analytics.schemas import FiltersOut
from app.analytics.trace_schemas import GroupMembers, LotError, TraceabilitySummary, TraceRow, TraceVolume
from app.places import country_name
from app.validation import PermissionDenied
from app.vocab import CANONICAL_UNIT

UNIT = CANONICAL_UNIT["latex"]


def _share(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def volume(row: dict[str, Any] | None) -> TraceVolume:
    """A row of ``_sums`` (or nothing) as a TraceVolume."""
    r = row or {}
    quantity = round(float(r.get("quantity") or 0.0), 3)
    traceable = round(float(r.get("traceable") or 0.0), 3)
    ready = round(float(r.get("ready") or 0.0), 3)
    return TraceVolume(
        count=int(r.get("n") or 0),
        quantity=quantity,
        traceable_count=int(r.get("traceable_n") or 0),
        traceable_quantity=traceable,
        traceable_share=_share(traceable, quantity),
        eudr_ready_count=int(r.get("ready_n") or 0),
        eudr_ready_quantity=ready,
        eudr_ready_share=_share(ready, quantity),
    )


def _total(rows: list[dict[str, Any]]) -> dict[str, float]:
    keys = ("n", "quantity", "traceable_n", "traceable", "ready_n", "ready")
    return {k: sum(float(r[k] or 0) for r in rows) for k in keys}


def _rows(
    offered: dict[Any, dict[str, Any]], traded: dict[Any, dict[str, Any]], names: dict[Any, tuple[str, str]]
) -> list[TraceRow]:
    """Rows keyed alike, largest offered volume first (then traded volume, then name)."""
    out = [
        TraceRow(key=names[k][0], name=names[k][1], offered=volume(offered.get(k)), traded=volume(traded.get(k)))
        for k in set(offered) | set(traded)
    ]
    return sorted(out, key=lambda r: (-r.offered.quantity, -r.traded.quantity, r.name, r.key))


def _lot_errors(rows: list[dict[str, Any]]) -> list[LotError]:
    """One LotError per lot from its (lot, code) rows, in the query's order (newest first)."""
    lots: dict[str, dict[str, Any]] = {}
    for r in rows:
        lot = lots.setdefault(r["ref"], {**r, "codes": {}})
        lot["codes"][r["code"]] = int(r["n"])
    return [
        LotError(
            ref=r["ref"],
            date=r["date"],
            holder_ref=r["holder_ref"],
            holder_name=r["holder_name"],
            product_type=r["product_type"],
            dry_kg=round(float(r["dry_kg"] or 0.0), 3),
            claim=r["claim"],
            errors=sum(r["codes"].values()),
            codes=dict(sorted(r["codes"].items())),
        )
        for r in lots.values()
    ]


async def summary(user: CurrentUser, f: Filters) -> TraceabilitySummary:
    """The traceability figures for the filters (staff only); reused while the underlying records are unchanged."""
    if not user.is_staff:
        raise PermissionDenied()
    f = dataclasses.replace(f, category="latex")
    print_ = await cache.trace_fingerprint()
    cached = cache.get(f, print_)
    if cached is None:
        cached = await compute(f)
        cache.put(f, print_, cached)
    return cached


async def compute(f: Filters) -> TraceabilitySummary:
    """The traceability figures for the filters (latex only, whatever category they name), computed now."""
    f = dataclasses.replace(f, category="latex")
    sql = Sql(where_for.is_postgres())
    async with asyncio.TaskGroup() as tg:
        offered_task = tg.create_task(queries.offered(f, sql))
        traded_task = tg.create_task(queries.traded(f, sql))
        errors_task = tg.create_task(queries.lots_with_errors(f, sql))
        lots_task = tg.create_task(queries.lot_count(f))
        members_task = tg.create_task(queries.members(f, sql, f.as_of))
    offered, traded = offered_task.result(), traded_task.result()
    by_kind: dict[tuple[str, str], dict[Any, dict[str, Any]]] = defaultdict(dict)
    for name, rows in (("offered", offered), ("traded", traded)):
        for r in rows:
            key = (r["key"] or "") if r["kind"] == "c" else int(r["key"])
            by_kind[(r["kind"], name)][key] = r
    countries = {k: (k, country_name(k) or "—") for k in (*by_kind[("c", "offered")], *by_kind[("c", "traded")])}
    groups = await queries.group_names(sorted({*by_kind[("g", "offered")], *by_kind[("g", "traded")]}))
    group_keys = {k: (g["ref"], g["name"]) for k, g in groups.items()}
    return TraceabilitySummary(
        filters=FiltersOut(
            date_from=f.date_from,
            date_to=f.date_to,
            country=f.country,
            region=f.region,
            category="latex",
            product_type=f.product_type,
            claim=f.claim,
            legal_form=f.legal_form,
            program=f.program,
        ),
        unit=UNIT,
        offered=volume(_total([r for r in offered if r["kind"] == "c"])),
        traded=volume(_total([r for r in traded if r["kind"] == "c"])),
        by_country=_rows(by_kind[("c", "offered")], by_kind[("c", "traded")], countries),
        by_group=_rows(by_kind[("g", "offered")], by_kind[("g", "traded")], group_keys),
        lots=lots_task.result(),
        lots_with_errors=_lot_errors(errors_task.result()),
        members=[
            GroupMembers(
                ref=r["ref"],
                name=r["name"],
                country=r["country"] or "",
                members=int(r["members"]),
                in_scope=int(r["in_scope"] or 0),
                with_plots=int(r["with_plots"] or 0),
                with_plot_errors=int(r["with_plot_errors"] or 0),
            )
            for r in members_task.result()
        ],
        as_of=f.as_of,
    )
