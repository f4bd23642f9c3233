"""The pure traceability engine at the size of a large smallholder group. Prints figures; no pass/fail.

    python benchmarks/traceability_engine.py [--plots 5000] [--deliveries 5000] [--runs 5] [--seed 7]

Generates, in memory, one group in north-east Thailand (102-104 deg E, 15-16.5 deg N, all inside the country):
``--plots`` plots for half as many members (half of the plots polygons of 0.5-4 ha with 5-9 vertices, half points),
a few overlapping by construction; ``--deliveries`` deliveries over two years to three collectors, all in one lot,
plus a lot of lots drawing on it. A few plots carry the field-data errors the checks exist for: overlaps, the same
point for two members, a point across the border, declared areas far from the outline's. Then times, as medians of
``--runs`` runs after one discarded warm-up:

- ``check_plots`` over the whole group (parsing, areas, country check, duplicates and overlaps through the STRtree);
  target under 5 s;
- ``derive_lot`` of the lot with the group's plot checks passed in (what a service does with stored checks), and
  ``derive_lot`` computing the plot checks itself; target under 1 s;
- ``dds_files`` for 1,000 plots (half polygons) and its serialization; target under 2 s;

and the peak resident memory of the process (``ru_maxrss``; target under 300 MB). The first country check reads the
shipped outlines (``countries.json.gz``): that one-off cost is printed on its own, before the timed runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import platform
import random
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # measure this checkout, not an older install

from app.traceability.engine import (  # noqa: E402
    check_plots,
    country_shape,
    dds_bytes,
    dds_files,
    derive_lot,
    geodesic_area_ha,
    parse_geometry,
)
from app.traceability.model import (  # noqa: E402
    Delivery,
    GroupCertificate,
    Lot,
    LotInput,
    Member,
    Plot,
)

M_PER_DEG_LAT = 111_320.0


def polygon(rng: random.Random, lon: float, lat: float, hectares: float) -> dict[str, Any]:
    """An irregular convex-ish outline of about ``hectares`` around (lon, lat)."""
    radius_m = math.sqrt(hectares * 10_000 / math.pi)
    n = rng.randint(5, 9)
    # Evenly spread angles with some jitter: every gap stays under half a turn, so the ring never crosses itself.
    angles = [2 * math.pi * (k + rng.uniform(-0.3, 0.3)) / n for k in range(n)]
    ring = []
    for a in angles:
        r = radius_m * rng.uniform(0.85, 1.15)
        dlat = r * math.sin(a) / M_PER_DEG_LAT
        dlon = r * math.cos(a) / (M_PER_DEG_LAT * math.cos(math.radians(lat)))
        ring.append([round(lon + dlon, 7), round(lat + dlat, 7)])
    ring.append(ring[0])
    return {"type": "Polygon", "coordinates": [ring]}


def generate(plots_n: int, deliveries_n: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    members = {
        f"m{i}": Member(
            f"m{i}",
            "g1",
            f"Member {i}",
            f"TH-{i:05d}",
            "TH",
            locality=f"Ban {i % 300}",
            certified_from=dt.date(2022, 1, 1) if i % 10 else dt.date(2024, 6, 1),
            consent_share_identity=i % 3 == 0,
        )
        for i in range(max(1, plots_n // 2))
    }
    member_refs = list(members)
    plots: dict[str, Plot] = {}
    for i in range(plots_n):
        lon, lat = rng.uniform(102.0, 104.0), rng.uniform(15.0, 16.5)
        if i % 500 == 1:  # now and then a plot drawn over its neighbour's (a real field-data error)
            prev = plots[f"p{i - 1}"].geometry["coordinates"]
            lon, lat = (prev[0][0][0], prev[0][0][1]) if plots[f"p{i - 1}"].geometry["type"] == "Polygon" else prev
        hectares = rng.uniform(0.5, 4.0)
        if i % 2 == 0:
            geometry = polygon(rng, lon, lat, hectares)
            # Declared areas within a few percent of the outline's, one in 200 far off (AREA_MISMATCH).
            measured = geodesic_area_ha(parse_geometry(geometry)[0])
            hectares = measured * (rng.uniform(0.95, 1.05) if i % 200 else 1.5)
        else:
            geometry = {"type": "Point", "coordinates": [round(lon, 7), round(lat, 7)]}
        if i % 1000 == 3:  # now and then the same point recorded for two members
            geometry = dict(plots[f"p{i - 2}"].geometry) if i >= 2 and i % 2 else geometry
        if i % 1000 == 7:  # and a plot declared in Thailand but placed across the Mekong, in Laos
            geometry = {"type": "Point", "coordinates": [106.0, 15.5]}
        plots[f"p{i}"] = Plot(f"p{i}", member_refs[i % len(member_refs)], geometry, round(hectares, 2), 2012, "TH")
    collectors = {"col-a": (15.3, 102.5), "col-b": (15.8, 103.2), "col-c": (16.2, 103.8)}
    start = dt.date(2023, 1, 1)
    deliveries: dict[str, Delivery] = {}
    plot_refs = list(plots)
    for i in range(deliveries_n):
        plot = plots[rng.choice(plot_refs)]
        field = rng.random() < 0.7
        deliveries[f"d{i}"] = Delivery(
            f"d{i}",
            rng.choice(list(collectors)),
            plot.member,
            plot.ref,
            start + dt.timedelta(days=rng.randrange(730)),
            "field_latex" if field else "cup_lump",
            wet_kg=round(rng.uniform(5, 60), 1),
            drc_percent=round(rng.uniform(28, 40) if field else rng.uniform(50, 70), 1),
        )
    total = sum(d.dry for d in deliveries.values())
    lot = Lot("lot-big", "coop", tuple(LotInput(delivery=r) for r in deliveries), "tsr", "tsr", total * 0.99, start)
    lots = {
        lot.ref: lot,
        "lot-top": Lot("lot-top", "mill", (LotInput(lot="lot-big", dry_kg=total * 0.5),), "tsr", "tsr", 10, start),
    }
    certificates = {
        "g1": [
            GroupCertificate("c1", "g1", "valid", dt.date(2021, 1, 1), dt.date(2026, 1, 1), frozenset({"field_latex"}))
        ]
    }
    return {
        "members": members,
        "plots": plots,
        "deliveries": deliveries,
        "lots": lots,
        "certificates": certificates,
        "collectors": collectors,
    }


def by_code(checks: Any) -> dict[str, int]:
    return dict(sorted(Counter(c.code for c in checks).items()))


def median_s(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    result = fn()  # warm-up, discarded
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plots", type=int, default=5000)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--dds-plots", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    print(f"python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()}")
    t0 = time.perf_counter()
    data = generate(args.plots, args.deliveries, args.seed)
    print(f"generated {args.plots} plots, {args.deliveries} deliveries in {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    country_shape("TH")
    print(f"country outlines read and TH prepared (once per process): {time.perf_counter() - t0:.2f} s")

    plots, members = data["plots"], data["members"]
    group_s, group = median_s(lambda: check_plots(plots, members), args.runs)
    flagged = {c.code for checks in group.values() for c in checks}
    print(
        f"check_plots, {len(plots)} plots: median {group_s * 1000:.0f} ms (target < 5000); codes seen {sorted(flagged)}"
    )

    common = {k: data[k] for k in ("lots", "deliveries", "members", "plots", "certificates", "collectors")}
    with_s, answer = median_s(lambda: derive_lot("lot-big", plot_checks=group, **common), args.runs)
    print(
        f"derive_lot, {args.deliveries} deliveries, plot checks passed in: median {with_s * 1000:.0f} ms"
        f" (target < 1000); {answer.claim} {answer.certified_percent} %, {answer.plots} plots,"
        f" checks {by_code(answer.checks)}"
    )
    own_s, _ = median_s(lambda: derive_lot("lot-big", **common), args.runs)
    print(f"derive_lot computing its plot checks: median {own_s * 1000:.0f} ms")
    top_s, top = median_s(lambda: derive_lot("lot-top", plot_checks=group, **common), args.runs)
    print(f"derive_lot of a lot of lots over it: median {top_s * 1000:.0f} ms; {top.claim} {top.certified_percent} %")

    # The first plots without an error check (a lot with one is refused its file).
    sample = [p for ref, p in plots.items() if not any(c.severity == "error" for c in group[ref])][: args.dds_plots]
    dds_s, files = median_s(lambda: [dds_bytes(f) for f in dds_files(sample, members)], args.runs)
    print(
        f"dds_files + serialization, {len(sample)} plots: median {dds_s * 1000:.0f} ms (target < 2000);"
        f" {len(files)} file(s), {sum(len(f) for f in files) / 1024:.0f} KB"
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak_mb:.0f} MB (target < 300)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
