"""CPU time per search API request in one process, without HTTP or middleware: the 400 URLs of
``browse_cold.py``'s wrk search mix (the same seed), each answered as ``api_search_offers`` answers it
(parameters parsed, ``search_offers``, the JSON body encoded), over a var dir it built.

    python benchmarks/search_api_cpu.py /tmp/forestmatch-browse-100000-XXXX             # cache off, 3 passes
    python benchmarks/search_api_cpu.py DIR --cache-entries 4096 --passes 5
    python benchmarks/search_api_cpu.py DIR --profile /tmp/search.prof                   # cProfile of the passes

The worker's startup warm (``warm_search_index``) runs first, as in the server; then one untimed pass (bitmaps,
rankings and decoded documents read, as a server has them after its first visitors); then ``--passes`` timed
passes. Prints CPU ms per request (``time.process_time``, which waiting for a core on a shared machine does not
inflate), wall ms per request and the load average, and a digest of every answer (equal digests: equal answers,
to compare two checkouts on the same data).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import hashlib
import os
import sys
import time
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))
sys.path.insert(0, str(ROOT))  # measure this checkout, not an older install

from browse_cold import database_file, search_urls, server_env  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("var", type=Path, help="a var dir built by browse_cold.py --keep")
    parser.add_argument("--seed", type=int, default=7, help="browse_cold.py's seed (its wrk mix uses seed + 3)")
    parser.add_argument("--urls", type=int, default=400)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--cache-entries", type=int, default=0, help="the backend's result cache (0: off)")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the timed passes here")
    args = parser.parse_args()
    os.environ.update(server_env(args.var))
    os.environ["FORESTMATCH_SEARCH_CACHE_ENTRIES"] = str(args.cache_entries)
    urls = search_urls(database_file(args.var), args.urls, args.seed + 3)
    return asyncio.run(run(args, urls))


async def run(args: argparse.Namespace, urls: list[str]) -> int:
    # Imported after the environment is set: the settings are read from it once.
    import msgspec

    from app.search.controllers import SearchPageOut
    from app.search.services import SearchParams, query_dict, search_offers
    from app.search.services.engine import warm_search_index
    from app.worker import get_backend

    backend = get_backend()
    started = time.process_time()
    await warm_search_index(backend)
    print(f"warm: {time.process_time() - started:.2f} s CPU")
    queries = [query_dict(parse_qsl(urlsplit(url).query)) for url in urls]

    async def answer(raw: dict[str, object]) -> bytes:
        params = SearchParams.from_query(raw)
        return msgspec.json.encode(SearchPageOut.of(await search_offers(params, backend, suggest=False)))

    started = time.process_time()
    digest = hashlib.sha256()
    for raw in queries:
        digest.update(await answer(raw))
    print(f"first pass: {(time.process_time() - started) * 1000 / len(queries):.2f} ms CPU / request")
    profile = cProfile.Profile() if args.profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profile:
        profile.enable()
    for _ in range(args.passes):
        for raw in queries:
            await answer(raw)
    if profile:
        profile.disable()
        profile.dump_stats(args.profile)
    n = args.passes * len(queries)
    cpu, wall = (time.process_time() - cpu0) * 1000 / n, (time.perf_counter() - wall0) * 1000 / n
    one, five, _ = os.getloadavg()
    print(
        f"{len(queries)} URLs x {args.passes} passes, cache entries {args.cache_entries}: {cpu:.2f} ms CPU / request, "
        f"{wall:.2f} ms wall / request (load average {one:.2f}, {five:.2f}); answers sha256 {digest.hexdigest()[:16]}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
