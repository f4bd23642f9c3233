"""The PostgreSQL search backend at scale: load, then the search API's work for many distinct URLs, each once.
Prints figures; no pass/fail.

    python benchmarks/search_postgres.py [--sizes 10000,100000] [--urls 150] [--seed 7]
                                         [--admin-dsn postgresql://postgres@127.0.0.1:5432/postgres] [--embedded]
                                         [--keep | --reuse postgresql://.../fm_bench_search_XXXX]

For each size N, in a throwaway PostgreSQL database:

1. N offer documents in the shape of ``app.indexing.documents.offer_document`` are made from the demo generator's
   offers, organisations and certificates (``app.demo.generator.generate``: N offers, max(60, N // 50) producers)
   and loaded with ``backend.rebuild`` (timed: documents/s);
2. ``--urls`` distinct search URLs (the words people type on a latex and timber marketplace: "hule", "pino",
   "latex", "caoba"..., a typo or two, with category / country / claim / verified filters, sorts and pages 1-3)
   are each answered once with ``search_offers`` (what ``/api/v1/search/offers`` does before rendering: the main
   query with its seven facets and highlights, plus one count-only query per filtered facet group). No answer is
   cached, so every URL is a cold answer. Before them, what a worker's startup does before it answers anyone
   (``warm_search_index``: the public listing's facets, then the broad words buyers type, timed and printed;
   ``--no-warm`` skips it): the backend's per-process bitmaps (filter and facet values, text matches, sort columns:
   ``search_index.postgres_bitmaps``) of anything else are built by the URLs that first need them, inside the
   figures. A second pass over the same URLs follows (same work, PostgreSQL's buffers warm), and
   the main query alone is timed too. Beside each line: the PostgreSQL server's CPU time per URL (its processes'
   user + system time from /proc, so the server must run on this machine) and this process's (the backend's
   bitmaps), steadier than wall-clock figures on a shared machine.

``--embedded`` loads the same documents into the embedded backend (a temporary SQLite file) and times the same URLs
there, for comparison. ``--keep`` keeps each size's database (for EXPLAIN); ``--reuse DSN`` measures a kept one again
without loading (the URLs do not depend on the documents, which are then not made; the size printed is the
database's; drop it yourself afterwards). The ``--slowest`` URLs of the first pass are listed with their times.
A kept database of an older index layout is rebuilt from its stored documents first. The
machine may be shared: the load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("FORESTMATCH_VAR_DIR", tempfile.mkdtemp(prefix="fm-bench-pg-"))

import asyncpg  # noqa: E402

from app.demo.generator import generate  # noqa: E402
from app.indexing.documents import _labels, country_names, date_int  # noqa: E402
from app.search.services.engine import search_offers, warm_search_index  # noqa: E402
from app.search.services.params import SearchParams  # noqa: E402
from app.vocab import ALL_PRODUCT_TYPES, offered_species_keys, resolve_species, species_names  # noqa: E402
from search_index import SearchQuery, create_backend  # noqa: E402
from search_index.backend import SearchBackend  # noqa: E402

WORDS = [
    "hule", "pino", "latex", "látex", "caoba", "cedro", "madera", "tablas", "lamina", "seringueira", "pine",
    "rubber", "mogno", "encino", "roble", "caova", "serinqueira", "hule natural", "madera de pino", "tablas caoba",
    "pino aserrado", "cedro rojo", "ejido", "cooperativa", "", "",
]  # fmt: skip
COUNTRIES = ["MX", "BR", "GT", "PE", "BO", "HN"]
CLAIMS = ["FSC 100%", "FSC Mix"]
SORTS = ["", "", "", "quantity", "newest", "expiry"]


def documents(n: int, seed: int) -> list[dict[str, Any]]:
    """N search documents made from a generated data set (as the sync would index them)."""
    data = generate(seed, producers=max(60, n // 50), buyers=1, offers=n, requests=0)
    orgs = {o["ref"]: o for o in data["organizations"]}
    certs = {c["ref"]: c for c in data["certificates"]}
    rng = random.Random(seed)
    now = int(time.time())
    docs = []
    for offer in data["offers"]:
        org, cert = orgs[offer["organization"]], certs[offer["certificate"]]
        species = [resolve_species(s) for s in offer.get("species", [])]
        names: list[str] = []
        for sci in species:
            names += [name for name in species_names(sci) if name not in names]
        quantity = float(offer["quantity"])
        doc: dict[str, Any] = {
            "id": offer["ref"],
            "ref": offer["ref"],
            "title": offer["title"],
            "description": offer.get("description") or "",
            "category": offer["category"],
            "product_type": offer["product_type"],
            "product_type_labels": _labels(ALL_PRODUCT_TYPES.get(offer["product_type"], offer["product_type"])),
            "species": species,
            "species_names": names,
            "species_keys": offered_species_keys(species),
            "claim": offer["claim"],
            "country": org.get("country") or "",
            "region": org.get("region") or "",
            "country_names": list(country_names(org["country"])) if org.get("country") else [],
            "organization_ref": org["ref"],
            "organization_name": org["name"],
            "certificate_ref": cert["ref"],
            "certificate_verified": rng.random() < 0.6,
            "status": offer.get("status", "active"),
            "certificate_status": cert["status"],
            "certificate_expires_on": date_int(dt.date.fromisoformat(cert["expires_on"])),
            "certificate_covers": offer["product_type"] in cert.get("product_types", [offer["product_type"]]),
            "available_from": date_int(dt.date.fromisoformat(offer["available_from"])),
            "available_to": date_int(dt.date.fromisoformat(offer["available_to"])),
            "quantity": quantity,
            "unit": offer["unit"],
            "quantity_canonical": quantity,
            "min_order_canonical": None,
            "created_at": now - rng.randrange(0, 86400 * 365),
            "updated_at": now,
            "traceable": False,
            "eudr_ready": False,
            "smallholders": 0,
        }
        lat, lon = offer.get("lat", org.get("lat")), offer.get("lon", org.get("lon"))
        if lat is not None and lon is not None:
            doc["_geo"] = {"lat": lat, "lng": lon}
        docs.append(doc)
    return docs


def urls(count: int, seed: int) -> list[dict[str, Any]]:
    """``count`` distinct query-parameter sets, as the search page and API receive them."""
    rng = random.Random(seed)
    seen: set[tuple[Any, ...]] = set()
    out: list[dict[str, Any]] = []
    while len(out) < count:
        params: dict[str, Any] = {}
        word = rng.choice(WORDS)
        if word:
            params["q"] = word
        if rng.random() < 0.5:
            params["category"] = rng.choice(["timber", "latex"])
        if rng.random() < 0.4:
            params["country"] = rng.sample(COUNTRIES, rng.choice([1, 1, 2]))
        if rng.random() < 0.3:
            params["claim"] = rng.choice(CLAIMS)
        if rng.random() < 0.2:
            params["verified"] = "true"
        sort = rng.choice(SORTS)
        if sort:
            params["sort"] = sort
        params["page"] = str(rng.choice([1, 1, 1, 2, 3]))
        key = tuple(sorted((k, str(v)) for k, v in params.items()))
        if key not in seen:
            seen.add(key)
            out.append(params)
    return out


def figures(label: str, times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p95 = ms[min(len(ms) - 1, int(round(0.95 * len(ms))) - 1)]
    return f"  {label:<44} median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms   max {ms[-1]:7.1f} ms"


CPU: dict[str, float] = {}


async def server_ticks(dsn: str) -> dict[int, int]:
    """CPU ticks (user + system) of each PostgreSQL process serving the database (same machine, /proc)."""
    conn = await asyncpg.connect(dsn)
    try:
        pids = [r[0] for r in await conn.fetch("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")]
        own = conn.get_server_pid()
    finally:
        await conn.close()
    return proc_ticks([pid for pid in pids if pid != own])


def proc_ticks(pids: list[int]) -> dict[int, int]:
    ticks = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


async def cpu_ms(dsn: str, before: dict[int, int]) -> float:
    after = await server_ticks(dsn)
    ticks = sum(t - before.get(pid, 0) for pid, t in after.items())
    return ticks * 1000 / os.sysconf("SC_CLK_TCK")


async def time_urls(
    backend: SearchBackend, sets: list[dict[str, Any]], dsn: str = ""
) -> tuple[list[float], list[float], int]:
    """(whole search_offers per URL, main query alone per URL, total hits of the broadest); with ``dsn``, the
    PostgreSQL server's CPU time of each pass goes in ``CPU`` (ms per URL)."""
    whole, main, broadest = [], [], 0
    before = await server_ticks(dsn) if dsn else {}
    client = time.process_time()
    for query in sets:
        params = SearchParams.from_query(query)
        started = time.perf_counter()
        page = await search_offers(params, backend)
        whole.append(time.perf_counter() - started)
        broadest = max(broadest, page.total)
    CPU["client search_offers"] = (time.process_time() - client) * 1000 / len(sets)
    if dsn:
        CPU["search_offers"] = await cpu_ms(dsn, before) / len(sets)
        before = await server_ticks(dsn)
    client = time.process_time()
    for query in sets:
        params = SearchParams.from_query(query)
        from app.search.services.params import FACETS, public_filters

        filters = (*public_filters(), *(f for fs in params.group_filters().values() for f in fs))
        started = time.perf_counter()
        await backend.search(
            "offers",
            SearchQuery(
                text=params.q,
                filters=filters,
                facets=FACETS,
                sort=params.sort_specs(),
                page=params.page,
                per_page=params.per_page,
                highlight=("title", "description"),
            ),
        )
        main.append(time.perf_counter() - started)
    CPU["client main"] = (time.process_time() - client) * 1000 / len(sets)
    if dsn:
        CPU["main"] = await cpu_ms(dsn, before) / len(sets)
    return whole, main, broadest


async def batches(docs: list[dict[str, Any]], size: int = 2000) -> Any:
    for start in range(0, len(docs), size):
        yield docs[start : start + size]


async def one_size(n: int, args: argparse.Namespace) -> None:
    started = time.perf_counter()
    # A kept database is measured as it is: the URLs do not depend on the documents (2.5 min to make at 1M).
    docs = [] if args.reuse and not args.embedded else documents(n, args.seed)
    made = time.perf_counter() - started
    if args.reuse:
        dsn = args.reuse
    else:
        name = f"fm_bench_search_{secrets.token_hex(4)}"
        admin = await asyncpg.connect(args.admin_dsn)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        dsn = args.admin_dsn.rsplit("/", 1)[0] + "/" + name
    backend = create_backend(directory=Path(tempfile.mkdtemp()), database_url=dsn, prefix="bench")
    sets = urls(args.urls, args.seed)
    try:
        await backend.ensure_index("offers")
        if args.reuse:
            # The kept database's own size (--sizes only picks the documents made for the URLs' words).
            n = await backend.count("offers")
        print(f"\n{n:,} offers ({made:.1f} s to make the documents)")
        if not args.reuse:
            started = time.perf_counter()
            count = await backend.rebuild("offers", batches(docs))
            load = time.perf_counter() - started
            print(f"  load (rebuild) {count:,} documents in {load:.1f} s: {count / load:,.0f} documents/s")
        conn = await asyncpg.connect(dsn)
        size = await conn.fetchval("SELECT pg_size_pretty(pg_total_relation_size('search_bench_offers'))")
        await conn.close()
        print(f"  table {size}; load average before searching: {os.getloadavg()}")
        if not args.no_warm:
            # What a worker's startup does before it answers anyone (app.main's warm_index).
            started, cpu = time.perf_counter(), time.process_time()
            await warm_search_index(backend)
            print(
                f"  the startup warm (warm_search_index): {time.perf_counter() - started:.1f} s,"
                f" this process's CPU {time.process_time() - cpu:.1f} s"
            )
        whole, main, broadest = await time_urls(backend, sets, dsn)
        print(f"  {len(sets)} distinct URLs, each once (broadest: {broadest:,} hits); load average {os.getloadavg()}")
        over = sum(t > 0.150 for t in whole)
        print(f"  URLs over 150 ms: {over} of {len(sets)} (p95 under 150 ms allows {len(sets) // 20})")
        slowest = sorted(range(len(sets)), key=lambda i: -whole[i])[: args.slowest]
        for i in slowest:
            print(f"    {whole[i] * 1000:8.1f} ms  {sets[i]}")
        print(
            figures("PostgreSQL, search_offers (the API's work)", whole)
            + f"   server CPU {CPU['search_offers']:.1f} ms   client CPU {CPU['client search_offers']:.1f} ms"
        )
        print(
            figures("PostgreSQL, main query alone", main)
            + f"   server CPU {CPU['main']:.1f} ms   client CPU {CPU['client main']:.1f} ms"
        )
        again, _, _ = await time_urls(backend, sets, dsn)
        print(
            figures("PostgreSQL, same URLs again (warm buffers)", again)
            + f"   server CPU {CPU['search_offers']:.1f} ms   client CPU {CPU['client search_offers']:.1f} ms"
        )
        if args.embedded:
            embedded = create_backend(directory=Path(tempfile.mkdtemp()), prefix="bench")
            await embedded.ensure_index("offers")
            started = time.perf_counter()
            await embedded.rebuild("offers", batches(docs))
            if not args.no_warm:
                await warm_search_index(embedded)
            print(f"  embedded load {time.perf_counter() - started:.1f} s; load average {os.getloadavg()}")
            whole, main, _ = await time_urls(embedded, sets)
            print(figures("embedded, search_offers (the API's work)", whole))
            print(figures("embedded, main query alone", main))
            await embedded.close()
    finally:
        await backend.close()
        if args.keep or args.reuse:
            print(f"  kept the database: {dsn}")
        else:
            admin = await asyncpg.connect(args.admin_dsn)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--urls", type=int, default=150)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--admin-dsn", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--embedded", action="store_true", help="time the embedded backend on the same documents")
    parser.add_argument("--slowest", type=int, default=10, help="list the URLs slowest in the first pass")
    parser.add_argument("--no-warm", action="store_true", help="skip the worker startup's warm before the URLs")
    parser.add_argument("--keep", action="store_true", help="keep the database (its DSN is printed; drop it after)")
    parser.add_argument("--reuse", default="", help="measure a kept database again (one size: the one it holds)")
    args = parser.parse_args()
    print(f"PostgreSQL search benchmark; cores {os.cpu_count()}; load average {os.getloadavg()}")
    for n in (int(s) for s in args.sizes.split(",")):
        asyncio.run(one_size(n, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
