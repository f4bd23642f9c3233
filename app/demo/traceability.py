"""Deterministic latex-traceability data in the ``forestmatch/1`` format, with planted defects the checks must find.

``generate_traceability(seed)`` builds rubber smallholder groups (alternately in the Papaloapan basin, Oaxaca and
Veracruz, MX, and in Acre, BR), two collectors, the groups' certificates, members, plots (about half points, half
polygons, 0.5-8 ha, on a grid so no two members' plots overlap), a season of deliveries and lots: collection lots of
deliveries (all-certified ones derive ``FSC 100%``, ones with out-of-scope members ``FSC Mix``) and processor lots of
lots. The returned dict is an importable document; it also carries ``defects`` (each planted defect: check code,
severity, the ref the check is about and the lot whose answer lists it) and ``clean_lots`` (lot ref -> the claim and
certified percentage it must derive, with no error check). Import ignores both keys. The tables live in
``app/demo/data/traceability.json``; the planted defects in ``app.demo.trace_defects``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, Decimal
from functools import cache
from importlib import resources
from typing import Any

FORMAT = "forestmatch/1"
#: Side of a grid cell in degrees (about 440 m): an 8 ha square (283 m a side) fits with room to spare.
CELL = 0.004
M_PER_DEGREE = 111_320.0
#: Processing loss kept below the inputs so collection and processor lots balance.
LOT_YIELD = Decimal("0.99")


@cache
def tables() -> dict[str, Any]:
    """The generator's tables (areas, names, ranges), read once."""
    text = resources.files("app.demo").joinpath("data/traceability.json").read_text(encoding="utf-8")
    return json.loads(text)


def dry_of(delivery: dict[str, Any]) -> Decimal:
    """Dry kg of a generated delivery, exactly as the claim engine computes it (wet x DRC / 100)."""
    if delivery.get("dry_kg") is not None:
        return Decimal(str(delivery["dry_kg"]))
    return Decimal(str(delivery["wet_kg"])) * Decimal(str(delivery["drc_percent"])) / 100


def down(value: Decimal, places: str = "0.1") -> float:
    """A Decimal rounded down (never above what it stands for) as a float."""
    return float(value.quantize(Decimal(places), rounding=ROUND_DOWN))


@dataclass
class Group:
    """One generated group: its area's tables, grid corner and the cells it has used."""

    ref: str
    index: int
    area: dict[str, Any]
    corner: dict[str, Any]
    cols: int
    certificate: str
    collector: str
    used: int = 0
    members: list[dict[str, Any]] = field(default_factory=list)
    plots: list[dict[str, Any]] = field(default_factory=list)

    def cell(self) -> tuple[float, float]:
        """The south-west corner (lat, lon) of the next free grid cell."""
        i, self.used = self.used, self.used + 1
        return self.corner["lat"] + (i // self.cols) * CELL, self.corner["lon"] + (i % self.cols) * CELL


def square(lat: float, lon: float, area_ha: float, rng: random.Random | None = None) -> list[list[float]]:
    """A closed, counter-clockwise ring of about ``area_ha`` with its south-west corner at (lat, lon)."""
    side = math.sqrt(area_ha * 10_000)
    dlat, dlon = side / M_PER_DEGREE, side / (M_PER_DEGREE * math.cos(math.radians(lat)))
    corners = [(0, 0), (1, 0), (1, 1), (0, 1)]
    ring = []
    for fx, fy in corners:
        # A little jitter so outlines look surveyed, not drawn; 4 % of a side cannot make the ring cross itself.
        jx = rng.uniform(-0.04, 0.04) if rng else 0.0
        jy = rng.uniform(-0.04, 0.04) if rng else 0.0
        ring.append([round(lon + (fx + jx) * dlon, 6), round(lat + (fy + jy) * dlat, 6)])
    return [*ring, list(ring[0])]


def ring_area_ha(ring: list[list[float]]) -> float:
    """Area of a small ring in hectares (local equirectangular shoelace; within 1 % of the geodesic area)."""
    lat0 = math.radians(sum(p[1] for p in ring[:-1]) / (len(ring) - 1))
    xs = [p[0] * M_PER_DEGREE * math.cos(lat0) for p in ring]
    ys = [p[1] * M_PER_DEGREE * 0.9945 for p in ring]  # meridian degree near the tropics is ~110.7 km
    twice = sum(xs[i] * ys[i + 1] - xs[i + 1] * ys[i] for i in range(len(ring) - 1))
    return abs(twice) / 2 / 10_000


class TraceGenerator:
    """The steps of ``generate_traceability`` over one random source and one ``today``."""

    def __init__(
        self, seed: int, today: dt.date, members_per_group: int, plots_per_member: float, lot_size: int | None = None
    ) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.t = tables()
        self.lot_size: int = lot_size or self.t["lot_size"]
        self.members_per_group = members_per_group
        self.plots_per_member = plots_per_member
        self.orgs: list[dict[str, Any]] = []
        self.certs: list[dict[str, Any]] = []
        self.deliveries: list[dict[str, Any]] = []
        self.lots: list[dict[str, Any]] = []
        self.groups: list[Group] = []
        self.collectors: dict[str, str] = {}

    def day(self, days_ago: int) -> str:
        return (self.today - dt.timedelta(days=days_ago)).isoformat()

    def collectors_and_groups(self, count: int) -> None:
        """Two collectors (one per area) and ``count`` groups with their group certificates."""
        areas = self.t["areas"]
        for area in areas:
            ref = f"rc-{area['country'].lower()}"
            spot = area["collector"]
            self.collectors[area["key"]] = ref
            self.orgs.append(
                {"ref": ref, "name": spot["name"], "kind": "collector", "legal_form": "company",
                 "country": area["country"], "region": spot["region"], "locality": spot["locality"],
                 "lat": spot["lat"], "lon": spot["lon"], "languages": [area["lang"]]}
            )  # fmt: skip
        cells = math.ceil(self.members_per_group * (math.ceil(self.plots_per_member) + 0.2)) + 64
        cols = math.ceil(math.sqrt(cells))
        for g in range(count):
            area = areas[g % len(areas)]
            nth = g // len(areas)
            corners = area["corners"]
            corner = dict(corners[nth % len(corners)])  # the group's home locality
            # Grids of one area never overlap, whatever their size: two columns going west from the first corner,
            # rows alternating north and south of it (0, +1, -1, +2...), one grid and a gap apart.
            span, row = (cols + 2) * CELL, nth // 2
            corner["lat"] = corners[0]["lat"] + (row + 1) // 2 * (1 if row % 2 else -1) * span
            corner["lon"] = corners[0]["lon"] - (nth % 2) * span
            ref = f"rg-{area['country'].lower()}-{nth + 1}"
            names = area["groups"]
            name = names[nth % len(names)] + ("" if nth < len(names) else f" {nth // len(names) + 1}")
            cert = f"rcert-{area['country'].lower()}-{nth + 1}"
            self.orgs.append(
                {"ref": ref, "name": name, "kind": "producer", "legal_form": "smallholder_group",
                 "country": area["country"], "region": corner["region"], "locality": corner["locality"],
                 "lat": round(corner["lat"], 4), "lon": round(corner["lon"], 4), "languages": [area["lang"]]}
            )  # fmt: skip
            number = self.rng.randrange(1000, 999_999)
            self.certs.append(
                {"ref": cert, "organization": ref, "code": f"{area['body']}-FM/COC-{number:06d}",
                 "license_code": f"FSC-C{self.rng.randrange(10_000, 199_999):06d}", "scope": "FM/COC",
                 "status": "valid", "issued_on": self.day(900), "expires_on": self.day(-900),
                 "product_types": list(self.t["product_types"]), "group": True}
            )  # fmt: skip
            collector = self.collectors[area["key"]]
            self.groups.append(Group(ref, g, area, corner, cols, cert, collector))

    def member(self, group: Group, code: str, *, certified: bool | None = None) -> dict[str, Any]:
        """A member of ``group`` (certified with the table's share unless told)."""
        names = self.t["names"][group.area["lang"]]
        rng = self.rng
        certified = rng.random() < self.t["certified_share"] if certified is None else certified
        record: dict[str, Any] = {
            "ref": f"{group.ref}-{code.lower()}",
            "group": group.ref,
            "name": f"{rng.choice(names['first'])} {rng.choice(names['last'])} {rng.choice(names['last'])}",
            "member_code": code,
            "country": group.area["country"],
            "region": group.corner["region"],
            "locality": rng.choice(group.area["localities"]),
            "consent_share_identity": rng.random() < self.t["consent_share"],
        }
        if certified:
            record["certified_from"] = self.day(rng.randrange(400, 1500))
        group.members.append(record)
        return record

    def plot(self, group: Group, member: dict[str, Any], suffix: str, *, point: bool | None = None) -> dict[str, Any]:
        """A realistic plot of ``member`` in the next free cell: a point of 0.5-4 ha or a polygon of 0.5-8 ha."""
        rng = self.rng
        lat, lon = group.cell()
        point = rng.random() < self.t["point_share"] if point is None else point
        record: dict[str, Any] = {"ref": f"{member['ref']}-p{suffix}", "member": member["ref"]}
        if point:
            area = round(rng.uniform(0.5, 4.0), 2)
            spot = [round(lon + rng.uniform(0.3, 0.7) * CELL, 6), round(lat + rng.uniform(0.3, 0.7) * CELL, 6)]
            record.update(geometry={"type": "Point", "coordinates": spot}, area_ha=area)
        else:
            wanted = rng.uniform(0.5, 8.0)
            margin = CELL * 0.05
            ring = square(lat + margin, lon + margin, wanted, rng)
            record.update(geometry={"type": "Polygon", "coordinates": [ring]}, area_ha=round(ring_area_ha(ring), 2))
        low, high = self.t["planted_years_ago"]
        record.update(planted_year=self.today.year - rng.randint(low, high), country=group.area["country"])
        group.plots.append(record)
        return record

    def members_and_plots(self) -> None:
        """Every group's members and their plots (at least one each)."""
        whole, extra = int(self.plots_per_member), self.plots_per_member - int(self.plots_per_member)
        for group in self.groups:
            prefix = group.area["country"][0] + str(group.index + 1)
            for i in range(1, self.members_per_group + 1):
                member = self.member(group, f"{prefix}-{i:05d}")
                count = max(1, whole + (1 if self.rng.random() < extra else 0))
                for k in range(1, count + 1):
                    self.plot(group, member, str(k))

    def delivery(self, group: Group, plot: dict[str, Any] | None, member: str | None, days_ago: int,
                 dry: float, form: str | None = None, drc: float | None = None) -> dict[str, Any]:  # fmt: skip
        """A delivery to the group's collector: ``dry`` kg as wet kg and DRC."""
        rng = self.rng
        form = form or ("cup_lump" if rng.random() < self.t["cup_lump_share"] else "field_latex")
        low, high = self.t["drc"][form]
        drc = round(rng.uniform(low, high), 1) if drc is None else drc
        record: dict[str, Any] = {
            "ref": f"rd-{len(self.deliveries) + 1:07d}",
            "collector": group.collector,
            "date": self.day(days_ago),
            "form": form,
            "wet_kg": round(dry * 100 / drc, 1),
            "drc_percent": drc,
        }
        if member:
            record["member"] = member
        if plot:
            record["plot"] = plot["ref"]
        self.deliveries.append(record)
        return record

    def season(self, total: int) -> dict[str, list[dict[str, Any]]]:
        """``total`` deliveries spread evenly over every group's plots; group ref -> its deliveries."""
        plots = [(group, plot) for group in self.groups for plot in group.plots]
        if not plots or total <= 0:
            return {group.ref: [] for group in self.groups}
        start, end = self.t["season_days"]
        per_plot = [total // len(plots) + (1 if i < total % len(plots) else 0) for i in range(len(plots))]
        by_group: dict[str, list[dict[str, Any]]] = {group.ref: [] for group in self.groups}
        low, high = self.t["yield_kg_ha"]
        for (group, plot), count in zip(plots, per_plot, strict=True):
            if not count:
                continue
            # The plot's season yield stays well under the 1,200 kg/ha warning.
            each = plot["area_ha"] * self.rng.uniform(low, high) / count
            for _ in range(count):
                days = self.rng.randint(end, start)
                by_group[group.ref].append(self.delivery(group, plot, plot["member"], days, each))
        return by_group

    def collection_lots(self, by_group: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
        """Per group and form, lots of about ``lot_size`` deliveries: all-certified ones, and every second one also
        taking the out-of-scope members' deliveries; lot ref -> its expected claim and certified percentage."""
        size = self.lot_size
        expected: dict[str, dict[str, Any]] = {}
        for group in self.groups:
            certified = {m["ref"] for m in group.members if m.get("certified_from")}
            for form in ("field_latex", "cup_lump"):
                mine = sorted(
                    (d for d in by_group[group.ref] if d["form"] == form), key=lambda d: (d["date"], d["ref"])
                )
                inside = [d for d in mine if d["member"] in certified]
                outside = [d for d in mine if d["member"] not in certified]
                chunks = [inside[i : i + size] for i in range(0, len(inside), size)] or ([[]] if outside else [])
                mixed = [k for k in range(len(chunks)) if k % 2 == 1] or [len(chunks) - 1]
                for n, item in enumerate(outside):
                    chunks[mixed[n % len(mixed)]].append(item)
                for k, chunk in enumerate(chunks, start=1):
                    ref = f"rl-{group.ref[3:]}-{form.replace('_', '-')}-{k:03d}"
                    expected[ref] = self.lot_of_deliveries(ref, group.collector, chunk, form, certified)
        return expected

    def lot_of_deliveries(
        self,
        ref: str,
        holder: str,
        chunk: list[dict[str, Any]],
        form: str,
        certified: set[str],
        *,
        factor: Decimal = LOT_YIELD,
    ) -> dict[str, Any]:
        """A lot of whole deliveries (output ``factor`` of their dry kg); its expected claim."""
        total = sum((dry_of(d) for d in chunk), Decimal(0))
        inside = sum((dry_of(d) for d in chunk if d.get("member") in certified), Decimal(0))
        date = max(d["date"] for d in chunk)
        self.lots.append(
            {"ref": ref, "holder": holder, "inputs": [{"delivery": d["ref"]} for d in chunk], "process": "none",
             "product_type": form, "output_dry_kg": down(total * factor), "date": date}
        )  # fmt: skip
        if inside == total:
            return {"claim": "FSC 100%", "certified_percent": 100}
        return {"claim": "FSC Mix", "certified_percent": int(inside * 100 / total)}

    def processor_lots(self, expected: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Per group a TSR lot drawing half of two all-certified lots (FSC 100%) and, when the group has a mixed lot,
        one drawing from a certified and a mixed lot (the lowest claim and percentage of the two)."""
        found: dict[str, dict[str, Any]] = {}
        by_ref = {lot["ref"]: lot for lot in self.lots}
        for group in self.groups:
            mine = [ref for ref in expected if ref.startswith(f"rl-{group.ref[3:]}-")]
            full = [ref for ref in mine if expected[ref]["claim"] == "FSC 100%"]
            mix = [ref for ref in mine if expected[ref]["claim"] == "FSC Mix"]
            plans = [("tsr", full[:2])]
            if full and mix:
                plans.append(("tsr-mix", [full[-1], mix[0]]))
            for name, sources in plans:
                if not sources:
                    continue
                drawn = [Decimal(str(by_ref[s]["output_dry_kg"])) / 2 for s in sources]
                inputs = [{"lot": s, "dry_kg": down(d)} for s, d in zip(sources, drawn, strict=True)]
                output = down(sum((Decimal(str(i["dry_kg"])) for i in inputs), Decimal(0)) * LOT_YIELD)
                ref = f"rp-{group.ref[3:]}-{name}"
                date = max(by_ref[s]["date"] for s in sources)
                self.lots.append({"ref": ref, "holder": group.collector, "inputs": inputs, "process": "tsr",
                                  "product_type": "tsr", "output_dry_kg": output, "date": date})  # fmt: skip
                worst = min(
                    sources, key=lambda s: (expected[s]["claim"] != "FSC Mix", expected[s]["certified_percent"])
                )
                found[ref] = dict(expected[worst])
        return found


def generate_traceability(
    seed: int = 7,
    *,
    groups: int = 2,
    members_per_group: int = 40,
    plots_per_member: float = 1.5,
    deliveries: int = 1200,
    defects: bool = True,
    today: dt.date | None = None,
    lot_size: int | None = None,
) -> dict[str, Any]:
    """A ``forestmatch/1`` document of rubber groups, plus ``defects`` and ``clean_lots`` (see the module).

    ``lot_size``: deliveries per collection lot (default: the table's, 50)."""
    if groups < 1 or members_per_group < 1 or plots_per_member < 1 or deliveries < 0:
        raise ValueError("need at least one group, member and plot per member, and no negative deliveries")
    # Imported here: app.demo.trace_defects builds on this module's steps (it imports this module at load).
    from app.demo.trace_defects import plant_defects
    from app.demo.trace_own import group_own_lots

    gen = TraceGenerator(seed, today or dt.date.today(), members_per_group, plots_per_member, lot_size)
    gen.collectors_and_groups(groups)
    gen.members_and_plots()
    by_group = gen.season(deliveries)
    expected = gen.collection_lots(by_group)
    expected.update(gen.processor_lots(expected))
    expected.update(group_own_lots(gen))
    planted = plant_defects(gen) if defects else []
    return {
        "format": FORMAT,
        "organizations": gen.orgs,
        "certificates": gen.certs,
        "members": [m for g in gen.groups for m in g.members],
        "plots": [p for g in gen.groups for p in g.plots],
        "deliveries": gen.deliveries,
        "lots": gen.lots,
        "defects": planted,
        "clean_lots": expected,
    }


def document_only(generated: dict[str, Any]) -> dict[str, Any]:
    """The importable sections of a generated document, without ``defects`` and ``clean_lots``."""
    return {key: value for key, value in generated.items() if key not in ("defects", "clean_lots")}


#: The demo's size: two groups of 40 members, a season of about 1,200 deliveries.
DEMO_SIZE: dict[str, Any] = {"groups": 2, "members_per_group": 40, "plots_per_member": 1.5, "deliveries": 1200}


def demo_traceability(seed: int, today: dt.date) -> tuple[dict[str, Any], dict[str, str]]:
    """The demo's traceability document (with planted defects) and the org refs of its demo accounts."""
    generated = generate_traceability(seed, today=today, **DEMO_SIZE)
    doc = document_only(generated)
    acre = next(o["ref"] for o in doc["organizations"] if o["kind"] == "producer" and o["country"] == "BR")
    collector = next(o["ref"] for o in doc["organizations"] if o["kind"] == "collector" and o["country"] == "BR")
    return doc, {"group": acre, "collector": collector}
