"""The staff measurement dashboard at 100k offers and 1M match events on SQLite. Prints figures; no pass/fail.

    python benchmarks/analytics.py [--offers 100000] [--events 1000000] [--runs 30] [--keep DIR | --reuse DIR]

What it does (everything on 127.0.0.1, every wait bounded in time):

1. in a child step, builds a throwaway var dir: the demo generator's document (N offers, max(60, N // 50)
   producers, 300 buyers, 1000 requests) imported with ``import_document``, a staff account, the demo's
   backdating (offers over 18 months, requests over 9), 100 synthetic recommendations per request, then the
   demo's trade simulation (``app.demo.activity.simulate``) in batches of 20,000 conversations until at least
   ``--events`` match events exist: about half are buyers viewing recommendations, the rest the conversations'
   events, with their messages, written with ``sqlite3.executemany`` in the app's storage format, then the app's
   sampled planner statistics (``app.db.analyze_sqlite``, what a deployment's worker writes hourly);
2. starts ``forestmatch serve --workers 1 --no-access-log`` on it and signs the staff account in;
3. times ``--runs`` sequential GETs (after 3 discarded) of the dashboard page, its htmx fragment, a CSV table and
   ``/api/v1/analytics/summary``; "cold" requests change the (future) end date each time so that no computed
   summary is reused, "warm" ones repeat the same filters (the summary is reused while the data is unchanged);
   prints median and p95 per URL (target: page median under 500 ms).

Exit status: 0 after measuring (whatever the figures), 3 when the build or the server fails, 130 on Ctrl-C.
Other processes share the CPU: report the load average printed with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import platform
import random
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import FrameType
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PASSWORD = "benchmark-password-1"
STAFF_EMAIL = "staff@bench.forestmatch.org"
BATCH_CONVERSATIONS = 20_000
MATCHES_PER_REQUEST = 100
#: Share of recommendations a buyer looks at in each batch: views are the wide top of the funnel (about half of
#: all events, as in the demo), conversations and their events the narrower rest.
VIEW_SHARE = 0.75
# {k}: a different, later end date on every request, so no summary is reused ("cold"); the figures are the same.
URLS = (
    ("dashboard page, cold (last 12 months)", "/staff/analytics?date_to={future}", {}),
    ("dashboard page, warm (same filters again)", "/staff/analytics", {}),
    (
        "dashboard page, cold, country=MX&category=timber",
        "/staff/analytics?country=MX&category=timber&date_to={future}",
        {},
    ),
    (
        "htmx fragment, cold (claim filter)",
        "/staff/analytics?claim=FSC%20100%25&date_to={future}",
        {"HX-Request": "true"},
    ),
    ("CSV table (funnel), warm", "/staff/analytics/funnel.csv", {}),
    ("GET /api/v1/analytics/summary, cold", "/api/v1/analytics/summary?date_to={future}", {}),
    ("GET /api/v1/analytics/summary, warm", "/api/v1/analytics/summary", {}),
)


def _progress(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


# --- building the data set (runs in a child process pointed at the var dir) -------------------------------------
def _ts(value: dt.datetime) -> str:
    """Piccolo's SQLite storage of a timestamptz (str() of the UTC datetime)."""
    return str(value.astimezone(dt.UTC))


def _write(db: Path, table: str, rows: list[dict[str, Any]], columns: tuple[str, ...]) -> None:
    conn = sqlite3.connect(db)
    try:
        values = []
        for r in rows:
            row = []
            for c in columns:
                v = r.get(c)
                if isinstance(v, dt.datetime):
                    v = _ts(v)
                elif isinstance(v, dict):
                    v = json.dumps(v)
                row.append(v)
            values.append(row)
        marks = ", ".join("?" for _ in columns)
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        conn.commit()
    finally:
        conn.close()


async def _build(var_dir: Path, offers: int, events: int, seed: int) -> dict[str, Any]:
    from app.accounts.services import create_user
    from app.accounts.tables import Organization, User
    from app.db import analyze_sqlite, close_pool, migrate, start_pool
    from app.demo.activity import simulate
    from app.demo.activity_db import backdate
    from app.demo.generator import generate
    from app.imports.services import import_document
    from app.offers.tables import Offer
    from app.sourcing.tables import SourcingRequest

    db = var_dir / "forestmatch.db"
    out: dict[str, Any] = {}
    await start_pool()
    try:
        await migrate()
        started = time.perf_counter()
        doc = generate(seed, producers=max(60, offers // 50), buyers=300, offers=offers, requests=1000)
        _progress(f"importing {offers} offers")
        await import_document(doc)
        out["import_s"] = time.perf_counter() - started
        await create_user(email=STAFF_EMAIL, password=PASSWORD, role="staff", organization_name="Program")
        now = dt.datetime.now(dt.UTC)
        await backdate(now, seed)
        offer_rows = await Offer.select(
            Offer.id,
            Offer.organization,
            Offer.category,
            Offer.unit,
            Offer.drc_percent,
            Offer.quantity_canonical,
            Offer.price_amount,
            Offer.price_currency,
            Offer.created_at,
            Offer.organization.country.as_alias("country"),
        )
        request_rows = await SourcingRequest.select(
            SourcingRequest.id,
            SourcingRequest.organization,
            SourcingRequest.category,
            SourcingRequest.quantity_canonical,
            SourcingRequest.created_at,
        )
        _progress(f"recommendations ({MATCHES_PER_REQUEST} per request)")
        rng = random.Random(seed)
        by_category: dict[str, list[int]] = {}
        for o in offer_rows:
            by_category.setdefault(o["category"], []).append(o["id"])
        matches = []
        for r in request_rows:
            for rank, offer_id in enumerate(rng.sample(by_category[r["category"]], MATCHES_PER_REQUEST)):
                matches.append(
                    {
                        "id": len(matches) + 1,
                        "request": r["id"],
                        "offer": offer_id,
                        "score": 0.5,
                        "parts": {},
                        "rank": rank,
                        "status": "recommended",
                        "created_at": r["created_at"],
                        "updated_at": r["created_at"],
                    }
                )
        _write(
            db,
            "match",
            matches,
            ("id", "request", "offer", "score", "parts", "rank", "status", "created_at", "updated_at"),
        )
        users = await User.select(User.organization, User.id)
        actors = {u["organization"]: u["id"] for u in users}
        missing = [o["id"] for o in await Organization.select(Organization.id) if o["id"] not in actors]
        member_rows = [
            {
                "email": f"member{oid}@bench.forestmatch.org",
                "name": "",
                "password_hash": "!",
                "role": "buyer",
                "organization": oid,
                "locale": "",
                "is_active": 1,
                "created_at": now,
            }
            for oid in missing
        ]
        _write(
            db,
            "account_user",
            member_rows,
            ("email", "name", "password_hash", "role", "organization", "locale", "is_active", "created_at"),
        )
        actors = {u["organization"]: u["id"] for u in await User.select(User.organization, User.id)}
        staff = await User.select(User.id).where(User.email == STAFF_EMAIL).first()
        ids = [1, 1, 1]
        total_events = total_conversations = total_messages = batch = 0
        started = time.perf_counter()
        while total_events < events:
            activity = simulate(
                seed + batch,
                now=now,
                offers=offer_rows,
                requests=request_rows,
                matches=matches,
                actors=actors,
                staff_user=staff["id"],
                conversations=BATCH_CONVERSATIONS,
                next_ids=(ids[0], ids[1], ids[2]),
                view_share=VIEW_SHARE,
            )
            _write(
                db,
                "conversation",
                activity.conversations,
                (
                    "id",
                    "buyer_organization",
                    "producer_organization",
                    "offer",
                    "request",
                    "match",
                    "created_by",
                    "created_at",
                    "last_message_at",
                ),
            )
            _write(
                db,
                "message",
                activity.messages,
                ("id", "conversation", "sender", "sender_organization", "body", "created_at"),
            )
            _write(
                db,
                "match_event",
                activity.events,
                ("id", "match", "conversation", "state", "actor", "actor_organization", "at", "details"),
            )
            ids = [ids[0] + len(activity.conversations), ids[1] + len(activity.messages), ids[2] + len(activity.events)]
            total_events += len(activity.events)
            total_conversations += len(activity.conversations)
            total_messages += len(activity.messages)
            batch += 1
            _progress(f"simulated trade: {total_events} events, {total_conversations} conversations")
        out["simulate_s"] = time.perf_counter() - started
        analyze_sqlite(str(db))  # the statistics a deployment gets (sampled, as the app's worker writes them)
        out.update(
            offers=len(offer_rows),
            requests=len(request_rows),
            matches=len(matches),
            events=total_events,
            conversations=total_conversations,
            messages=total_messages,
        )
    finally:
        await close_pool()
    return out


def build(var_dir: Path, offers: int, events: int, seed: int) -> dict[str, Any]:
    var_dir.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(PROJECT_ROOT))
    os.chdir(var_dir)
    os.environ.update(
        {
            "FORESTMATCH_VAR_DIR": str(var_dir),
            "FORESTMATCH_SYNC_IN_APP": "false",
            "FORESTMATCH_DATABASE_URL": f"sqlite:///{var_dir / 'forestmatch.db'}",
        }
    )
    return asyncio.run(_build(var_dir, offers, events, seed))


# --- measuring ----------------------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def measure(var_dir: Path, runs: int) -> list[tuple[str, float, float, int, int]]:
    import httpx

    port = free_port()
    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var_dir), "FORESTMATCH_SYNC_IN_APP": "false"}
    env["FORESTMATCH_DATABASE_URL"] = f"sqlite:///{var_dir / 'forestmatch.db'}"
    exe = shutil.which("forestmatch") or str(Path(sys.executable).parent / "forestmatch")
    log = (var_dir / "server.log").open("wb")
    server = subprocess.Popen(
        [exe, "serve", "--host", HOST, "--port", str(port), "--workers", "1", "--no-access-log"],
        env=env,
        cwd=var_dir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    print(f"server pid {server.pid} on port {port}")
    results = []
    try:
        base = f"http://{HOST}:{port}"
        deadline = time.monotonic() + 60
        with httpx.Client(base_url=base, timeout=60, follow_redirects=False) as client:
            while True:
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError("server did not start; see server.log") from None
                    time.sleep(0.3)
            token = client.cookies.get("fm_csrf")
            signed = client.post("/login", data={"email": STAFF_EMAIL, "password": PASSWORD, "_csrf_token": token})
            if signed.status_code != 303:
                raise RuntimeError(f"sign-in failed: {signed.status_code}")
            for name, path, headers in URLS:
                times: list[float] = []
                size = status = 0
                for i in range(runs + 3):
                    future = (dt.date.today() + dt.timedelta(days=1 + len(results) * 40 + i)).isoformat()
                    started = time.perf_counter()
                    response = client.get(path.format(future=future), headers=headers)
                    elapsed = (time.perf_counter() - started) * 1000
                    status, size = response.status_code, len(response.content)
                    if i >= 3:
                        times.append(elapsed)
                results.append((name, statistics.median(times), pct(times, 95), status, size))
                _progress(f"{name}: median {results[-1][1]:.0f} ms")
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=20)
    return results


def upgrade(var_dir: Path) -> None:
    """A reused var dir gets the migrations added since it was built (e.g. new indexes), then the app's sampled
    planner statistics, as a build (and a deployment's worker) writes them."""
    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var_dir), "FORESTMATCH_SYNC_IN_APP": "false"}
    env["FORESTMATCH_DATABASE_URL"] = f"sqlite:///{var_dir / 'forestmatch.db'}"
    exe = shutil.which("forestmatch") or str(Path(sys.executable).parent / "forestmatch")
    subprocess.run([exe, "migrate"], env=env, cwd=var_dir, check=True, stdout=subprocess.DEVNULL, timeout=1800)
    from app.db import analyze_sqlite

    analyze_sqlite(str(var_dir / "forestmatch.db"))


def _interrupted(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _interrupted)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="build into this directory and keep it")
    parser.add_argument("--reuse", type=Path, help="measure a directory built earlier with --keep")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.build_only:
        print(json.dumps(build(args.keep, args.offers, args.events, args.seed)))
        return 0
    print("command:", " ".join([Path(sys.executable).name, *sys.argv]))
    print(
        f"machine: {os.cpu_count()} CPUs, {platform.python_implementation()} {platform.python_version()}, "
        f"SQLite {sqlite3.sqlite_version}; load average before: {os.getloadavg()}"
    )
    temp = None
    var_dir = args.reuse or args.keep
    if var_dir is None:
        temp = Path(tempfile.mkdtemp(prefix="fm-analytics-bench-"))
        var_dir = temp
    try:
        if not args.reuse:
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--build-only",
                    "--keep",
                    str(var_dir),
                    "--offers",
                    str(args.offers),
                    "--events",
                    str(args.events),
                    "--seed",
                    str(args.seed),
                ],
                stdout=subprocess.PIPE,
                text=True,
                check=False,
            )
            if child.returncode != 0:
                print("build failed", file=sys.stderr)
                return 3
            built = json.loads(child.stdout.strip().splitlines()[-1])
            print(
                "data set:",
                ", ".join(f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}" for k, v in built.items()),
            )
        else:
            upgrade(var_dir)
        try:
            results = measure(var_dir, args.runs)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            return 3
        print(
            f"\nload average after: {os.getloadavg()}  ({args.runs} sequential requests per URL, 3 warm-up discarded)"
        )
        print(f"{'URL':48s} {'median':>9s} {'p95':>9s} {'status':>6s} {'bytes':>9s}")
        for name, median, p95, status, size in results:
            print(f"{name:48s} {median:7.0f} ms {p95:7.0f} ms {status:6d} {size:9,d}")
        return 0
    except KeyboardInterrupt:
        return 130
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
