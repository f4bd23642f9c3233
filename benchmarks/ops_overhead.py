"""What the production observability costs: the request wrapper (request id, latency histogram, access log) per
request, and one answer of /metrics, /readyz and /healthz. Prints figures; no pass/fail.

    python benchmarks/ops_overhead.py [--requests 20000] [--scrapes 200] [--pending 5000]

1. Per request: a minimal ASGI answer called ``--requests`` times bare, then wrapped by ``app.ops.observe`` (with
   the JSON access log written to an in-memory stream, as a container writes to stdout); median and p95 of each and
   the difference.
2. Per probe: a throwaway SQLite database, migrated, with ``--pending`` unapplied outbox events and as many queued
   e-mails; ``--scrapes`` sequential GETs each of /metrics, /readyz and /healthz through Litestar's test client
   (its own cost included; the bare /healthz answer shows that floor).
Other processes share the CPU: report the load average printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _figures(label: str, samples: list[float]) -> str:
    samples = sorted(samples)
    p95 = samples[int(len(samples) * 0.95) - 1]
    return f"{label:<44} median {statistics.median(samples) * 1e6:9.1f} us   p95 {p95 * 1e6:9.1f} us"


async def per_request(count: int) -> None:
    from app.ops.logs import JsonFormatter, access_log
    from app.ops.observe import observe
    from app.settings import get_settings

    async def bare(scope, receive, send):  # type: ignore[no-untyped-def]
        scope["route_handler"] = object()
        scope["path_template"] = "/offers/{ref}"
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"<p>offer</p>", "more_body": False})

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    access_log.addHandler(handler)
    access_log.setLevel(logging.INFO)
    access_log.propagate = False
    wrapped = observe(bare, get_settings())

    async def receive():  # type: ignore[no-untyped-def]
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):  # type: ignore[no-untyped-def]
        return None

    for label, app in (("bare ASGI answer", bare), ("the same wrapped by app.ops.observe", wrapped)):
        samples = []
        for n in range(count):
            scope = {"type": "http", "method": "GET", "path": f"/offers/OF-{n}", "headers": [], "query_string": b""}
            started = time.perf_counter()
            await app(scope, receive, send)
            samples.append(time.perf_counter() - started)
        print(_figures(label, samples[count // 10 :]))
    print(f"  access-log bytes per request: {len(stream.getvalue()) / count:.0f}")


async def per_probe(scrapes: int, pending: int) -> None:
    from litestar.testing import AsyncTestClient

    from app.db import atomic, insert_rows, migrate
    from app.events.tables import EventOutbox
    from app.main import create_app
    from app.notifications.tables import EmailOutbox

    await migrate()
    async with atomic():
        for start in range(0, pending, 1000):
            rows = [
                {"subscriber": "search", "name": "offer_changed", "entity": "offer", "ref": f"OF-{n}"}
                for n in range(start, min(pending, start + 1000))
            ]
            await insert_rows(EventOutbox, rows)
            mails = [
                {"to_address": "x@example.org", "subject": "s", "body": "b", "message_id": f"<{n}@bench>"}
                for n in range(start, min(pending, start + 1000))
            ]
            await insert_rows(EmailOutbox, mails)
    token = {"Authorization": f"Bearer {os.environ['FORESTMATCH_METRICS_TOKEN']}"}
    app = create_app()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the test client's own line per request
    async with AsyncTestClient(app=app) as client:
        for path, headers in (("/healthz", {}), ("/readyz", {}), ("/metrics", token)):
            samples = []
            for _ in range(scrapes + 5):
                started = time.perf_counter()
                response = await client.get(path, headers=headers)
                samples.append(time.perf_counter() - started)
                assert response.status_code == 200, (path, response.text)
            print(_figures(f"GET {path} ({pending} events, {pending} mails)", samples[5:]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--scrapes", type=int, default=200)
    parser.add_argument("--pending", type=int, default=5000)
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="forestmatch-ops-bench-"))
    os.environ.update(
        FORESTMATCH_VAR_DIR=str(var),
        FORESTMATCH_DATABASE_URL=f"sqlite:///{var / 'bench.db'}",
        FORESTMATCH_METRICS_TOKEN="bench-metrics-token-0123456789",
        FORESTMATCH_SYNC_IN_APP="false",
    )
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    asyncio.run(per_request(args.requests))
    logging.getLogger().setLevel(logging.WARNING)
    asyncio.run(per_probe(args.scrapes, args.pending))
    print(f"load average after:  {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
