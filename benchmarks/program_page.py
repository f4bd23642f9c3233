"""A program's results page and its periodic report at 1M match events on SQLite. Prints figures; no pass/fail.

    python benchmarks/program_page.py [--events 1000000] [--offers 100000] [--runs 15] [--keep DIR | --reuse DIR]

What it does (everything on 127.0.0.1, every wait bounded in time):

1. builds the data set with ``benchmarks/analytics.py``'s own builder (a child ``--build-only`` step: the demo
   generator's N offers, its producers and buyers, recommendations, then the demo's trade simulation until at least
   ``--events`` match events exist); a set kept with ``analytics.py --keep`` can be measured with ``--reuse``;
2. adds ``--programs`` programs (default 12), each covering the five countries with most organisations (so each
   program holds most of the trade), each with five indicators: three computed (contacts, deals confirmed, timber
   volume confirmed) and two reported (with approved values), every indicator with targets in the last four
   quarters, the current one and the current year;
3. starts ``forestmatch serve --workers 1 --no-access-log``, signs the staff account in and times ``--runs``
   sequential GETs (after 3 discarded) of ``/programs/{id}/results`` and ``/programs/{id}/report?period=...``.
   Nothing on these pages is cached by the app; still, every request asks for another program (and the report for
   another period, quarters and years in turn), so no two consecutive requests read the same figures ("cold");
4. prints median and p95 per page beside the target (median under 500 ms, cold) and the load average, and the
   server's CPU time per request (its process group's user + system time over the timed requests, from ``/proc``):
   on a machine shared with other work the wall-clock figures grow with the load, this one much less.

Exit status: 0 after measuring (whatever the figures), 3 when the build or the server fails, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import analytics as base  # noqa: E402 - the dashboard benchmark's builder, server helpers and staff account

TARGET_MS = 500
COMPUTED = ("contacts", "deals_confirmed", "volume_confirmed_timber")


def _env(var_dir: Path) -> dict[str, str]:
    return {
        "FORESTMATCH_VAR_DIR": str(var_dir),
        "FORESTMATCH_SYNC_IN_APP": "false",
        "FORESTMATCH_DATABASE_URL": f"sqlite:///{var_dir / 'forestmatch.db'}",
    }


async def _programs(var_dir: Path, count: int) -> dict[str, Any]:
    from app.accounts.tables import Organization
    from app.agenda import periods
    from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue
    from app.analytics.tables import Program, ProgramRegion
    from app.db import close_pool, migrate, start_pool

    await start_pool()
    try:
        await migrate()
        rows = await Organization.raw(
            "SELECT country, COUNT(*) AS n FROM organization GROUP BY country ORDER BY n DESC LIMIT 5"
        )
        countries = [r["country"] for r in rows]
        today = dt.datetime.now(dt.UTC).date()
        shown = [*periods.last_quarters(today, 5), periods.year(today.year)]
        ids = []
        before = await Program.count()  # a reused set may hold the programs of an earlier run: names stay unique
        for k in range(count):
            name = f"Benchmark program {before + k + 1}"
            program = (await Program.insert(Program(name=name)).returning(Program.id))[0]["id"]
            ids.append(program)
            await ProgramRegion.insert(*[ProgramRegion(program=program, country=c, region="") for c in countries])
            specs = [("computed", m) for m in COMPUTED] + [("reported", ""), ("reported", "")]
            for position, (source, measure) in enumerate(specs):
                indicator = (
                    await Indicator.insert(
                        Indicator(
                            program=program,
                            name_en=f"{measure or 'reported'} {position}",
                            source=source,
                            measure=measure,
                            unit="ha" if source == "reported" else "",
                            position=position,
                        )
                    ).returning(Indicator.id)
                )[0]["id"]
                await IndicatorTarget.insert(
                    *[
                        IndicatorTarget(
                            indicator=indicator,
                            period_kind=p.kind,
                            period_start=p.start,
                            period_end=p.end,
                            value=100.0 * (i + 1),
                        )
                        for i, p in enumerate(shown)
                    ]
                )
                if source == "reported":
                    await ReportedValue.insert(
                        *[
                            ReportedValue(
                                indicator=indicator,
                                period_kind=p.kind,
                                period_start=p.start,
                                period_end=p.end,
                                value=90.0 * (i + 1),
                                status="approved",
                            )
                            for i, p in enumerate(shown[:-2])
                        ]
                    )
    finally:
        await close_pool()
    return {"programs": ids, "countries": countries, "periods": [p.label for p in shown]}


def setup_programs(var_dir: Path, count: int) -> dict[str, Any]:
    sys.path.insert(0, str(base.PROJECT_ROOT))
    os.chdir(var_dir)
    os.environ.update(_env(var_dir))
    return asyncio.run(_programs(var_dir, count))


def _report_periods(today: dt.date) -> list[str]:
    """Quarters going back from the current one, then years: a different period for each report request."""
    out, year, quarter = [], today.year, (today.month - 1) // 3 + 1
    for _ in range(12):
        out.append(f"{year}-Q{quarter}")
        year, quarter = (year, quarter - 1) if quarter > 1 else (year - 1, 4)
    return out + [str(today.year - k) for k in range(4)]


def group_cpu_s(pgid: int) -> float | None:
    """CPU seconds (user + system) used so far by the live processes of a process group (Linux ``/proc``; None
    elsewhere): the server's own work per request, which other work on the machine slows less than the wall clock."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    total = 0
    try:
        entries = [e for e in os.listdir("/proc") if e.isdigit()]
    except OSError:
        return None
    for entry in entries:
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ..., utime (12), stime (13)
            total += int(fields[11]) + int(fields[12])
    return total / ticks


def measure(var_dir: Path, runs: int, programs: list[int]) -> list[tuple[str, float, float, int, int, float | None]]:
    import httpx

    port = base.free_port()
    env = {**os.environ, **_env(var_dir)}
    exe = shutil.which("forestmatch") or str(Path(sys.executable).parent / "forestmatch")
    log = (var_dir / "server.log").open("wb")
    server = subprocess.Popen(
        [exe, "serve", "--host", base.HOST, "--port", str(port), "--workers", "1", "--no-access-log"],
        env=env,
        cwd=var_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"server pid {server.pid} on port {port}")
    periods = _report_periods(dt.datetime.now(dt.UTC).date())
    pages = (
        ("results page /programs/{id}/results, cold", lambda i: f"/programs/{programs[i % len(programs)]}/results"),
        (
            "report /programs/{id}/report?period=..., cold",
            lambda i: f"/programs/{programs[i % len(programs)]}/report?period={periods[i % len(periods)]}",
        ),
    )
    results = []
    try:
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=f"http://{base.HOST}:{port}", timeout=120, follow_redirects=False) as client:
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("server did not start; see server.log") from None
                    time.sleep(0.3)
            token = client.cookies.get("fm_csrf")
            signed = client.post(
                "/login", data={"email": base.STAFF_EMAIL, "password": base.PASSWORD, "_csrf_token": token}
            )
            if signed.status_code != 303:
                raise RuntimeError(f"sign-in failed: {signed.status_code}")
            for name, url in pages:
                times: list[float] = []
                size = status = 0
                cpu_before: float | None = None
                for i in range(runs + 3):
                    if i == 3:
                        cpu_before = group_cpu_s(server.pid)
                    started = time.perf_counter()
                    response = client.get(url(i))
                    elapsed = (time.perf_counter() - started) * 1000
                    status, size = response.status_code, len(response.content)
                    if status != 200:
                        raise RuntimeError(f"{url(i)} answered {status}; see server.log")
                    if i >= 3:
                        times.append(elapsed)
                cpu_after = group_cpu_s(server.pid)
                cpu_ms = None if cpu_before is None or cpu_after is None else 1000 * (cpu_after - cpu_before) / runs
                results.append((name, statistics.median(times), base.pct(times, 95), status, size, cpu_ms))
                base._progress(f"{name}: median {results[-1][1]:.0f} ms")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
    return results


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--programs", type=int, default=12)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="build into this directory and keep it")
    parser.add_argument("--reuse", type=Path, help="measure a directory built earlier with --keep")
    parser.add_argument("--setup-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.setup_only:
        print(json.dumps(setup_programs(args.setup_only, args.programs)))
        return 0
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(f"machine: {os.cpu_count()} CPUs, SQLite {sqlite3.sqlite_version}; load average before: {os.getloadavg()}")
    temp = None
    var_dir = args.reuse or args.keep
    if var_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="fm-program-bench-"))
        var_dir = temp
    try:
        if not args.reuse:
            build = [sys.executable, base.__file__, "--build-only", "--keep", str(var_dir)]
            build += ["--offers", str(args.offers), "--events", str(args.events), "--seed", str(args.seed)]
            child = subprocess.run(build, stdout=subprocess.PIPE, text=True, check=False)
            if child.returncode != 0:
                print("build failed", file=sys.stderr)
                return 3
            print("data set:", child.stdout.strip().splitlines()[-1])
        else:
            base.upgrade(var_dir)
        setup = [sys.executable, __file__, "--setup-only", str(var_dir), "--programs", str(args.programs)]
        child = subprocess.run(setup, stdout=subprocess.PIPE, text=True, check=False)
        if child.returncode != 0:
            print("program set-up failed", file=sys.stderr)
            return 3
        made = json.loads(child.stdout.strip().splitlines()[-1])
        events = sqlite3.connect(var_dir / "forestmatch.db").execute("SELECT COUNT(*) FROM match_event").fetchone()[0]
        print(f"programs: {len(made['programs'])} over {', '.join(made['countries'])}; targets in {made['periods']}")
        print(f"match events: {events:,}")
        try:
            results = measure(var_dir, args.runs, made["programs"])
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 3
        print(f"\nload average after: {os.getloadavg()}  ({args.runs} sequential requests per page, 3 discarded)")
        print(f"{'page':48s} {'median':>9s} {'p95':>9s} {'target':>12s} {'bytes':>9s} {'server CPU/req':>15s}")
        for name, median, p95, _status, size, cpu_ms in results:
            cpu = "n/a" if cpu_ms is None else f"{cpu_ms:.0f} ms"
            target = f"< {TARGET_MS} ms"
            print(f"{name:48s} {median:7.0f} ms {p95:7.0f} ms {target:>12s} {size:9,d} {cpu:>15s}")
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
