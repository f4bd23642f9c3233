"""The staff verification queue at 5,000 pending certificates: time of many distinct queue URLs. Prints figures only.

    python benchmarks/staff_queue.py [--pending 5000] [--urls 300] [--postgres postgresql://postgres@127.0.0.1/postgres]

What it does (everything on 127.0.0.1, every wait bounded in time):

1. in a throwaway var dir (SQLite), or in a new PostgreSQL database made from ``--postgres`` (an admin DSN; the
   database is dropped afterwards), a child process of this script runs the migrations and inserts, in bulk, 80
   producer organisations in six countries and ``--pending`` pending certificates (plus 2 % verified and 1 %
   rejected) with submission times, expiry dates and codes spread like a real queue, one staff account, then the
   planner statistics the app itself writes (SQLite);
2. starts ``forestmatch serve --workers 1 --no-access-log`` on it and signs in as staff through the login form;
3. builds ``--urls`` distinct queue URLs (seeded): every tab, country, expiry filter and searches for codes,
   licences and organisation names, on pages from the first to the last (the queue has no cache, so each is
   computed from the database), checks each answers 200, requests each once after ``--warmup`` discarded ones,
   and prints the median, p90, p95 and maximum, then the same for a few fixed shapes (first page, last page, a
   search, a country with an expiry filter) requested ``--repeat`` times each.

Exit status: 0 after measuring (whatever the figures), 2 when the ``forestmatch`` command is missing, 3 when the
seeding or the server fails, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import os
import platform
import random
import re
import secrets
import shlex
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

from pages import HOST, BenchError, Server, _on_sigterm, find_forestmatch, free_port

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STAFF_EMAIL = "bench-staff@example.org"
STAFF_PASSWORD = "bench-staff-password"
COUNTRIES = ("MX", "GT", "BR", "PE", "BO", "HN")
HTTP_TIMEOUT_S = 30.0
SEED_TIMEOUT_S = 900.0


# --- the child: seed the database ------------------------------------------------------------------------------
async def _seed(pending: int, seed: int) -> str:
    import datetime as dt

    from app.accounts.services import create_user
    from app.accounts.tables import Organization
    from app.certificates.tables import Certificate
    from app.db import close_pool, migrate, refresh_statistics, start_pool

    await start_pool()
    try:
        await migrate()
        rng = random.Random(seed)
        await Organization.insert(
            *[
                Organization(
                    ref=f"bench-org-{n:03d}",
                    name=f"{rng.choice(('Ejido', 'Comunidad', 'Cooperativa', 'Concesión'))} Bench {n:03d}",
                    kind="producer",
                    country=COUNTRIES[n % len(COUNTRIES)],
                    languages=["es"],
                )
                for n in range(80)
            ]
        )
        org_ids = [r["id"] for r in await Organization.select(Organization.id).order_by(Organization.id)]
        today = dt.date.today()
        now = dt.datetime.now(dt.UTC)
        total = int(pending * 1.03)
        rows = []
        for i in range(total):
            state = "pending" if i < pending else ("verified" if i < pending * 1.02 else "rejected")
            submitted = now - dt.timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
            rows.append(
                Certificate(
                    ref=f"bench-cert-{i:06d}",
                    organization=rng.choice(org_ids),
                    code=f"{rng.choice(('SCS', 'NC', 'CU', 'BV'))}-FM/COC-{100000 + i}",
                    license_code=f"FSC-C{200000 + i:06d}",
                    scope="FM/COC",
                    status="valid",
                    issued_on=today - dt.timedelta(days=1500),
                    expires_on=today + dt.timedelta(days=rng.randrange(-200, 1800)),
                    product_types=["roundwood", "sawn_timber"],
                    verification=state,
                    verified_at=None if state == "pending" else submitted + dt.timedelta(days=3),
                    submitted_at=submitted,
                    created_at=submitted,
                )
            )
        for start in range(0, len(rows), 500):
            await Certificate.insert(*rows[start : start + 500])
        await create_user(
            email=STAFF_EMAIL, password=STAFF_PASSWORD, role="staff", organization_name="ForestMatch program"
        )
        await refresh_statistics()
        return f"seeded {pending} pending of {total} certificates"
    finally:
        await close_pool()


def run_seed(pending: int, seed: int) -> int:
    sys.path.insert(0, str(PROJECT_ROOT))
    print(asyncio.run(_seed(pending, seed)))
    return 0


# --- the parent: server, sign-in, requests ---------------------------------------------------------------------
class Session:
    """Requests with the cookies a browser would keep (session and CSRF)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection(HOST, self.port, timeout=HTTP_TIMEOUT_S)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data
        finally:
            conn.close()

    def sign_in(self) -> None:
        self.request("GET", "/login")
        token = self.cookies.get("fm_csrf", "")
        form = urlencode({"email": STAFF_EMAIL, "password": STAFF_PASSWORD, "_csrf_token": token})
        status, _, _ = self.request("POST", "/login", form)
        if status != 303:
            raise BenchError(f"sign-in answered {status}")


def queue_urls(count: int, pending: int, seed: int) -> list[str]:
    """``count`` distinct queue URLs: tabs, filters, searches and pages, in a seeded random order."""
    rng = random.Random(seed)
    last_page = max(1, pending // 25)
    urls: set[str] = set()
    while len(urls) < count:
        params: dict[str, str] = {"state": rng.choices(("pending", "verified", "rejected"), (8, 1, 1))[0]}
        if rng.random() < 0.4:
            params["country"] = rng.choice(COUNTRIES)
        if rng.random() < 0.3:
            params["expiry"] = rng.choice(("expired", "30", "60", "90", "180"))
        if rng.random() < 0.25:
            params["q"] = rng.choice(
                (
                    f"COC-1{rng.randrange(0, pending // 10):04d}",
                    f"FSC-C2{rng.randrange(0, pending // 100):03d}",
                    f"bench {rng.randrange(80):03d}",
                    rng.choice(("ejido", "comunidad", "cooperativa", "concesión")),
                )
            )
        narrowed = len(params) > 1 or params["state"] != "pending"
        page = rng.choice((1, 1, 2, 3)) if narrowed else rng.randrange(1, last_page + 1)
        if page > 1:
            params["page"] = str(page)
        urls.add("/staff/certificates?" + urlencode(params))
    return sorted(urls, key=lambda _u: rng.random())


def timed(session: Session, url: str) -> float:
    started = time.perf_counter()
    status, _, body = session.request("GET", url)
    elapsed = (time.perf_counter() - started) * 1000
    if status != 200:
        raise BenchError(f"{url} answered {status}: {body[:200]!r}")
    return elapsed


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * (len(ordered) - 1))))]


def line(name: str, values: list[float]) -> str:
    return (
        f"{name:<52} {len(values):>5} {statistics.median(values):>9.1f} {pct(values, 90):>8.1f} "
        f"{pct(values, 95):>8.1f} {max(values):>8.1f}"
    )


def _load() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pending", type=int, default=5000, help="pending certificates (default 5000)")
    parser.add_argument("--urls", type=int, default=300, help="distinct queue URLs to time (default 300)")
    parser.add_argument("--warmup", type=int, default=10, help="discarded requests first (default 10)")
    parser.add_argument("--repeat", type=int, default=30, help="requests per fixed shape (default 30)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", metavar="ADMIN_DSN", help="measure on a new PostgreSQL database made here")
    parser.add_argument("--keep", action="store_true", help="keep the var dir (and the PostgreSQL database)")
    parser.add_argument("--seed-only", metavar="PENDING", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.seed_only is not None:
        return run_seed(args.seed_only, args.seed)

    forestmatch = find_forestmatch()
    if not forestmatch:
        print("the forestmatch command is not installed (pip install -e .)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _on_sigterm)
    var_dir = Path(tempfile.mkdtemp(prefix="forestmatch-queue-bench-"))
    servers: list[Server] = []
    database = None
    try:
        if args.postgres:
            database = f"forestmatch_bench_{secrets.token_hex(4)}"
            _psql(args.postgres, f'CREATE DATABASE "{database}"')
            url = args.postgres.rsplit("/", 1)[0] + "/" + database
        else:
            url = f"sqlite:///{var_dir / 'forestmatch.db'}"
        return _run(args, forestmatch, var_dir, url, servers)
    except BenchError as exc:
        print(f"\nsetup failed: {exc}", file=sys.stderr)
        return 3
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        for server in servers:
            server.stop()
        if args.keep:
            print(f"kept {var_dir}" + (f" and database {database}" if database else ""))
        else:
            import shutil

            shutil.rmtree(var_dir, ignore_errors=True)
            if database:
                _psql(args.postgres, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _psql(admin_dsn: str, statement: str) -> None:
    async def run() -> None:
        import asyncpg

        conn = await asyncpg.connect(admin_dsn)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


def _run(args: argparse.Namespace, forestmatch: list[str], var_dir: Path, url: str, servers: list[Server]) -> int:
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    print(f"machine: {os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}; load {_load()}")
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    env = {
        **os.environ,
        "FORESTMATCH_VAR_DIR": str(var_dir),
        "FORESTMATCH_DATABASE_URL": url,
        "FORESTMATCH_DEFAULT_LOCALE": "es_MX",
        "PYTHONUNBUFFERED": "1",
        "PYTHONPATH": str(PROJECT_ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    started = time.monotonic()
    seeded = subprocess.run(
        [sys.executable, __file__, "--seed-only", str(args.pending), "--seed", str(args.seed)],
        env=env,
        cwd=var_dir,
        capture_output=True,
        text=True,
        timeout=SEED_TIMEOUT_S,
        check=False,
    )
    if seeded.returncode != 0:
        raise BenchError(f"seeding failed:\n{seeded.stdout[-2000:]}\n{seeded.stderr[-4000:]}")
    print(f"{engine}: {seeded.stdout.strip()} in {time.monotonic() - started:.1f} s")

    port = free_port()
    server = Server(
        "forestmatch",
        [*forestmatch, "serve", "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log"],
        env,
        var_dir,
        port,
        "/",
    )
    servers.append(server)
    server.wait_ready()
    print(f"server pid {server.pid} on port {port}")
    session = Session(port)
    session.sign_in()
    status, _, first = session.request("GET", "/staff/certificates")
    found = re.search(rb'data-testid="count-pending">([^<]+)<', first)
    print(f"queue page: {status}, pending count shown: {found.group(1).decode() if found else '?'}")

    urls = queue_urls(args.urls + args.warmup, args.pending, args.seed)
    for url in urls[: args.warmup]:
        timed(session, url)
    distinct = [timed(session, url) for url in urls[args.warmup :]]
    last_page = max(1, args.pending // 25)
    shapes = {
        "first page, no filter": "/staff/certificates",
        f"last page ({last_page}), no filter": f"/staff/certificates?state=pending&page={last_page}",
        "search for a code": "/staff/certificates?state=pending&q=COC-1042",
        "search for an organisation name": "/staff/certificates?state=pending&q=cooperativa",
        "country and expiring within 90 days": "/staff/certificates?state=pending&country=GT&expiry=90",
    }
    fixed = {name: [timed(session, url) for _ in range(args.repeat)] for name, url in shapes.items()}

    print(f"\nms per request, one worker, sequential ({engine}, {args.pending} pending; load after: {_load()})")
    print(f"{'request':<52} {'n':>5} {'median':>9} {'p90':>8} {'p95':>8} {'max':>8}")
    print(line(f"{args.urls} distinct queue URLs, each once", distinct))
    for name, values in fixed.items():
        print(line(name, values))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
