"""What the lot page shows: the derived claim and how it was derived, the checks in the reader's language, and the
origin either in detail (plots, members, deliveries: for those ``may_see_detail`` allows) or at coarse level
(counts per village and per 0.1° grid cell: never a plot outline, a point, a plot ref or a smallholder's name)."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from app.accounts.services import CurrentUser
from app.i18n import N_, gettext
from app.traceability.engine import localized_message
from app.traceability.graph import LotGraph
from app.traceability.model import Check, LotAnswer, Plot
from app.traceability.services import derive, load_checked_graph, may_see_detail, store_result, visible_records
from app.validation import NotFound

#: Share of certified input an FSC Mix lot needs to carry the on-product label (TRACEABILITY.md).
LABEL_THRESHOLD = 70
#: Side of a coarse origin cell in degrees (about 11 km at the equator).
CELL_DEG = 0.1
#: Rows per page in the detail tables.
PAGE_SIZE = 50

#: Why a member's deliveries were not certified (the reason codes of ``LotAnswer.out_of_scope``).
REASONS: dict[str, str] = {
    "not_in_scope_yet": N_("not yet inside the group certificate's scope on the delivery date"),
    "left_scope": N_("had left the group certificate's scope by the delivery date"),
    "certificate_not_valid": N_("no certificate of the group was valid on the delivery date"),
    "product_not_covered": N_("the group's certificate does not cover this product"),
    "no_group_certificate": N_("the group holds no certificate"),
}

#: What each check code means, for readers who see checks grouped rather than one record at a time.
CHECK_TITLES: dict[str, str] = {
    "GEOM_INVALID": N_("Plot outline not valid"),
    "POINT_OVER_4HA": N_("Plot over 4 ha given as a point"),
    "AREA_MISMATCH": N_("Declared area differs from the outline"),
    "OUTSIDE_COUNTRY": N_("Plot outside its declared country"),
    "PLOT_OVERLAP": N_("Plots of different members overlap"),
    "DUPLICATE_GEOMETRY": N_("Plots with the same geometry"),
    "DRC_OUT_OF_RANGE": N_("Dry rubber content out of range"),
    "YIELD_IMPLAUSIBLE": N_("Implausible yield per hectare"),
    "TOO_YOUNG": N_("Deliveries from trees too young to tap"),
    "MEMBER_NOT_CERTIFIED": N_("Member outside the certificate's scope"),
    "NO_ORIGIN": N_("Input without member or plot"),
    "MASS_BALANCE": N_("Output above inputs"),
    "FAR_FROM_COLLECTOR": N_("Plot far from the collector"),
}


def check_title(code: str) -> str:
    """The check code's meaning in the reader's language (the code itself when unknown)."""
    return gettext(CHECK_TITLES[code]) if code in CHECK_TITLES else code


def reason_text(code: str) -> str:
    """An out-of-scope reason code worded in the reader's language."""
    return gettext(REASONS[code]) if code in REASONS else code


def errors_first(checks: tuple[Check, ...] | list[Check]) -> list[Check]:
    """Errors before warnings, each by code then record."""
    return sorted(checks, key=lambda c: (c.severity != "error", c.code, c.ref))


@dataclass(frozen=True)
class CheckGroup:
    """Checks of one code and severity, counted (the public view names no record)."""

    code: str
    severity: str
    title: str
    count: int


def grouped_checks(checks: tuple[Check, ...] | list[Check]) -> list[CheckGroup]:
    """Checks counted per severity and code, errors first."""
    counts = Counter((c.severity, c.code) for c in checks)
    return [
        CheckGroup(code=code, severity=severity, title=check_title(code), count=n)
        for (severity, code), n in sorted(counts.items(), key=lambda item: (item[0][0] != "error", item[0][1]))
    ]


def plot_centre(plot: Plot) -> tuple[float, float] | None:
    """(lat, lon) of a point plot or the mean of a polygon's outer ring; None when the geometry does not parse."""
    geometry = plot.geometry or {}
    try:
        if geometry.get("type") == "Point":
            lon, lat = geometry["coordinates"][:2]
            return float(lat), float(lon)
        if geometry.get("type") == "Polygon":
            ring = geometry["coordinates"][0]
            if len(ring) > 1 and ring[0] == ring[-1]:
                ring = ring[:-1]
            if not ring:
                return None
            return (
                sum(float(p[1]) for p in ring) / len(ring),
                sum(float(p[0]) for p in ring) / len(ring),
            )
    except (KeyError, IndexError, TypeError, ValueError):
        return None
    return None


def _cell_floor(value: float) -> float:
    # round() first so 0.3 / 0.1 == 2.9999 still lands in cell 3.
    return math.floor(round(value / CELL_DEG, 9)) * CELL_DEG


@dataclass(frozen=True)
class Cell:
    """A coarse origin square: south-west corner, side ``CELL_DEG``, and how many plots lie in it."""

    south: float
    west: float
    plots: int

    @property
    def bounds(self) -> list[list[float]]:
        return [
            [round(self.south, 4), round(self.west, 4)],
            [round(self.south + CELL_DEG, 4), round(self.west + CELL_DEG, 4)],
        ]


@dataclass(frozen=True)
class Locality:
    """Members and plots of one village (locality) and country."""

    country: str
    locality: str
    members: int
    plots: int


def coarse_origin(graph: LotGraph) -> tuple[list[Locality], list[Cell]]:
    """Counts per locality and per 0.1° cell of the plots the lot draws on (no ref, name or position beyond a cell)."""
    drawn = [graph.deliveries[r] for r in graph.drawn if r in graph.deliveries]
    plot_refs = {d.plot for d in drawn if d.plot in graph.plots}
    member_refs = {d.member for d in drawn if d.member in graph.members}
    members_at: Counter[tuple[str, str]] = Counter()
    plots_at: Counter[tuple[str, str]] = Counter()
    for ref in member_refs:
        m = graph.members[ref]
        members_at[(m.country, m.locality)] += 1
    cells: Counter[tuple[float, float]] = Counter()
    for ref in plot_refs:
        plot = graph.plots[ref]
        owner = graph.members.get(plot.member)
        if owner is not None:
            plots_at[(owner.country, owner.locality)] += 1
        centre = plot_centre(plot)
        if centre is not None:
            cells[(_cell_floor(centre[0]), _cell_floor(centre[1]))] += 1
    places = sorted(set(members_at) | set(plots_at), key=lambda k: (k[0], k[1].casefold()))
    localities = [Locality(c, loc, members_at[(c, loc)], plots_at[(c, loc)]) for c, loc in places]
    squares = [Cell(south, west, n) for (south, west), n in sorted(cells.items())]
    return localities, squares


@dataclass
class Page:
    """One page of a detail table."""

    items: list[Any]
    number: int
    pages: int
    total: int


def paged(items: list[Any], number: int) -> Page:
    """Rows of page ``number`` (1-based, clamped to the pages there are)."""
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    number = min(max(1, number), pages)
    start = (number - 1) * PAGE_SIZE
    return Page(items=items[start : start + PAGE_SIZE], number=number, pages=pages, total=len(items))


@dataclass
class LotPage:
    """Everything the lot page shows to one reader."""

    answer: LotAnswer
    detail: bool
    checks: list[Check] = field(default_factory=list)
    check_groups: list[CheckGroup] = field(default_factory=list)
    out_of_scope: list[tuple[str, str]] = field(default_factory=list)  # (who, reason text)
    out_of_scope_counts: list[tuple[str, int]] = field(default_factory=list)  # (reason text, members)
    localities: list[Locality] = field(default_factory=list)
    cells: list[Cell] = field(default_factory=list)
    members: Page | None = None
    plots: Page | None = None
    deliveries: Page | None = None
    map_data: dict[str, Any] = field(default_factory=dict)
    member_names: dict[str, str] = field(default_factory=dict)

    @property
    def label_eligible(self) -> bool:
        a = self.answer
        return a.claim == "FSC 100%" or (a.claim == "FSC Mix" and (a.certified_percent or 0) >= LABEL_THRESHOLD)

    def message(self, check: Check) -> str:
        return localized_message(check)


async def lot_page(user: CurrentUser | None, ref: str, pages: dict[str, int], *, public_ok: bool) -> LotPage:
    """The lot page for this reader: detail when allowed, else the public view (NotFound when ``public_ok`` is
    false: an anonymous visitor may only read a lot that backs a listed offer)."""
    graph = await load_checked_graph(ref)
    detail = may_see_detail(user, graph)
    if not detail and not public_ok:
        raise NotFound()
    answer = derive(graph)
    await store_result(graph.lot_id, answer)
    localities, cells = coarse_origin(graph)
    page = LotPage(answer=answer, detail=detail, localities=localities, cells=cells)
    if detail and user is not None:
        members, plots, deliveries = visible_records(user, graph)
        page.checks = errors_first(answer.checks)
        visible = {m.ref for m in members}
        page.member_names = {m.ref: m.name for m in members}
        page.out_of_scope = [
            (graph.members[r].name if r in visible else graph.members[r].member_code, reason_text(code))
            for r, code in sorted(answer.out_of_scope.items())
            if r in graph.members
        ]
        page.members = paged(members, pages.get("members", 1))
        page.plots = paged(plots, pages.get("plots", 1))
        page.deliveries = paged(deliveries, pages.get("deliveries", 1))
        page.map_data = {
            "plots": [
                {"ref": p.ref, "geometry": p.geometry, "member": page.member_names.get(p.member, "")}
                for p in plots
                if plot_centre(p) is not None
            ]
        }
    else:
        page.check_groups = grouped_checks(answer.checks)
        by_reason = Counter(answer.out_of_scope.values())
        page.out_of_scope_counts = [(reason_text(code), n) for code, n in sorted(by_reason.items())]
        page.map_data = {"cells": [{"bounds": c.bounds, "plots": c.plots} for c in cells]}
    return page
