"""Latex traceability services: a lot's answer (derived by the engine from its graph and stored), deriving again what a
change touches, who may read what, and the due-diligence files.

The engine (``app.traceability.engine``) is pure; this module loads its inputs (``app.traceability.graph``) and
stores its outputs: each plot's checks on the plot, each lot's answer in ``lot_result`` (one row to read).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from app.accounts.services import CurrentUser
from app.certificates.tables import Certificate
from app.clock import now
from app.db import atomic
from app.events import record, record_changes
from app.settings import Settings, get_settings
from app.traceability import tables
from app.traceability.engine import check_plots, dds_files, derive_lot
from app.traceability.engine.tiles import bounds, tiles_of
from app.traceability.graph import (
    CHUNK,
    LotGraph,
    check_to_json,
    load_lot_graph,
    member_query,
    member_value,
    plot_query,
    plot_value,
)
from app.traceability.model import Check, Delivery, LotAnswer, Member, Plot, Thresholds
from app.traceability.tables import Lot, LotInput, LotResult
from app.validation import NotFound


@lru_cache(maxsize=4)
def thresholds_from(settings: Settings) -> Thresholds:
    """The plausibility limits of these settings (``FORESTMATCH_TRACE_*``) as the pure engine reads them."""
    return Thresholds(
        drc_field_latex=(settings.trace_drc_field_latex_min, settings.trace_drc_field_latex_max),
        drc_cup_lump=(settings.trace_drc_cup_lump_min, settings.trace_drc_cup_lump_max),
        yield_warning_kg_ha=settings.trace_yield_warning_kg_ha,
        yield_error_kg_ha=settings.trace_yield_error_kg_ha,
        min_tapping_age_years=settings.trace_min_tapping_age_years,
        point_max_ha=settings.trace_point_max_ha,
        area_tolerance=settings.trace_area_tolerance_percent / 100,
        overlap_share=settings.trace_overlap_percent / 100,
        far_from_collector_km=settings.trace_far_from_collector_km,
    )


def thresholds() -> Thresholds:
    """The plausibility limits of the process's settings (defaults: those TRACEABILITY.md documents)."""
    return thresholds_from(get_settings())


class LotHasErrors(Exception):
    """The lot has error checks: no due-diligence file until they are fixed."""

    def __init__(self, checks: list[Check]) -> None:
        super().__init__(", ".join(f"{c.code} {c.ref}" for c in checks))
        self.checks = checks


def derive(graph: LotGraph) -> LotAnswer:
    """The engine's answer for a loaded graph."""
    return derive_lot(
        graph.lot,
        lots=graph.lots,
        deliveries=graph.deliveries,
        members=graph.members,
        plots=graph.plots,
        certificates=graph.certificates,
        collectors=graph.collectors,
        plot_checks=graph.plot_checks,
        thresholds=thresholds(),
    )


def told_facts(doc: dict[str, Any]) -> dict[str, Any]:
    """What the lot's holder and buyers are told about when it changes: the claim, its percentage, EUDR readiness and
    the checks (code, severity, record ref; not the worded message, which may change with no new fact)."""
    return {
        "claim": doc.get("claim"),
        "certified_percent": doc.get("certified_percent"),
        "eudr_ready": bool(doc.get("eudr_ready")),
        "checks": sorted(
            f"{c.get('severity', '')}:{c.get('code', '')}:{c.get('ref', '')}" for c in doc.get("checks") or []
        ),
    }


async def store_result(lot_id: int, answer: LotAnswer) -> None:
    """Keep the lot's answer in ``lot_result`` (left untouched when it is the same answer). When a stored answer's
    claim, EUDR readiness or checks change, ``lot_answer_changed`` is recorded in the same transaction (the holder and
    the buyers talking about offers backed by the lot are told)."""
    doc = answer.as_json()
    current = await LotResult.select(LotResult.answer).where(LotResult.lot == lot_id).output(load_json=True).first()
    if current is not None and current["answer"] == doc:
        return  # the usual case on a read: no write, no write lock
    moment = now()
    values: dict[str, Any] = {
        "claim": answer.claim,
        "certified_percent": answer.certified_percent,
        "eudr_ready": answer.eudr_ready,
        "members": answer.members,
        "plots": answer.plots,
        "deliveries": answer.deliveries,
        "checks": doc["checks"],
        "answer": doc,
        "computed_at": moment,
    }
    async with atomic():
        row = (
            await LotResult.select(LotResult.id, LotResult.answer)
            .where(LotResult.lot == lot_id)
            .output(load_json=True)
            .first()
        )
        if row is None:
            await LotResult.insert(LotResult(lot=lot_id, **values))
        elif row["answer"] != doc:
            await LotResult.update({getattr(LotResult, k): v for k, v in values.items()}).where(
                LotResult.id == row["id"]
            )
            before, after = told_facts(row["answer"] or {}), told_facts(doc)
            if before != after:
                payload = {"lot": answer.lot, "before": before, "after": after, "at": moment.isoformat()}
                await record("lot_answer_changed", ref=answer.lot, payload=payload)


async def _graph(ref: str) -> LotGraph:
    """The lot's graph, its plots' checks derived first where they never were (e.g. plots stored before checks)."""
    limit = thresholds().yield_warning_kg_ha
    graph = await load_lot_graph(ref, limit)
    if graph.unchecked:
        await refresh_plot_checks(graph.unchecked)
        graph = await load_lot_graph(ref, limit)
    return graph


#: The lot's graph with its plots checked (for the lot page and offers backed by lots).
load_checked_graph = _graph


async def lot_answer(ref: str) -> LotAnswer:
    """Derive lot ``ref`` from the records as they are now and store the answer (NotFound for an unknown lot)."""
    graph = await _graph(ref)
    answer = derive(graph)
    await store_result(graph.lot_id, answer)
    return answer


async def stored_answer(ref: str) -> dict[str, Any] | None:
    """The answer last stored for lot ``ref`` (``LotAnswer.as_json()``), or None when never derived."""
    row = await LotResult.select(LotResult.answer).where(LotResult.lot.ref == ref).output(load_json=True).first()
    return row["answer"] if row else None


# --- who sees what -------------------------------------------------------------------------------------------------
def may_see_detail(user: CurrentUser | None, graph: LotGraph) -> bool:
    """Staff, the lot's holder, the groups of its members and the collectors that recorded its deliveries."""
    if user is None:
        return False
    if user.is_staff:
        return True
    org = user.organization_ref
    holder = graph.lots[graph.lot].holder
    groups = {m.group for m in graph.members.values()}
    collectors = {graph.deliveries[ref].collector for ref in graph.drawn if ref in graph.deliveries}
    return bool(org) and (org == holder or org in groups or org in collectors)


def public_summary(doc: dict[str, Any], graph: LotGraph) -> dict[str, Any]:
    """The answer as a buyer reads it: claim, counts and checks, with no smallholder's name in any message."""
    names = sorted(
        ((m.name, m.member_code) for m in graph.members.values() if len(m.name.strip()) >= 2),
        key=lambda pair: -len(pair[0]),  # longest first, so "Maria Souza Lima" goes before "Maria Souza"
    )

    def scrub(message: str) -> str:
        for name, code in names:
            message = message.replace(name, code)
        return message

    return {**doc, "checks": [{**c, "message": scrub(c["message"])} for c in doc["checks"]]}


@dataclass(frozen=True)
class LotDetail:
    """A lot's answer with the records behind it that this reader may see (names, plots, deliveries)."""

    answer: LotAnswer
    members: list[Member]
    plots: list[Plot]
    deliveries: list[Delivery]


def visible_records(user: CurrentUser, graph: LotGraph) -> tuple[list[Member], list[Plot], list[Delivery]]:
    """The lot's members, plots and deliveries this reader may see: all for staff and the lot's holder; a group its
    own members with their plots and deliveries; a collector the deliveries it recorded, with their members and plots.
    """
    drawn = sorted((graph.deliveries[r] for r in graph.drawn if r in graph.deliveries), key=lambda d: d.ref)
    org = user.organization_ref
    if user.is_staff or org == graph.lots[graph.lot].holder:
        deliveries = drawn
    else:
        deliveries = [
            d
            for d in drawn
            if d.collector == org or (d.member in graph.members and graph.members[d.member].group == org)
        ]
    member_refs = {d.member for d in deliveries if d.member in graph.members}
    plot_refs = {d.plot for d in deliveries if d.plot in graph.plots}
    return (
        [graph.members[r] for r in sorted(member_refs)],
        [graph.plots[r] for r in sorted(plot_refs)],
        deliveries,
    )


async def lot_detail(user: CurrentUser | None, ref: str) -> LotDetail:
    """The lot's answer and the records behind it for a reader allowed the detail (NotFound for anyone else)."""
    graph = await _graph(ref)
    if user is None or not may_see_detail(user, graph):
        raise NotFound()
    answer = derive(graph)
    await store_result(graph.lot_id, answer)
    members, plots, deliveries = visible_records(user, graph)
    return LotDetail(answer=answer, members=members, plots=plots, deliveries=deliveries)


async def lot_for_user(user: CurrentUser | None, ref: str) -> dict[str, Any]:
    """The lot's answer (``LotAnswer.as_json()``): in full for those who may see the detail, else the public summary."""
    graph = await _graph(ref)
    answer = derive(graph)
    await store_result(graph.lot_id, answer)
    doc = answer.as_json()
    return doc if may_see_detail(user, graph) else public_summary(doc, graph)


async def dds_documents(ref: str, user: CurrentUser | None = None) -> list[dict[str, Any]]:
    """The due-diligence GeoJSON file(s) of lot ``ref``; LotHasErrors while it has an error check.

    ``user`` None is the command line (the operator); a signed-in user must be allowed the lot's detail."""
    graph = await _graph(ref)
    if user is not None and not may_see_detail(user, graph):
        raise NotFound()
    answer = derive(graph)
    await store_result(graph.lot_id, answer)
    errors = [c for c in answer.checks if c.severity == "error"]
    if errors:
        raise LotHasErrors(errors)
    return dds_files(graph.plots, graph.members, checks=answer.checks)


# --- deriving again what a change touches ------------------------------------------------------------------------
async def _ids(query: Any) -> set[int]:
    return {row["id"] for row in await query}


#: Plots read at a time while a country's bounding boxes are taken.
BOX_BATCH = 5_000


async def _country_checks(country: str, limits: Any, stored: dict[str, Any]) -> dict[str, list[Check]]:
    """The checks of every plot of one country (its stored checks are added to ``stored``), holding only the plots of
    the cells being checked: the bounding boxes are read first, then each cell's plots with their neighbours are read
    when first needed and let go after the last cell that needs them."""
    boxes: dict[str, Any] = {}
    last_id = 0
    while True:  # boxes only: one batch of geometries at a time
        rows = (
            await tables.Plot.select(tables.Plot.id, tables.Plot.ref, tables.Plot.geometry, tables.Plot.checks)
            .where((tables.Plot.country == country) & (tables.Plot.id > last_id))
            .order_by(tables.Plot.id)
            .limit(BOX_BATCH)
            .output(load_json=True)
        )
        if not rows:
            break
        for row in rows:
            boxes[row["ref"]] = bounds(row["geometry"])
            stored[row["ref"]] = row["checks"]
        last_id = rows[-1]["id"]
    work = tiles_of(boxes)
    del boxes
    last_use: dict[str, int] = {}
    for n, (subjects, near) in enumerate(work):
        for ref in (*subjects, *near):
            last_use[ref] = n
    values: dict[str, Any] = {}
    member_values: dict[str, Any] = {}
    parsed: dict[str, Any] = {}  # each plot parsed once while it is held, though it neighbours up to nine cells
    found: dict[str, list[Check]] = {}
    for n, (subjects, near) in enumerate(work):
        wanted = sorted({*subjects, *near} - set(values))
        for start in range(0, len(wanted), CHUNK):
            rows = await plot_query().where(tables.Plot.ref.is_in(wanted[start : start + CHUNK])).output(load_json=True)
            values.update((row["ref"], plot_value(row)) for row in rows)
        owners = sorted({values[r].member for r in near if r in values} - set(member_values))
        for start in range(0, len(owners), CHUNK):
            for row in await member_query().where(tables.Member.ref.is_in(owners[start : start + CHUNK])):
                member_values[row["ref"]] = member_value(row)
        found.update(
            check_plots(
                {r: values[r] for r in near if r in values},
                member_values,
                limits,
                subjects=subjects,
                parsed_cache=parsed,
            )
        )
        for ref in {*subjects, *near}:
            if last_use.get(ref) == n:  # no later cell needs it
                values.pop(ref, None)
                parsed.pop(ref, None)
    return found


async def refresh_plot_checks(plot_refs: Iterable[str] = (), member_refs: Iterable[str] = ()) -> list[str]:
    """Check again every plot of the countries these plots (and members' plots) are in; store what changed.

    A plot's overlap and duplicate checks depend on its neighbours, so the whole country is checked; returns the
    refs of the plots whose checks changed (the lots they feed are derived again)."""
    plots, members = sorted(set(plot_refs)), sorted(set(member_refs))
    countries: set[str] = set()
    for start in range(0, max(len(plots), len(members)), CHUNK):
        rows = await tables.Plot.select(tables.Plot.country).where(
            tables.Plot.ref.is_in(plots[start : start + CHUNK] or [""])
            | tables.Plot.member.ref.is_in(members[start : start + CHUNK] or [""])
        )
        countries |= {row["country"] for row in rows}
    if not countries:
        return []
    found: dict[str, list[Check]] = {}
    stored: dict[str, Any] = {}
    limits = thresholds()
    for country in sorted(countries):
        found.update(await _country_checks(country, limits, stored))
    changed: list[str] = []
    # Plots with the same new checks (most often none) are written together: one UPDATE per kind of result.
    by_result: dict[str, tuple[list[dict[str, Any]], list[str]]] = {}
    for ref in stored:
        checks = [check_to_json(c) for c in found.get(ref, [])]
        if checks != stored[ref]:
            by_result.setdefault(json.dumps(checks, sort_keys=True), (checks, []))[1].append(ref)
            changed.append(ref)
    for checks, refs in by_result.values():
        for start in range(0, len(refs), CHUNK):
            await tables.Plot.update({tables.Plot.checks: checks}).where(
                tables.Plot.ref.is_in(refs[start : start + CHUNK])
            )
    return changed


async def lots_touched(
    *,
    members: Iterable[str] = (),
    plots: Iterable[str] = (),
    deliveries: Iterable[str] = (),
    lots: Iterable[str] = (),
    groups: Iterable[str] = (),
    collectors: Iterable[str] = (),
) -> list[str]:
    """Refs of the lots whose answer may change with these records, and of every lot drawing from them."""
    delivery_ids: set[int] = set()
    by_column: tuple[tuple[Any, Iterable[str]], ...] = (
        (tables.Delivery.ref, deliveries),
        (tables.Delivery.member.ref, members),
        (tables.Delivery.plot.ref, plots),
        (tables.Delivery.member.group.ref, groups),  # type: ignore[union-attr]  # a join through the member's group
        (tables.Delivery.collector.ref, collectors),
    )
    for column, named in by_column:
        wanted = sorted(set(named))
        for start in range(0, len(wanted), CHUNK):
            delivery_ids |= await _ids(
                tables.Delivery.select(tables.Delivery.id).where(column.is_in(wanted[start : start + CHUNK]))
            )
    lot_ids: set[int] = set()
    wanted_lots = sorted(set(lots))
    for start in range(0, len(wanted_lots), CHUNK):
        lot_ids |= await _ids(Lot.select(Lot.id).where(Lot.ref.is_in(wanted_lots[start : start + CHUNK])))
    ids = sorted(delivery_ids)
    for start in range(0, len(ids), CHUNK):
        rows = await LotInput.select(LotInput.lot).where(LotInput.delivery.is_in(ids[start : start + CHUNK]))
        lot_ids |= {row["lot"] for row in rows}
    frontier = set(lot_ids)
    while frontier:  # lots drawing from a touched lot are touched too
        found: set[int] = set()
        chunk_ids = sorted(frontier)
        for start in range(0, len(chunk_ids), CHUNK):
            rows = await LotInput.select(LotInput.lot).where(
                LotInput.source_lot.is_in(chunk_ids[start : start + CHUNK])
            )
            found |= {row["lot"] for row in rows}
        frontier = found - lot_ids
        lot_ids |= found
    touched: list[str] = []
    ordered = sorted(lot_ids)
    for start in range(0, len(ordered), CHUNK):
        touched += [r["ref"] for r in await Lot.select(Lot.ref).where(Lot.id.is_in(ordered[start : start + CHUNK]))]
    return sorted(touched)


async def recompute_for(
    *,
    members: Iterable[str] = (),
    plots: Iterable[str] = (),
    deliveries: Iterable[str] = (),
    lots: Iterable[str] = (),
    certificates: Iterable[str] = (),
    organizations: Iterable[str] = (),
) -> list[str]:
    """Derive again the plot checks and the lots that changed records touch; returns the refs of the lots derived.

    ``certificates`` are certificate refs (their groups' members are touched); ``organizations`` are organisation
    refs whose profile changed (a collector's coordinates feed FAR_FROM_COLLECTOR)."""
    members, plots = list(members), list(plots)
    changed_plots = await refresh_plot_checks(plots, members) if (plots or members) else []
    cert_refs = sorted(set(certificates))
    groups: set[str] = set(organizations)
    for start in range(0, len(cert_refs), CHUNK):
        rows = await Certificate.select(Certificate.organization.ref.as_alias("group")).where(
            Certificate.ref.is_in(cert_refs[start : start + CHUNK])
        )
        groups |= {row["group"] for row in rows}
    touched = await lots_touched(
        members=members,
        plots=[*plots, *changed_plots],
        deliveries=deliveries,
        lots=lots,
        groups=groups,
        collectors=organizations,
    )
    for ref in touched:
        await lot_answer(ref)
    if touched:
        # Offers naming these lots carry their badge and EUDR readiness in the search index: index them again.
        from app.traceability.offer_lots import offers_naming  # that module reads this one

        await record_changes("offer", await offers_naming(touched))
    return touched
