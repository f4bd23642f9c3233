"""Traceability at pilot scale, through the database: bulk import, a lot's answer, plot checks, a DDS export.

    python benchmarks/traceability_scale.py [--scale 1.0] [--batch 100000] [--runs 3] [--seed 7] [--keep]

At ``--scale 1`` the generator (``app.demo.traceability``) makes 50,000 members, about 80,000 plots (half polygons)
in groups of about 5,000 plots (half in the Papaloapan basin, MX, half in Acre, BR) and 1,000,000 deliveries in
collection lots of 5,000, plus one lot of one extra delivery from each of 1,000 plots (for the DDS export). It is
written to a throwaway var dir as ``forestmatch/1`` files: one of organisations, certificates, members and plots,
the deliveries in documents of ``--batch`` each, and one of lots (the two timed below; ``--all-lots`` for all).
Each file goes through ``forestmatch import`` in a process of its own (records/s and that process's peak RSS, which
includes deriving the plot checks and the lots the import touched). ``--single`` imports every delivery in one
document instead, to see how the importer's memory grows with a document. Then, in a fresh process, medians of
``--runs`` runs after a warm-up:

- ``lot_answer`` of a collection lot of 5,000 deliveries (graph loaded from the database, claim and checks
  derived, answer stored); target under 1 s;
- ``check_plots`` over one group's plots (about 5,000; geometry, country, duplicates and overlaps); under 5 s;
- ``dds_documents`` of the 1,000-plot lot, serialized; under 2 s;

and that process's peak RSS (target under 300 MB). Prints figures; no pass/fail.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

FULL = {"members": 50_000, "plots": 80_000, "deliveries": 1_000_000}
GROUP_PLOTS = 5_000
LOT_DELIVERIES = 5_000
DDS_PLOTS = 1_000
CLI = "from app.cli import main; raise SystemExit(main())"


def mb(kilobytes: int) -> float:
    return kilobytes / 1024  # ru_maxrss is in KiB on Linux


def sizes(scale: float) -> dict[str, Any]:
    """Members, plots per member, deliveries and groups for ``scale``, groups of about 5,000 plots."""
    members = max(1, round(FULL["members"] * scale))
    plots = max(1, round(FULL["plots"] * scale))
    groups = max(1, round(plots / GROUP_PLOTS))
    return {
        "groups": groups,
        "members_per_group": max(1, members // groups),
        "plots_per_member": plots / members,
        "deliveries": round(FULL["deliveries"] * scale),
    }


def write_files(var: Path, scale: float, batch: int, seed: int, single: bool, all_lots: bool) -> dict[str, Any]:
    """Generate the data set and write the documents to import; what was written."""
    from app.demo.traceability import document_only, generate_traceability

    started = time.perf_counter()
    shape = sizes(scale)
    doc = document_only(generate_traceability(seed, defects=False, lot_size=LOT_DELIVERIES, **shape))
    # One extra delivery from each of 1,000 plots of the first group, in a lot of its own: the DDS export's subject.
    group = doc["organizations"][2]["ref"]
    members = {m["ref"] for m in doc["members"] if m["group"] == group and m.get("certified_from")}
    chosen = [p for p in doc["plots"] if p["member"] in members][:DDS_PLOTS]
    collector = next(o["ref"] for o in doc["organizations"] if o["kind"] == "collector")
    extra = [
        {"ref": f"bench-dds-{i:05d}", "collector": collector, "member": p["member"], "plot": p["ref"],
         "date": doc["lots"][0]["date"], "form": "cup_lump", "dry_kg": round(p["area_ha"] * 20, 1)}
        for i, p in enumerate(chosen)
    ]  # fmt: skip
    doc["deliveries"].extend(extra)
    doc["lots"].append(
        {"ref": "bench-dds", "holder": collector, "inputs": [{"delivery": d["ref"]} for d in extra], "process": "none",
         "product_type": "cup_lump", "output_dry_kg": round(sum(d["dry_kg"] for d in extra) * 0.99, 1),
         "date": doc["lots"][0]["date"]}
    )  # fmt: skip
    generated_s = time.perf_counter() - started
    files: list[tuple[str, Path, int]] = []

    def write(name: str, **sections: Any) -> None:
        path = var / f"{name}.json"
        path.write_text(json.dumps({"format": "forestmatch/1", **sections}), encoding="utf-8")
        files.append((name, path, sum(len(v) for v in sections.values())))

    write("base", organizations=doc["organizations"], certificates=doc["certificates"], members=doc["members"],
          plots=doc["plots"])  # fmt: skip
    step = len(doc["deliveries"]) if single else batch
    for n, start in enumerate(range(0, len(doc["deliveries"]), step), start=1):
        write(f"deliveries-{n:03d}", deliveries=doc["deliveries"][start : start + step])
    lot = next(lot["ref"] for lot in doc["lots"] if len(lot["inputs"]) == LOT_DELIVERIES)
    # Importing a lot derives it; the ~200 collection lots of the full size take about 5 s each, so by default only
    # the two lots the timings read are imported.
    write("lots", lots=[x for x in doc["lots"] if all_lots or x["ref"] in (lot, "bench-dds")])
    return {
        "files": [(name, str(path), count) for name, path, count in files],
        "counts": {k: len(doc[k]) for k in ("members", "plots", "deliveries", "lots")},
        "polygons": sum(p["geometry"]["type"] == "Polygon" for p in doc["plots"]),
        "groups": shape["groups"],
        "group": group,
        "lot": lot,
        "generated_s": generated_s,
    }


def run(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a child; its wall seconds, its own peak RSS (MB) and output. Raises when it fails."""
    started = time.perf_counter()
    child = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert child.stdout is not None
    output = child.stdout.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if child.returncode:
        raise SystemExit(f"{' '.join(args[-2:])} failed ({child.returncode}):\n{output[-3000:]}")
    return seconds, mb(usage.ru_maxrss), output


async def _median(fn: Callable[[], Awaitable[Any]], runs: int) -> tuple[float, Any]:
    result = await fn()  # warm-up: caches, country outlines, the SQLite page cache
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        result = await fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


async def measure(info: dict[str, Any], runs: int) -> dict[str, Any]:
    """The timed operations in this process (a fresh one: its peak RSS is theirs)."""
    from app.db import close_pool, start_pool
    from app.traceability import tables
    from app.traceability.engine import check_plots
    from app.traceability.graph import member_query, member_value, plot_query, plot_value
    from app.traceability.services import dds_documents, lot_answer

    await start_pool()
    figures: dict[str, Any] = {}
    seconds, answer = await _median(lambda: lot_answer(info["lot"]), runs)
    figures["lot_answer"] = (seconds, f"{answer.deliveries} deliveries, {answer.plots} plots, {answer.claim}")

    rows = await plot_query().where(tables.Plot.member.group.ref == info["group"]).output(load_json=True)
    plots = {row["ref"]: plot_value(row) for row in rows}
    rows = await member_query().where(tables.Member.group.ref == info["group"])
    members = {row["ref"]: member_value(row) for row in rows}

    async def checks() -> Any:
        return check_plots(plots, members)

    seconds, found = await _median(checks, runs)
    flagged = sum(1 for c in found.values() if c)
    polygons = sum(p.geometry["type"] == "Polygon" for p in plots.values())
    figures["check_plots"] = (seconds, f"{len(plots)} plots ({polygons} polygons), {flagged} flagged")

    async def dds() -> Any:
        files = await dds_documents(info.get("dds_lot", "bench-dds"))
        return [json.dumps(f).encode() for f in files]

    seconds, files = await _median(dds, runs)
    features = sum(len(json.loads(b)["features"]) for b in files)
    figures["dds"] = (seconds, f"{features} features in {len(files)} file(s), {sum(map(len, files)) / 1e6:.1f} MB")
    figures["rss_mb"] = mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    await close_pool()
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of 50k members / 80k plots / 1M deliveries")
    parser.add_argument("--batch", type=int, default=100_000, help="deliveries per imported document")
    parser.add_argument("--single", action="store_true", help="import every delivery in one document")
    parser.add_argument("--all-lots", action="store_true", help="import every generated lot, not only the timed two")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", action="store_true", help="keep the var dir (its path is printed)")
    parser.add_argument("--phase", choices=["generate", "measure"], help=argparse.SUPPRESS)
    parser.add_argument("--info", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.phase == "generate":
        var = Path(os.environ["FORESTMATCH_VAR_DIR"])
        info = write_files(var, args.scale, args.batch, args.seed, args.single, args.all_lots)
        Path(args.info).write_text(json.dumps(info), encoding="utf-8")
        return 0
    if args.phase == "measure":
        info = json.loads(Path(args.info).read_text(encoding="utf-8"))
        figures = asyncio.run(measure(info, args.runs))
        Path(args.info).with_suffix(".figures.json").write_text(json.dumps(figures), encoding="utf-8")
        return 0

    var = Path(tempfile.mkdtemp(prefix="forestmatch-trace-scale-"))
    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var), "FORESTMATCH_DATABASE_URL": f"sqlite:///{var / 'bench.db'}"}
    env.setdefault("FORESTMATCH_SECRET_KEY", "benchmark-" + "x" * 40)
    env["FORESTMATCH_SYNC_IN_APP"] = "false"
    print(f"python {platform.python_version()}, {os.cpu_count()} cpus, scale {args.scale}, var dir {var}")
    info_path = var / "info.json"
    me = [sys.executable, str(Path(__file__).resolve())]
    common = ["--scale", str(args.scale), "--seed", str(args.seed), "--info", str(info_path)]
    seconds, rss, _ = run([*me, "--phase", "generate", "--batch", str(args.batch), *common]
                          + (["--single"] if args.single else []) + (["--all-lots"] if args.all_lots else []),
                          env)  # fmt: skip
    info = json.loads(info_path.read_text(encoding="utf-8"))
    counts = info["counts"]
    print(
        f"generated {counts['members']:,} members, {counts['plots']:,} plots ({info['polygons']:,} polygons) in "
        f"{info['groups']} groups, {counts['deliveries']:,} deliveries, {counts['lots']:,} lots: "
        f"{seconds:.1f} s, peak RSS {rss:.0f} MB (generator, not the app)"
    )
    run([sys.executable, "-c", CLI, "migrate"], env)
    total_records, total_s, peak = 0, 0.0, 0.0
    for name, path, count in info["files"]:
        seconds, rss, _ = run([sys.executable, "-c", CLI, "import", path, "--lang", "en"], env)
        total_records, total_s, peak = total_records + count, total_s + seconds, max(peak, rss)
        size = Path(path).stat().st_size / 1e6
        rate = count / seconds
        print(f"import {name}: {count:,} records ({size:.0f} MB) in {seconds:.1f} s = {rate:,.0f} records/s, "
              f"peak RSS {rss:.0f} MB")  # fmt: skip
    print(f"import total: {total_records:,} records in {total_s:.1f} s = {total_records / total_s:,.0f} records/s, "
          f"peak RSS {peak:.0f} MB (largest single import process)")  # fmt: skip
    seconds, rss, _ = run([*me, "--phase", "measure", "--runs", str(args.runs), *common], env)
    figures = json.loads(info_path.with_suffix(".figures.json").read_text(encoding="utf-8"))
    targets = {"lot_answer": 1.0, "check_plots": 5.0, "dds": 2.0}
    labels = {
        "lot_answer": f"lot answer from the database ({info['lot']})",
        "check_plots": f"plot checks over one group ({info['group']})",
        "dds": "DDS export of the 1,000-plot lot",
    }
    for key, target in targets.items():
        median, detail = figures[key]
        print(f"{labels[key]}: median {median:.3f} s of {args.runs} (target < {target:g} s): {detail}")
    print(f"measuring process peak RSS {figures['rss_mb']:.0f} MB (target < 300 MB)")
    if args.keep:
        print(f"kept {var}")
    else:
        import shutil

        shutil.rmtree(var, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
