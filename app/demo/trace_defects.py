"""The defects ``generate_traceability`` plants: one small lot per defect, so each lot's answer shows its own.

Every defect is built from ordinary generated records changed in one way (an outline left open, a DRC out of range,
an output above its inputs...), on members of the first group, in grid cells after its ordinary plots, so no planted
record touches an ordinary lot. Each entry says which check (code, severity) must name which ref in which lot.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from app.demo.traceability import Group, TraceGenerator

Record = dict[str, Any]
#: Days before ``today`` of a defect plot's two deliveries (inside the season).
DAYS = (200, 120)


class _Planter:
    """Plants defects in one group; ``found`` collects what each must produce."""

    def __init__(self, gen: TraceGenerator, group: Group) -> None:
        self.gen, self.group = gen, group
        self.found: list[Record] = []
        self.members = 0

    def member(self, *, certified_days_ago: int = 1000) -> Record:
        self.members += 1
        member = self.gen.member(self.group, f"X{self.group.index + 1}-{self.members:02d}", certified=True)
        member["certified_from"] = self.gen.day(certified_days_ago)
        return member

    def plot(self, member: Record, *, point: bool, suffix: str = "1") -> Record:
        return self.gen.plot(self.group, member, suffix, point=point)

    def deliveries(self, plot: Record | None, member: Record, dry: float | None = None, **kwargs: Any) -> list[Record]:
        each = dry if dry is not None else round((plot["area_ha"] if plot else 1.0) * 150, 1)
        return [
            self.gen.delivery(self.group, plot, member["ref"], days, each, form="field_latex", **kwargs)
            for days in DAYS
        ]

    def lot(self, items: list[Record], factor: Decimal = Decimal("0.99")) -> str:
        ref = f"rl-defect-{len({f['lot'] for f in self.found}) + 1:02d}"
        self.gen.lot_of_deliveries(ref, self.group.collector, items, "field_latex", set(), factor=factor)
        return ref

    def expect(self, lot: str, code: str, *refs: str, severity: str = "error", what: str = "") -> None:
        for ref in refs:
            self.found.append({"code": code, "severity": severity, "ref": ref, "lot": lot, "what": what})

    def plot_defect(
        self, code: str, what: str, change: Callable[[Record], None], *, point: bool, severity: str = "error"
    ) -> None:
        """A member with one plot changed by ``change``; its deliveries in a lot of their own."""
        member = self.member()
        plot = self.plot(member, point=point)
        change(plot)
        self.expect(self.lot(self.deliveries(plot, member)), code, plot["ref"], severity=severity, what=what)


def _ring(plot: Record) -> list[list[float]]:
    return plot["geometry"]["coordinates"][0]


def _unclose(plot: Record) -> None:
    plot["geometry"]["coordinates"] = [_ring(plot)[:-1]]


def _bowtie(plot: Record) -> None:
    sw, se, ne, nw = _ring(plot)[:4]
    plot["geometry"]["coordinates"] = [[sw, ne, se, nw, sw]]


def plant_defects(gen: TraceGenerator) -> list[Record]:
    """Plant one of each defect in the first group; the checks (code, severity, ref, lot) they must produce."""
    p = _Planter(gen, gen.groups[0])
    area = p.group.area
    p.plot_defect("GEOM_INVALID", "unclosed ring", _unclose, point=False)
    p.plot_defect("GEOM_INVALID", "self-intersection", _bowtie, point=False)
    p.plot_defect("POINT_OVER_4HA", "point over 4 ha", lambda plot: plot.update(area_ha=6.5), point=True)
    p.plot_defect(
        "AREA_MISMATCH", "area mismatch", lambda plot: plot.update(area_ha=round(plot["area_ha"] * 1.8, 2)), point=False
    )
    p.plot_defect(
        "OUTSIDE_COUNTRY",
        "plot outside its country",
        lambda plot: plot.update(geometry={"type": "Point", "coordinates": list(area["outside"])}, area_ha=2.0),
        point=True,
    )
    p.plot_defect(
        "FAR_FROM_COLLECTOR",
        "plot far from its collector",
        lambda plot: plot.update(geometry={"type": "Point", "coordinates": list(area["far"])}, area_ha=2.0),
        point=True,
        severity="warning",
    )

    # Two members' polygons, the second shifted by 30 % of the first's width: they overlap by about 70 %.
    first, second = p.member(), p.member()
    a = p.plot(first, point=False)
    b = p.plot(second, point=False)
    ring = _ring(a)
    shift = (max(x for x, _ in ring) - min(x for x, _ in ring)) * 0.3
    b["geometry"] = {"type": "Polygon", "coordinates": [[[round(x + shift, 6), y] for x, y in ring]]}
    b["area_ha"] = a["area_ha"]
    lot = p.lot(p.deliveries(a, first) + p.deliveries(b, second))
    p.expect(lot, "PLOT_OVERLAP", a["ref"], b["ref"], what="overlap between two members' plots")

    # The same outline registered twice by one member.
    member = p.member()
    a, b = p.plot(member, point=False, suffix="1"), p.plot(member, point=False, suffix="2")
    b.update(geometry=copy.deepcopy(a["geometry"]), area_ha=a["area_ha"])
    lot = p.lot(p.deliveries(a, member) + p.deliveries(b, member))
    p.expect(lot, "DUPLICATE_GEOMETRY", a["ref"], b["ref"], what="duplicate geometry")

    member = p.member()
    plot = p.plot(member, point=True)
    items = p.deliveries(plot, member, drc=62.0)
    p.expect(p.lot(items), "DRC_OUT_OF_RANGE", *(d["ref"] for d in items), what="DRC out of range")

    # 1 ha, 2 x 1,100 kg dry within a season: 2,200 kg/ha, above the 2,000 kg/ha error limit.
    member = p.member()
    plot = p.plot(member, point=True)
    plot["area_ha"] = 1.0
    p.expect(p.lot(p.deliveries(plot, member, dry=1100.0)), "YIELD_IMPLAUSIBLE", plot["ref"], what="implausible yield")

    member = p.member()
    plot = p.plot(member, point=True)
    plot["planted_year"] = gen.today.year - 2
    items = p.deliveries(plot, member)
    p.expect(p.lot(items), "TOO_YOUNG", *(d["ref"] for d in items), what="plot too young")

    # Entered the certificate's scope after both deliveries.
    member = p.member(certified_days_ago=60)
    items = p.deliveries(p.plot(member, point=True), member)
    p.expect(p.lot(items), "MEMBER_NOT_CERTIFIED", member["ref"], severity="warning", what="member not certified")

    member = p.member()
    items = p.deliveries(None, member)
    p.expect(p.lot(items), "NO_ORIGIN", *(d["ref"] for d in items), what="delivery without plot")

    member = p.member()
    items = p.deliveries(p.plot(member, point=True), member)
    lot = p.lot(items, factor=Decimal("1.5"))
    p.expect(lot, "MASS_BALANCE", lot, what="lot output above its inputs")
    return p.found
