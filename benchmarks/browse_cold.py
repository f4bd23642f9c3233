"""Browsing as users browse: many distinct /offers and search API URLs, each requested once, with the cache off and on,
and a wrk mix that cycles through distinct URLs. Prints figures beside issue 14's targets; no pass/fail.

    python benchmarks/browse_cold.py                          # build 100k offers (several minutes), then measure
    python benchmarks/browse_cold.py --keep                   # ... and keep the built var dir (its path is printed)
    python benchmarks/browse_cold.py --reuse /tmp/fm-100k     # measure an existing var dir again (built or kept)
    python benchmarks/browse_cold.py --sizes 10000,100000,1000000 --no-wrk   # the curve

For each size (or the reused var dir):

1. builds the set the way ``benchmarks/import_scale.py`` does (``app.demo.generator.generate``: N offers, N // 2
   producers with their certificates, 300 buyers, 1,000 requests; ``forestmatch migrate`` and ``forestmatch import``
   into a SQLite database and the embedded search index under one var dir);
2. starts ``forestmatch serve --workers 1 --no-access-log`` on it with the offer list's micro-cache off
   (``FORESTMATCH_LIST_CACHE_SECONDS=0``) and the search backend's result cache off
   (``FORESTMATCH_SEARCH_CACHE_ENTRIES=0``), times the very first ``/offers`` (target < 60 ms), then requests
   150 distinct ``/offers`` URLs (category, product type, claim, country, EUDR-ready filters x pages) and 150
   distinct search API URLs (the common words "hule", "pino", "latex", "caoba" with category, country and claim
   filters, pages 1-3) once each, one at a time, and prints median, p95 and max beside the targets (p95 < 30 ms);
3. runs wrk (``-t2 -c32``) with a Lua script cycling through 300 distinct /offers URLs, then 400 distinct search
   URLs (targets: >= 600 and >= 250 req/s) and prints req/s, p50 and p99;
4. does 2 and 3 again with both caches on (their defaults): each URL is then requested twice in a row, the second
   answer is the cached figure; before wrk, each of the mix's 300 /offers URLs is requested once (the offer list's
   cache keeps a page until the data change, so the mix then measures pages served from it).

Every request is anonymous, one connection per request in steps 2 and 4 (as a browser's first visit), timed on the
client; beside the times, the server's CPU time per URL (``/proc/PID/stat``; with the cache on, both requests of a
URL), which waiting for a core on a loaded machine does not inflate. The load average is printed before each step:
the machine is shared, compare runs made on a quiet one.

Exit status: 0 after measuring, 2 when the ``forestmatch`` command is missing, 3 when the build or a server fails.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

from import_scale import CLI, run, write_document  # noqa: E402
from pages import HOST, BenchError, Server, find_forestmatch, free_port, http_get, parse_wrk, run_wrk, wrk_argv  # noqa: E402

SEARCH_WORDS = {"latex": ("hule", "latex"), "timber": ("pino", "caoba")}
TARGETS = {"p95_ms": 30.0, "first_ms": 60.0, "offers_rps": 600.0, "search_rps": 250.0}
BUILD_TIMEOUT_S = 7200


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def code_state() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (head or "?") + (f" + {len(dirty)} uncommitted change(s)" if dirty else "")


# --- the data set ----------------------------------------------------------------------------------------------
def build(size: int, var: Path, seed: int) -> dict[str, float]:
    """Generate N offers and import them into ``var`` (a SQLite database and the embedded index); the import's
    records, wall seconds and the import process's own peak RSS (MB)."""
    var.mkdir(parents=True, exist_ok=True)
    env = {**server_env(var), "PYTHONUNBUFFERED": "1"}
    path = var / "doc.json"
    started = time.perf_counter()
    counts = write_document(path, size, seed)
    print(f"  generated {counts} in {time.perf_counter() - started:.0f} s", flush=True)
    try:
        run([sys.executable, "-c", CLI, "migrate"], env)
        seconds, peak_mb, _, _, cpu = run([sys.executable, "-c", CLI, "import", str(path), "--lang", "en"], env)
    except SystemExit as exc:  # import_scale.run's way of saying a child failed
        raise BenchError(str(exc)) from None
    records = sum(counts.values())
    print(
        f"  forestmatch import: {seconds:.1f} s ({cpu:.1f} s CPU), {records / seconds:,.0f} records/s, "
        f"peak RSS {peak_mb:.0f} MB"
    )
    path.unlink()
    return {"records": records, "import_s": seconds, "import_cpu_s": cpu, "import_rss_mb": peak_mb}


def database_file(var: Path) -> Path:
    """The var dir's SQLite file: ``forestmatch.db`` as built here, or ``bench.db`` as ``import_scale.py --keep``
    leaves it (so its kept dir can be measured with ``--reuse`` as it is)."""
    kept = var / "bench.db"
    return kept if kept.exists() and not (var / "forestmatch.db").exists() else var / "forestmatch.db"


def server_env(var: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "FORESTMATCH_VAR_DIR": str(var),
        "FORESTMATCH_DATABASE_URL": f"sqlite:///{database_file(var)}",
        "FORESTMATCH_SYNC_IN_APP": "false",
        "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    env.pop("FORESTMATCH_MEILI_URL", None)
    return env


# --- the URLs --------------------------------------------------------------------------------------------------
def offer_urls(db: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct /offers URLs: filter sets taken from the data (so most combinations exist) x pages 1-5."""
    with sqlite3.connect(db) as conn:
        combos = conn.execute(
            "SELECT DISTINCT o.category, o.product_type, o.claim, g.country FROM offer o "
            "JOIN organization g ON g.id = o.organization"
        ).fetchall()
    rng = random.Random(seed)
    rng.shuffle(combos)
    urls: list[str] = ["/offers"]
    seen = set(urls)
    shapes = [
        ("category",),
        ("category", "claim"),
        ("category", "product_type"),
        ("country",),
        ("category", "country"),
        ("category", "product_type", "claim"),
        ("category", "product_type", "country"),
        ("claim", "country"),
        ("category", "product_type", "claim", "country"),
        ("category", "eudr"),
        (),
    ]
    i = 0
    while len(urls) < n and i < 100 * n:
        category, product_type, claim, country = combos[i % len(combos)]
        shape = shapes[i % len(shapes)]
        values = {"category": category, "product_type": product_type, "claim": claim, "country": country, "eudr": "1"}
        params = {k: values[k] for k in shape}
        page = rng.choice((1, 1, 1, 2, 2, 3, 4, 5, 8, 12))
        if page > 1:
            params["page"] = str(page)
        url = "/offers" + ("?" + urlencode(params) if params else "")
        if url not in seen:
            seen.add(url)
            urls.append(url)
        i += 1
    return urls


def search_urls(db: Path, n: int, seed: int) -> list[str]:
    """``n`` distinct search API URLs: a common word with category, country and claim filters, pages 1-3."""
    with sqlite3.connect(db) as conn:
        countries = [r[0] for r in conn.execute("SELECT DISTINCT country FROM organization WHERE country != ''")]
        claims = [r[0] for r in conn.execute("SELECT DISTINCT claim FROM offer")]
    rng = random.Random(seed + 1)
    urls: list[str] = []
    seen: set[str] = set()
    i = 0
    while len(urls) < n and i < 100 * n:
        category = rng.choice(sorted(SEARCH_WORDS))
        params: dict[str, str] = {"q": rng.choice(SEARCH_WORDS[category])}
        if rng.random() < 0.7:
            params["category"] = category
        if rng.random() < 0.5:
            params["country"] = rng.choice(countries)
        if rng.random() < 0.5:
            params["claim"] = rng.choice(claims)
        page = rng.choice((1, 1, 1, 2, 3))
        if page > 1:
            params["page"] = str(page)
        url = "/api/v1/search/offers?" + urlencode(params)
        if url not in seen:
            seen.add(url)
            urls.append(url)
        i += 1
    return urls


def cycling_script(paths: list[str]) -> str:
    """A wrk Lua script: each thread walks the list from its own starting point, one URL after another."""
    listed = ", ".join(json.dumps(p) for p in paths)
    return (
        f"local paths = {{{listed}}}\n"
        "local n = 0\n"
        "function setup(thread) n = n + 1; thread:set('id', n) end\n"
        "function init(args) i = (id - 1) * 97 end\n"
        "function request() i = i % #paths + 1; return wrk.format('GET', paths[i]) end\n"
    )


# --- measuring -------------------------------------------------------------------------------------------------
def timed_get(port: int, path: str) -> tuple[float, int]:
    """Milliseconds and HTTP status of one GET; a request that times out (pages.HTTP_TIMEOUT_S) counts as status 0."""
    started = time.perf_counter()
    try:
        status, _, _ = http_get(port, path)
    except OSError:  # socket.timeout is an OSError
        status = 0
    return (time.perf_counter() - started) * 1000, status


def series(port: int, urls: list[str], repeat: bool) -> tuple[list[float], list[str]]:
    """Milliseconds per URL (with ``repeat``: of the second request in a row) and the URLs that did not answer 200."""
    times, bad = [], []
    for url in urls:
        ms, status = timed_get(port, url)
        if repeat:
            ms, status = timed_get(port, url)
        times.append(ms)
        if status != 200:
            bad.append(f"{url} -> {status}")
    return times, bad


def cpu_ms(pid: int) -> float:
    """CPU time (user + system) the process has used so far, in ms: what a request costs the server whatever else the
    machine is doing (wall times on a loaded machine also hold the time it waited for a core)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> str:
    """The server's resident memory now and at its peak (``/proc/PID/status``): the search backend's bitmaps live
    in each worker."""
    status = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    now, peak = (int(status[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))
    return f"server RSS {now:.0f} MB (peak {peak:.0f} MB)"


def line(name: str, times: list[float], target: str, cpu: float) -> str:
    return (
        f"| {name} | {len(times)} | {statistics.median(times):.1f} | {pct(times, 95):.1f} | {max(times):.1f} "
        f"| {cpu / len(times):.1f} | {target} |"
    )


def spread(times: list[float]) -> dict[str, float]:
    return {"median": statistics.median(times), "p95": pct(times, 95), "max": max(times)}


def cycle_wrk(
    wrk: str, args: argparse.Namespace, var: Path, port: int, name: str, urls: list[str], pid: int | None = None
) -> tuple[float, float, float, int]:
    """wrk cycling through ``urls``: req/s, p50 ms, p99 ms and the errors it saw (and prints the server's CPU ms per
    request during the run, which a loaded machine does not inflate as it does req/s)."""
    script = var / f"cycle-{name}-{port}.lua"
    script.write_text(cycling_script(urls), encoding="utf-8")
    base = wrk_argv(wrk, args.threads, args.connections, args.duration, f"http://{HOST}:{port}")
    # --timeout: a slow answer is measured, not dropped as a socket error (wrk's default is 2 s).
    argv = [*base[:-1], "--timeout", "30s", "-s", str(script), base[-1]]
    before = cpu_ms(pid) if pid else math.nan
    r = parse_wrk(run_wrk(argv, args.duration + 30))
    if pid and r.requests:
        print(f"  ({name}: server CPU {(cpu_ms(pid) - before) / r.requests:.2f} ms / request over {r.requests:,})")
    return r.requests_per_s, r.p50_ms, r.p99_ms, r.non_2xx_3xx + r.socket_errors


# --- the limits for the same work --------------------------------------------------------------------------------
def index_file(var: Path) -> Path | None:
    """The embedded search index's SQLite file under the var dir."""
    found = sorted(var.rglob("*-search.sqlite3"))
    return found[0] if found else None


def live_offers_layout(index: Path) -> tuple[str, str] | None:
    """(FTS5 table, docs table) of the offers index's active generation, quoted as the backend names them."""
    with sqlite3.connect(index) as conn:
        row = conn.execute(
            "SELECT index_name, gen FROM fm_generations WHERE state = 'active' AND index_name LIKE '%offers' "
            "ORDER BY length(index_name) LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    return f'"{row[0]}__g{row[1]}_fts"', f'"{row[0]}__g{row[1]}_docs"'


def raw_fts(index: Path, fts: str, docs: str, word: str, runs: int = 7) -> dict[str, float]:
    """Raw FTS5 on the same index, each run on a new connection: one word's bm25 top 20, and one facet (the
    category of every match) counted by GROUP BY; median ms of ``runs``, and the matches."""
    top, facet = [], []
    phrase = f'"{word}"'
    with sqlite3.connect(index) as conn:
        columns = {r[1] for r in conn.execute(f"PRAGMA table_info({docs})")}
        hits = conn.execute(f"SELECT count(*) FROM {fts} WHERE {fts} MATCH ?", (phrase,)).fetchone()[0]
    column = next((c for c in ("f_category", "f_product_type", "f_country") if c in columns), None)
    for _ in range(runs):
        with sqlite3.connect(index) as conn:
            started = time.perf_counter()
            conn.execute(
                f"SELECT rowid FROM {fts} WHERE {fts} MATCH ? ORDER BY bm25({fts}) LIMIT 20", (phrase,)
            ).fetchall()
            top.append((time.perf_counter() - started) * 1000)
            if column:
                started = time.perf_counter()
                conn.execute(
                    f'SELECT d."{column}", count(*) FROM {fts} CROSS JOIN {docs} d ON d.rid = {fts}.rowid '
                    f"WHERE {fts} MATCH ? GROUP BY 1",
                    (phrase,),
                ).fetchall()
                facet.append((time.perf_counter() - started) * 1000)
    return {
        "top20_ms": statistics.median(top),
        "facet_ms": statistics.median(facet) if facet else math.nan,
        "hits": hits,
    }


def fts_paths(search_list: list[str]) -> list[str]:
    """The bare app's /fts URL for each search URL: its word and page (no filters: the minimal endpoint has none)."""
    paths = []
    for url in search_list:
        query = dict(parse_qsl(urlsplit(url).query))
        paths.append("/fts?" + urlencode({"q": query.get("q", ""), "page": query.get("page", "1")}))
    return paths


def limits(
    var: Path, args: argparse.Namespace, wrk: str | None, search_list: list[str], wrk_search: list[str]
) -> dict[str, Any]:
    """The issue's "limit for the same work" on the same data: raw FTS5 on the same index, and a bare Litestar
    app (``bare_app.py``: no middleware) serving a minimal page of 20 rows and a minimal FTS endpoint."""
    found: dict[str, Any] = {}
    index = index_file(var)
    tables = live_offers_layout(index) if index else None
    if index is None or tables is None:
        print("no embedded offers index found: the FTS limits are skipped")
    else:
        found["fts"] = raw_fts(index, *tables, "hule")
        f = found["fts"]
        print(
            f"raw FTS5 on the same index, 'hule' ({f['hits']:,} matches), new connection, median of 7: bm25 top 20 "
            f"{f['top20_ms']:.1f} ms, one facet (GROUP BY) {f['facet_ms']:.1f} ms"
        )
    port = free_port()
    env = {**os.environ, "BENCH_SQLITE_PATH": str(database_file(var))}
    if index is not None and tables is not None:
        env |= {"BENCH_INDEX_PATH": str(index), "BENCH_FTS_TABLE": tables[0]}
    argv = [sys.executable, "-m", "uvicorn", "--app-dir", str(BENCH_DIR), "bare_app:app", "--host", HOST]
    argv += ["--port", str(port), "--workers", "1", "--no-access-log", "--log-level", "warning"]
    server = Server("bare", argv, env, var, port, "/json")
    try:
        server.wait_ready()
        print(f"\n### the bare app (no middleware), server pid {server.pid}; {load()}", flush=True)
        print("| URLs (each once) | n | median ms | p95 ms | max ms | server CPU ms / URL | |")
        print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
        rows = [("/page (20 rows, Jinja)", ["/page"] * len(search_list))]
        if "fts" in found:
            rows.append(("/fts (bm25 top 20)", fts_paths(search_list)))
        for name, urls in rows:
            before = cpu_ms(server.pid)
            times, bad = series(port, urls, repeat=False)
            cpu = cpu_ms(server.pid) - before
            found[name.split()[0]] = spread(times)
            print(line(name, times, "limit", cpu), flush=True)
            for b in bad[:5]:
                print(f"  not 200: {b}")
        if wrk and not args.no_wrk:
            print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s on the bare app ({load()}):")
            print("| URL | distinct URLs | req/s | p50 ms | p99 ms | errors |")
            print("| --- | ---: | ---: | ---: | ---: | ---: |")
            mixes = [("page", ["/page"])]
            if "fts" in found:
                mixes.append(("fts", sorted(set(fts_paths(wrk_search)))))
            for name, urls in mixes:
                rps, p50, p99, errors = cycle_wrk(wrk, args, var, port, f"bare-{name}", urls, server.pid)
                found[f"wrk_{name}"] = rps
                print(f"| /{name} | {len(urls)} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {errors} |", flush=True)
    finally:
        server.stop()
    return found


# --- one size ----------------------------------------------------------------------------------------------------
def measure(var: Path, args: argparse.Namespace, forestmatch: list[str], wrk: str | None) -> dict[str, Any]:
    """Measure one var dir; its figures (for the summary)."""
    db = database_file(var)
    with sqlite3.connect(db) as conn:
        offers = conn.execute("SELECT count(*) FROM offer").fetchone()[0]
        organizations = conn.execute("SELECT count(*) FROM organization").fetchone()[0]
    index = index_file(var)
    fig: dict[str, Any] = {
        "offers": offers,
        "db_mb": db.stat().st_size / 1e6,
        "index_mb": index.stat().st_size / 1e6 if index else math.nan,
    }
    print(f"\n## {offers:,} offers, {organizations:,} organisations ({var})", flush=True)
    print(f"database {fig['db_mb']:.0f} MB, embedded index {fig['index_mb']:.0f} MB", flush=True)
    offer_list = offer_urls(db, 150, args.seed)
    search_list = search_urls(db, 150, args.seed)
    wrk_offers = offer_urls(db, 300, args.seed + 2)
    wrk_search = search_urls(db, 400, args.seed + 3)
    for cached in (False, True):
        mode = "cached" if cached else "cold"
        env = server_env(var)
        if not cached:
            env["FORESTMATCH_LIST_CACHE_SECONDS"] = "0"
            env["FORESTMATCH_SEARCH_CACHE_ENTRIES"] = "0"
        port = free_port()
        argv = [*forestmatch, "serve", "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log"]
        server = Server("forestmatch", [*argv, "--log-level", "warning"], env, var, port, "/about")
        try:
            server.wait_ready()
            label = "cache on (each URL twice in a row, the second timed)" if cached else "cache off"
            print(f"\n### {label}; server pid {server.pid}; {load()}", flush=True)
            first, status = timed_get(port, "/offers")
            fig[f"first_offers_{mode}"] = first
            print(f"first /offers after start: {first:.1f} ms (HTTP {status}); target < {TARGETS['first_ms']:.0f} ms")
            first, status = timed_get(port, "/api/v1/search/offers?q=hule")
            fig[f"first_search_{mode}"] = first
            print(
                f"then the first search ?q=hule: {first:.1f} ms (HTTP {status}); target < {TARGETS['first_ms']:.0f} ms"
            )
            if args.first_only:
                continue
            print("\n| URLs (each once) | n | median ms | p95 ms | max ms | server CPU ms / URL | target |")
            print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
            for name, urls in (("/offers", offer_list), ("search API", search_list)):
                before = cpu_ms(server.pid)
                times, bad = series(port, urls, repeat=cached)
                cpu = cpu_ms(server.pid) - before
                fig[f"{name.strip('/').split()[0]}_{mode}"] = {**spread(times), "cpu": cpu / len(times)}
                print(line(name, times, f"p95 < {TARGETS['p95_ms']:.0f} ms", cpu), flush=True)
                for b in bad[:5]:
                    print(f"  not 200: {b}")
            print(rss_mb(server.pid), flush=True)
            if wrk and not args.no_wrk:
                if cached:
                    # "Cached": each /offers URL of the mix is served from the cache after its first visit, made here.
                    started = time.perf_counter()
                    series(port, wrk_offers, repeat=False)
                    took = time.perf_counter() - started
                    print(f"\nthe {len(wrk_offers)} /offers URLs of the mix visited once first: {took:.1f} s")
                print(f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, URLs cycled ({load()}):")
                print("| mix | distinct URLs | req/s | p50 ms | p99 ms | errors | target |")
                print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
                for name, urls, target in (
                    ("/offers", wrk_offers, TARGETS["offers_rps"]),
                    ("search API", wrk_search, TARGETS["search_rps"]),
                ):
                    key = name.strip("/").split()[0]
                    rps, p50, p99, errors = cycle_wrk(wrk, args, var, port, key, urls, server.pid)
                    fig[f"wrk_{key}_{mode}"] = rps
                    print(
                        f"| {name} | {len(urls)} | {rps:.1f} | {p50:.1f} | {p99:.1f} | {errors} "
                        f"| >= {target:.0f} req/s |",
                        flush=True,
                    )
            if server.process.poll() is not None:
                raise BenchError(f"the server died:\n{server.log_tail()}")
        finally:
            server.stop()
    if not args.first_only:
        fig["limits"] = limits(var, args, wrk, search_list, wrk_search)
    return fig


# --- the side-by-side summary ------------------------------------------------------------------------------------
def _ms(value: float) -> str:
    return "-" if value is None or math.isnan(value) else f"{value:.1f} ms"


def _verdict(value: float | None, ok: bool) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else ("met" if ok else "NOT met")


def summary(fig: dict[str, Any]) -> list[str]:
    """Issue 14's table for one size: figure | measured cold (cached) | limit for the same work | target | met.
    Cached figures are shown beside the cold ones; the verdict is the cold figure's."""
    lim = fig.get("limits", {})
    fts = lim.get("fts", {})
    rows = [
        "| figure | measured cold (cached) | limit for the same work | target | cold |",
        "| --- | --- | --- | --- | --- |",
    ]

    def add(name: str, measured: str, limit: str, target: str, verdict: str) -> None:
        rows.append(f"| {name} | {measured} | {limit} | {target} | {verdict} |")

    search, search_c = fig.get("search_cold"), fig.get("search_cached")
    if search:
        limit = (
            f"raw FTS5 'hule' ({fts['hits']:,} matches): top 20 {fts['top20_ms']:.1f} ms, one facet "
            f"{fts['facet_ms']:.1f} ms"
            if fts
            else "-"
        )
        cached = f" ({search_c['median']:.1f} / {search_c['p95']:.1f} / {search_c['max']:.1f})" if search_c else ""
        add(
            "search API, 150 distinct URLs once: median / p95 / max",
            f"{search['median']:.1f} / {search['p95']:.1f} / {search['max']:.1f} ms{cached}",
            limit,
            "p95 < 30 ms",
            _verdict(search["p95"], search["p95"] < TARGETS["p95_ms"]),
        )
    offers, offers_c = fig.get("offers_cold"), fig.get("offers_cached")
    if offers:
        page = lim.get("/page")
        cached = f" ({offers_c['median']:.1f} / {offers_c['p95']:.1f} / {offers_c['max']:.1f})" if offers_c else ""
        add(
            "`/offers`, 150 distinct URLs once: median / p95 / max",
            f"{offers['median']:.1f} / {offers['p95']:.1f} / {offers['max']:.1f} ms{cached}",
            f"minimal page, 20 rows: median {page['median']:.1f} ms" if page else "-",
            "p95 < 30 ms",
            _verdict(offers["p95"], offers["p95"] < TARGETS["p95_ms"]),
        )
    for key, name, limit_key, target in (
        ("offers", "`/offers` under wrk, 300 URLs cycled", "wrk_page", "offers_rps"),
        ("search", "search API under wrk, 400 URLs cycled", "wrk_fts", "search_rps"),
    ):
        cold, cached = fig.get(f"wrk_{key}_cold"), fig.get(f"wrk_{key}_cached")
        if cold is None:
            continue
        limit = lim.get(limit_key)
        what = "minimal page" if key == "offers" else "minimal FTS endpoint"
        add(
            name,
            f"{cold:,.0f} req/s" + (f" ({cached:,.0f})" if cached is not None else ""),
            f"{what} {limit:,.0f} req/s" if limit else "-",
            f">= {TARGETS[target]:.0f} req/s",
            _verdict(cold, cold >= TARGETS[target]),
        )
    for key, name in (
        ("first_search", "first `?q=hule` after a start"),
        ("first_offers", "first `/offers` after a start"),
    ):
        cold = fig.get(f"{key}_cold")
        if cold is not None:
            add(
                name,
                _ms(cold) + f" ({_ms(fig.get(f'{key}_cached', math.nan))})",
                "-",
                "< 60 ms",
                _verdict(cold, cold < 60),
            )
    if "import_s" in fig:
        rate = fig["records"] / fig["import_s"]
        add(
            f"import ({fig['records']:,} records): rate, peak RSS",
            f"{rate:,.0f} records/s ({fig['import_s']:.1f} s, {fig['import_cpu_s']:.1f} s CPU), "
            f"{fig['import_rss_mb']:.0f} MB",
            "-",
            ">= 3,000 records/s, < 300 MB",
            _verdict(rate, rate >= 3000 and fig["import_rss_mb"] < 300),
        )
    else:
        add("import: rate, peak RSS", "not run (a reused var dir)", "-", ">= 3,000 records/s, < 300 MB", "-")
    add(
        "embedded index size",
        f"{fig['index_mb']:.0f} MB",
        f"database {fig['db_mb']:.0f} MB",
        "<= the database",
        _verdict(fig["index_mb"], fig["index_mb"] <= fig["db_mb"]),
    )
    return rows


def _on_sigterm(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000", help="offers per built set, comma-separated (10000,100000,...)")
    parser.add_argument("--reuse", type=Path, action="append", help="measure this built var dir (repeatable)")
    parser.add_argument("--keep", action="store_true", help="keep the var dirs built here (their paths are printed)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk mixes")
    parser.add_argument("--first-only", action="store_true", help="only the first /offers and search after a start")
    args = parser.parse_args(argv)
    forestmatch = find_forestmatch()
    if not forestmatch:
        print("the forestmatch command is not installed (pip install -e .)", file=sys.stderr)
        return 2
    wrk = shutil.which("wrk")
    signal.signal(signal.SIGTERM, _on_sigterm)
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(
        f"code: {code_state()}; machine: {os.cpu_count()} CPUs ({usable} usable), {platform.machine()}, "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}; client, wrk and server share them"
    )
    if not wrk and not args.no_wrk:
        print("wrk not found (apt-get install -y wrk): the wrk mixes are skipped")
    measured: list[dict[str, Any]] = []
    try:
        for var in args.reuse or []:
            measured.append(measure(var.resolve(), args, forestmatch, wrk))
        for size in () if args.reuse else (int(s) for s in args.sizes.split(",") if s.strip()):
            var = Path(tempfile.mkdtemp(prefix=f"forestmatch-browse-{size}-"))
            try:
                print(f"\nbuilding {size:,} offers in {var} ({load()})", flush=True)
                built = build(size, var, args.seed)
                measured.append({**measure(var, args, forestmatch, wrk), **built})
            finally:
                if args.keep:
                    print(f"kept {var}")
                else:
                    shutil.rmtree(var, ignore_errors=True)
        for fig in measured:
            print(f"\n## Issue 14's figures side by side: {fig['offers']:,} offers (code {code_state()}; {load()})\n")
            print("\n".join(summary(fig)), flush=True)
    except BenchError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
