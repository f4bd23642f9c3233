"""Search and matching at scale: import, full reindex, search latency, matching next to a naive scan, and the
search endpoint under wrk. Prints figures; no pass/fail.

    python benchmarks/search_matching.py [--sizes 10000,100000] [--seed 7] [--duration 10]

For each size N, in a throwaway var dir (SQLite database + embedded search index, everything on 127.0.0.1):

1. a child process (``--one-size N --json``, so the app reads that var dir's settings) generates a synthetic set
   (``app.demo.generator.generate``: N offers, max(60, N // 50) producers, 300 buyers, 1000 requests), runs the
   migrations, times ``import_document`` and a full ``reindex``, then times 200 searches (text + category, claim
   and country filters + four facets), and ``compute_matches`` (store=False) for 100 random open requests next to
   the naive baseline for the same requests (every offer read through the ORM and scored in Python);
2. this process then serves that var dir with ``forestmatch serve --workers 1`` and runs wrk against the search
   endpoint, reading the server's peak RSS (VmHWM) afterwards.

Exit status: 0 after measuring (whatever the figures), 2 when wrk or the ``forestmatch`` command is missing,
3 when a setup step fails, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import random
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pages import (
    HOST,
    BenchError,
    Server,
    _on_sigterm,
    find_forestmatch,
    free_port,
    http_get,
    parse_wrk,
    run_wrk,
    wrk_argv,
)

CHILD_TIMEOUT_S = 3600.0
SEARCH_QUERIES = 200
SEARCH_WARMUP = 10
MATCH_REQUESTS = 100
MATCH_WARMUP = 3
ENDPOINT = "/api/v1/search/offers?q=pino&category=timber"
FALLBACK_PAGE = "/offers?category=timber"
FACETS = ("category", "product_type", "claim", "country")
WORDS = {
    "timber": (
        "pino",
        "caoba",
        "tablas",
        "mahogany",
        "cedro",
        "madera aserrada",
        "encino",
        "roble",
        "trocería",
        "pine logs",
        "sawn timber",
        "vigas",
        "teca",
        "cumarú",
        "leña",
        "carbón",
        "decking",
        "molduras",
    ),
    "latex": ("latex", "látex", "hule", "rubber", "RSS", "TSR 20", "cup lump", "concentrado", "smoked sheets"),
}
#: The checkout this script belongs to goes first on the import path (child and server), so the measured code is
#: this tree's even when an editable install's import hooks are older than its packages.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGETS = {"reindex_s": 30.0, "search_p95_ms": 30.0, "match_p95_ms": 50.0, "ratio": 30.0, "rps": 200.0, "rss_mb": 300.0}


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values) if values else math.nan, "p95": pct(values, 95), "n": len(values)}


def _progress(text: str) -> None:
    print(f"  [{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


# --- the child: data, index, in-process timings ----------------------------------------------------------------
async def _measure(n: int, seed: int, var_dir: Path) -> dict[str, Any]:
    from app.db import close_pool, migrate, start_pool
    from app.demo.generator import generate
    from app.imports.services import import_document
    from app.indexing.sync import reindex
    from search_index import create_backend

    out: dict[str, Any] = {"size": n, "producers": max(60, n // 50), "buyers": 300, "requests": 1000}
    started = time.perf_counter()
    doc = generate(seed, producers=out["producers"], buyers=300, offers=n, requests=1000)
    out["generate_s"] = time.perf_counter() - started
    await start_pool()
    backend = create_backend(directory=var_dir / "search")
    try:
        await migrate()
        _progress(f"importing {n} offers")
        started = time.perf_counter()
        result = await import_document(doc)
        out["import_s"] = time.perf_counter() - started
        out["import_summary"] = result.line()
        _progress("full reindex")
        started = time.perf_counter()
        out["indexed"] = await reindex(backend)
        out["reindex_s"] = time.perf_counter() - started
        out["index_mb"] = sum(p.stat().st_size for p in (var_dir / "search").iterdir()) / 2**20
        rng = random.Random(seed)
        queries = _search_queries(doc, rng)
        # A server holds no generated document: drop it (about 230k objects), so that the collector's full passes
        # during the measured calls cost what they cost in a server, not about 100 ms each.
        del doc
        gc.collect()
        _progress("searching")
        out["search"] = await _bench_search(backend, queries)
        _progress("matching (ours, then naive)")
        out["matching"] = await _bench_matching(backend, rng)
    finally:
        await backend.close()
        await close_pool()
    import resource

    out["child_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def _search_queries(doc: dict[str, Any], rng: random.Random) -> list[tuple[str, tuple[Any, ...]]]:
    """(word, filters) of the measured searches (the warm-up ones first)."""
    from search_index import Eq

    country = {o["ref"]: o.get("country", "") for o in doc["organizations"]}
    queries = []
    for _ in range(SEARCH_QUERIES + SEARCH_WARMUP):
        # Filters from a real offer, so the combination exists; the word fits the category but may not match.
        offer = rng.choice(doc["offers"])
        filters = (
            Eq("category", offer["category"]),
            Eq("claim", offer["claim"]),
            Eq("country", country[offer["organization"]]),
        )
        queries.append((rng.choice(WORDS[offer["category"]]), filters))
    return queries


async def _bench_search(backend: Any, queries: list[tuple[str, tuple[Any, ...]]]) -> dict[str, Any]:
    from search_index import SearchQuery

    runs: dict[str, Any] = {}
    for name, with_text in (("text+filters+facets", True), ("filters+facets, no text", False)):
        times, totals = [], []
        for i, (word, filters) in enumerate(queries):
            query = SearchQuery(text=word if with_text else "", filters=filters, facets=FACETS, per_page=20)
            started = time.perf_counter()
            result = await backend.search("offers", query)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= SEARCH_WARMUP:
                times.append(elapsed)
                totals.append(result.total)
        runs[name] = {
            **summary(times),
            "max": max(times),
            "median_total": statistics.median(totals),
            "zero_hits": sum(1 for t in totals if t == 0),
        }
    return runs


async def _bench_matching(backend: Any, rng: random.Random) -> dict[str, Any]:
    from app.clock import now
    from app.i18n import reset_locale, set_locale
    from app.indexing.documents import OFFERS_INDEX
    from app.matching import engine
    from app.matching.services import (
        _OFFER_SPEC_COLUMNS,
        MAX_RECOMMENDATIONS,
        _load_request,
        _offer_specs,
        best_candidates,
        candidate_query,
        compute_matches,
        offer_spec,
        request_spec,
    )
    from app.offers.tables import Offer
    from app.sourcing.tables import SourcingRequest

    open_refs = sorted(
        r["ref"] for r in await SourcingRequest.select(SourcingRequest.ref).where(SourcingRequest.status == "open")
    )
    refs = rng.sample(open_refs, min(MATCH_REQUESTS, len(open_refs)))
    for ref in refs[:MATCH_WARMUP]:  # first calls load translations, the search vocabulary, connections
        await compute_matches(ref, backend, locale="en", store=False)

    ours: list[float] = []
    top: dict[str, list[str]] = {}
    found: dict[str, int] = {}
    degraded = bundles = 0
    our_bundles: dict[str, list[list[str]]] = {}
    for ref in refs:
        started = time.perf_counter()
        answer = await compute_matches(ref, backend, locale="en", store=False)
        ours.append((time.perf_counter() - started) * 1000)
        top[ref] = [m.offer.ref for m in answer.matches[:10]]
        found[ref] = len(answer.matches)
        degraded += answer.degraded
        bundles += bool(answer.bundles)
        our_bundles[ref] = [sorted(m.offer.ref for m in b.offers) for b in answer.bundles]

    # Where the time goes inside compute_matches, step by step, for the same requests: the first round of
    # candidate retrieval (index search for ids, database re-read), ranking and bundles, then the whole retrieval
    # (every round, and the check for an offer covering the need) for the rounds and ids it used.
    steps: dict[str, list[float]] = {"search (round 1)": [], "db re-read (round 1)": [], "rank+bundles": []}
    candidates: list[int] = []
    rounds: list[int] = []
    for ref in refs:
        spec = request_spec(await _load_request(ref))
        moment = now()
        t0 = time.perf_counter()
        hits = [h.id for h in (await backend.search(OFFERS_INDEX, candidate_query(spec, moment))).hits]
        t1 = time.perf_counter()
        offers = await _offer_specs(hits)
        t2 = time.perf_counter()
        token = set_locale("en")
        try:
            engine.match(spec, offers, now=moment)
        finally:
            reset_locale(token)
        t3 = time.perf_counter()
        found_now = await best_candidates(spec, backend, moment)
        candidates.append(found_now.read)
        rounds.append(found_now.rounds)
        for key, a, b in (("search (round 1)", t0, t1), ("db re-read (round 1)", t1, t2), ("rank+bundles", t2, t3)):
            steps[key].append((b - a) * 1000)

    # Naive: every offer from the database (same columns, no filter), every one scored in Python.
    naive, naive_load, naive_score = [], [], []
    top1_same = overlap = naive_more = bundles_same = 0
    for ref in refs:
        started = time.perf_counter()
        spec = request_spec(await _load_request(ref))
        rows = await Offer.select(*_OFFER_SPEC_COLUMNS).output(load_json=True)
        offers = [offer_spec(r) for r in rows]
        loaded = time.perf_counter()
        token = set_locale("en")
        try:
            ranked, naive_bundles = engine.match(spec, offers, now=now())
        finally:
            reset_locale(token)
        done = time.perf_counter()
        naive.append((done - started) * 1000)
        naive_load.append((loaded - started) * 1000)
        naive_score.append((done - loaded) * 1000)
        naive_top = [m.offer.ref for m in ranked[:10]]
        top1_same += naive_top[:1] == top[ref][:1]
        overlap += len(set(naive_top) & set(top[ref]))
        naive_more += len(ranked) > found[ref]
        bundles_same += our_bundles[ref] == [sorted(m.offer.ref for m in b.offers) for b in naive_bundles]
        del rows, offers, ranked
    n = len(refs)
    return {
        "requests": n,
        "ours": summary(ours),
        "naive": summary(naive),
        "naive_load": summary(naive_load),
        "naive_score": summary(naive_score),
        "steps": {k: summary(v) for k, v in steps.items()},
        "median_candidates": statistics.median(candidates) if candidates else 0,
        "max_rounds": max(rounds, default=0),
        "more_rounds": sum(1 for r in rounds if r > 1),
        "median_ranked": statistics.median(found.values()),
        "with_bundles": bundles,
        "degraded": degraded,
        "top1_same": top1_same,
        "top10_overlap": overlap / max(1, sum(min(10, len(t)) for t in top.values())),
        "naive_found_more": naive_more,
        "bundles_same": bundles_same,
        "kept": MAX_RECOMMENDATIONS,
    }


def run_one_size(n: int, seed: int, var_dir: Path) -> dict[str, Any]:
    """Point the app at var_dir (before any app import), then measure."""
    var_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(PROJECT_ROOT))
    os.chdir(var_dir)  # no project .env is read
    os.environ.update(
        {
            "FORESTMATCH_VAR_DIR": str(var_dir),
            "FORESTMATCH_SYNC_IN_APP": "false",
            "FORESTMATCH_DATABASE_URL": f"sqlite:///{var_dir / 'forestmatch.db'}",
        }
    )
    os.environ.pop("FORESTMATCH_MEILI_URL", None)
    return asyncio.run(_measure(n, seed, var_dir))


# --- the parent: children, server, wrk, tables -----------------------------------------------------------------
def _proc_status(pid: int, name: str = "status") -> dict[str, str]:
    """/proc/PID/status (or smaps_rollup) as a dict (empty when unreadable)."""
    try:
        lines = Path(f"/proc/{pid}/{name}").read_text().splitlines()
    except OSError:
        return {}
    return {k: v.strip() for k, _, v in (line.partition(":") for line in lines)}


def _mb(status: dict[str, str], key: str) -> float:
    """A ``VmHWM:  1234 kB`` style value in MB (NaN when missing)."""
    value = status.get(key, "")
    return int(value.split()[0]) / 1024 if value else math.nan


def _endpoint(
    args: argparse.Namespace, wrk: str, forestmatch: list[str], var_dir: Path, servers: list[Server]
) -> dict[str, Any]:
    env = {
        **os.environ,
        "FORESTMATCH_VAR_DIR": str(var_dir),
        "FORESTMATCH_SYNC_IN_APP": "false",
        "FORESTMATCH_DATABASE_URL": f"sqlite:///{var_dir / 'forestmatch.db'}",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": os.pathsep.join(p for p in (str(PROJECT_ROOT), os.environ.get("PYTHONPATH", "")) if p),
    }
    env.pop("FORESTMATCH_MEILI_URL", None)
    port = free_port()
    argv = [
        *forestmatch,
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    server = Server("forestmatch", argv, env, var_dir, port, "/about")
    servers.append(server)
    server.wait_ready()
    out: dict[str, Any] = {"pid": server.pid, "rss_idle_mb": _mb(_proc_status(server.pid), "VmRSS")}
    path, note = ENDPOINT, ""
    status, _, body = http_get(port, path)
    if status == 404:
        path, note = FALLBACK_PAGE, f"{ENDPOINT} answered 404 (not there yet): measured the page {FALLBACK_PAGE}"
        status, _, body = http_get(port, path)
    if status != 200:
        note += f"{'; ' if note else ''}{path} answered HTTP {status}: the figures measure an error response"
    out.update(path=path, note=note, status=status, bytes=len(body))
    url = f"http://{HOST}:{port}{path}"
    if args.warmup > 0:
        run_wrk(wrk_argv(wrk, args.threads, args.connections, args.warmup, url), args.warmup)
    result = parse_wrk(run_wrk(wrk_argv(wrk, args.threads, args.connections, args.duration, url), args.duration))
    if server.process.poll() is not None:
        raise BenchError(f"the server died during the run:\n{server.log_tail()}")
    varied = None
    if path == ENDPOINT:
        # The same URL again and again measures the backend's per-index-version result cache; this run picks one
        # of VARIED_URLS at random per request, so most searches are computed (repeats hit the cache).
        script = var_dir / "varied.lua"
        script.write_text(_varied_script(), encoding="utf-8")
        argv = wrk_argv(wrk, args.threads, args.connections, args.duration, url)
        varied = parse_wrk(run_wrk([*argv[:-1], "-s", str(script), argv[-1]], args.duration))
        if server.process.poll() is not None:
            raise BenchError(f"the server died during the varied run:\n{server.log_tail()}")
    proc = _proc_status(server.pid)  # still running: its peak, and what is resident now (anonymous vs file pages)
    out.update(
        rps=result.requests_per_s,
        p50=result.p50_ms,
        p99=result.p99_ms,
        requests=result.requests,
        errors=result.non_2xx_3xx + result.socket_errors,
        rss_peak_mb=_mb(proc, "VmHWM"),
        rss_anon_mb=_mb(proc, "RssAnon"),
        rss_file_mb=_mb(proc, "RssFile"),
        threads=proc.get("Threads", "?"),
        pss_mb=_mb(_proc_status(server.pid, "smaps_rollup"), "Pss"),
        varied_rps=varied.requests_per_s if varied else math.nan,
        varied_p50=varied.p50_ms if varied else math.nan,
        varied_p99=varied.p99_ms if varied else math.nan,
        varied_errors=varied.non_2xx_3xx + varied.socket_errors if varied else 0,
    )
    server.stop()
    servers.remove(server)
    return out


def varied_urls() -> list[str]:
    """Search API URLs over every word of WORDS, with no claim filter or one of three, pages 1-4."""
    from urllib.parse import urlencode

    urls = []
    for category, words in WORDS.items():
        for word in words:
            for claim in ("", "FSC 100%", "FSC Mix", "FSC Mix Credit"):
                for page in range(1, 5):
                    params = {"q": word, "category": category, **({"claim": claim} if claim else {}), "page": page}
                    urls.append("/api/v1/search/offers?" + urlencode(params))
    return urls


def _varied_script() -> str:
    paths = ", ".join(json.dumps(u) for u in varied_urls())
    return (
        f"local paths = {{{paths}}}\n"
        "local n = 0\n"
        "function setup(thread) n = n + 1; thread:set('id', n) end\n"
        "function init(args) math.randomseed(os.time() * 100 + id) end\n"
        "function request() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min)"


def _code_state() -> str:
    """The commit measured and how many files differ from it (read-only git calls; '?' without git)."""
    try:
        head = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "status", "--porcelain"], capture_output=True, text=True, timeout=10
        ).stdout.splitlines()
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return f"{head or '?'}" + (f" + {len(dirty)} uncommitted change(s)" if dirty else "")


def _print_table(r: dict[str, Any], wrk_line: str) -> None:
    m, s, e = r["matching"], r["search"], r.get("endpoint", {})
    ratio_med = m["naive"]["median"] / m["ours"]["median"]
    ratio_p95 = m["naive"]["p95"] / m["ours"]["p95"]
    ms = lambda d: f"{d['median']:.1f} / {d['p95']:.1f} ms"  # noqa: E731
    rows = [
        ("generate document", f"{r['generate_s']:.2f} s", ""),
        ("import_document", f"{r['import_s']:.1f} s", ""),
        (
            f"full reindex ({r['indexed']} docs, {r['index_mb']:.0f} MB)",
            f"{r['reindex_s']:.1f} s",
            f"< {TARGETS['reindex_s']:.0f} s",
        ),
    ]
    for name, d in s.items():
        rows.append(
            (
                f"search {name}, median / p95",
                ms(d),
                f"p95 < {TARGETS['search_p95_ms']:.0f} ms" if name.startswith("text") else "",
            )
        )
        rows.append(
            (
                "  max; median hits; queries with 0 hits",
                f"{d['max']:.1f} ms; {d['median_total']:.0f}; {d['zero_hits']}/{d['n']}",
                "",
            )
        )
    rows += [
        ("compute_matches (store=False), median / p95", ms(m["ours"]), f"p95 < {TARGETS['match_p95_ms']:.0f} ms"),
        *[(f"  step {k}, median / p95", ms(v), "") for k, v in m["steps"].items()],
        (
            "  median ids read; requests needing >1 round (max); median ranked",
            f"{m['median_candidates']:.0f}; {m['more_rounds']}/{m['requests']} ({m['max_rounds']}); "
            f"{m['median_ranked']:.0f}",
            "",
        ),
        ("naive (all offers via ORM + engine.match), median / p95", ms(m["naive"]), ""),
        (
            "  load all offers / score all, medians",
            f"{m['naive_load']['median']:.0f} / {m['naive_score']['median']:.0f} ms",
            "",
        ),
        ("naive / ours (medians; p95s)", f"{ratio_med:.0f}x; {ratio_p95:.0f}x", f">= {TARGETS['ratio']:.0f}x"),
        ("same top-1 as naive; top-10 overlap", f"{m['top1_same']}/{m['requests']}; {m['top10_overlap']:.0%}", ""),
        (
            f"  naive ranked more offers than ours (we keep the best {m['kept']})",
            f"{m['naive_found_more']}/{m['requests']}",
            "",
        ),
        ("  same bundles as naive", f"{m['bundles_same']}/{m['requests']}", ""),
    ]
    if e:
        rows += [
            (f"wrk {e['path']}: req/s", f"{e['rps']:.1f}", f">= {TARGETS['rps']:.0f}"),
            ("  p50 / p99", f"{e['p50']:.1f} / {e['p99']:.1f} ms", ""),
            (
                f"wrk, one of {len(varied_urls())} search URLs at random: req/s",
                f"{e.get('varied_rps', math.nan):.1f}",
                "",
            ),
            (
                "  p50 / p99; non-2xx/3xx or socket errors",
                f"{e.get('varied_p50', math.nan):.1f} / {e.get('varied_p99', math.nan):.1f} ms; "
                f"{e.get('varied_errors', 0)}",
                "",
            ),
            (
                "server RSS idle / peak (VmHWM)",
                f"{e['rss_idle_mb']:.0f} / {e['rss_peak_mb']:.0f} MB",
                f"peak < {TARGETS['rss_mb']:.0f} MB",
            ),
            (
                "  after the run: RSS anonymous / file-backed; PSS",
                f"{e['rss_anon_mb']:.0f} / {e['rss_file_mb']:.0f}; {e['pss_mb']:.0f} MB",
                "",
            ),
        ]
    width = max(len(a) for a, _, _ in rows)
    print(f"\n== {r['size']} offers, {r['producers']} producers, {r['buyers']} buyers, {r['requests']} requests")
    print(f"imported: {r['import_summary']}")
    print(f"{'figure':<{width}}  {'measured':>26}  target")
    print(f"{'-' * width}  {'-' * 26}  {'-' * 14}")
    for name, value, target in rows:
        print(f"{name:<{width}}  {value:>26}  {target}")
    if m["degraded"]:
        print(f"note: {m['degraded']} matching call(s) fell back to SQL (search backend failed)")
    if e:
        print(
            f"wrk: {wrk_line} against {e['path']} ({e['status']}, {e['bytes']} bytes), server pid {e['pid']} "
            f"({e['threads']} threads after the run); {e['requests']} requests, {e['errors']} non-2xx/3xx or "
            "socket errors (wrk counts a request taking over 2 s as a timeout)"
        )
        if e["note"]:
            print(f"note: {e['note']}")
    print(
        f"benchmark child peak RSS: {r['child_peak_rss_mb']:.0f} MB; before this size: {r['load_before']} "
        "(well above 0 means something else was using the CPUs)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="offer counts, comma separated")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--duration", type=int, default=10, help="seconds of the measured wrk run")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded wrk load first")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c")
    parser.add_argument("--no-wrk", action="store_true", help="skip the endpoint throughput step")
    parser.add_argument("--keep", action="store_true", help="keep the var dirs")
    parser.add_argument("--one-size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--var-dir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one_size:  # child mode: one size, figures as JSON on the last stdout line
        var_dir = args.var_dir or Path(tempfile.mkdtemp(prefix="forestmatch-sm-"))
        result = run_one_size(args.one_size, args.seed, var_dir.resolve())
        print(json.dumps(result) if args.json else result, flush=True)
        return 0

    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    wrk = shutil.which("wrk")
    forestmatch = find_forestmatch()
    if not args.no_wrk and not (wrk and forestmatch):
        print("needs wrk on PATH and the forestmatch command (pip install -e .); or pass --no-wrk", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    print(f"code: {_code_state()}")
    print(
        f"machine: {os.cpu_count()} CPUs ({usable} usable), {platform.machine()}, Python "
        f"{platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}; wrk and the server share them"
    )
    wrk_line = (
        shlex.join(wrk_argv("wrk", args.threads, args.connections, args.duration, "URL"))
        + f" after {args.warmup}s warm-up"
    )
    servers: list[Server] = []
    for n in sizes:
        var_dir = Path(tempfile.mkdtemp(prefix=f"forestmatch-sm-{n}-"))
        load_before = _load()
        try:
            child = [
                sys.executable,
                str(Path(__file__).resolve()),
                "--one-size",
                str(n),
                "--json",
                "--seed",
                str(args.seed),
                "--var-dir",
                str(var_dir),
            ]
            print(f"\n[{n}] {shlex.join(child)} ({load_before})", flush=True)
            done = subprocess.run(
                child, stdout=subprocess.PIPE, text=True, timeout=CHILD_TIMEOUT_S, stdin=subprocess.DEVNULL
            )
            if done.returncode != 0:
                raise BenchError(f"the measuring child for {n} offers failed ({done.returncode})")
            result = json.loads(done.stdout.strip().splitlines()[-1])
            result["load_before"] = load_before
            if not args.no_wrk:
                print(f"[{n}] serving {var_dir} for wrk", flush=True)
                result["endpoint"] = _endpoint(args, wrk or "wrk", forestmatch or [], var_dir, servers)
            _print_table(result, wrk_line)
        except subprocess.TimeoutExpired:
            print(f"\nsetup failed: the child for {n} offers took over {CHILD_TIMEOUT_S:.0f}s", file=sys.stderr)
            return 3
        except (BenchError, RuntimeError, ValueError, IndexError) as exc:  # no figures, a bad child output, wrk failed
            print(f"\nsetup failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 3
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
            return 130
        finally:
            for server in servers:
                server.stop()
            servers.clear()
            if args.keep:
                print(f"kept {var_dir}")
            else:
                shutil.rmtree(var_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
