"""Does "send me a link" answer as fast for a registered address as for an unknown one? Prints both medians.

Not a test (nothing passes or fails on speed). Builds a throwaway SQLite database with a few accounts, serves the
real app with ``forestmatch serve`` on a free loopback port, and sends ``POST /password/forgot`` for registered
and unknown addresses in alternation (each address used once, from its own client address as far as the limit
is concerned: the limits are raised for the run). Prints the median, p10 and p90 of each kind and the difference
of the medians.

    .venv/bin/python benchmarks/password_reset_timing.py --requests 400
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.server import AppServer  # noqa: E402


def _prepare(var_dir: Path, accounts: int) -> str:
    """Migrate a fresh SQLite file and create ``accounts`` producers; returns the database URL."""
    url = f"sqlite:///{var_dir / 'bench.db'}"
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": url, "FORESTMATCH_VAR_DIR": str(var_dir)}
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], env=env, check=True, capture_output=True)
    for i in range(accounts):
        command = ["createuser", "--email", f"known-{i}@example.org", "--role", "producer"]
        command += ["--password", "a long enough password"]
        subprocess.run([sys.executable, "-m", "app.cli", *command], env=env, check=True, capture_output=True)
    return url


async def _measure(base: str, requests: int, accounts: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"registered": [], "unknown": []}
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        page = await client.get("/password/forgot")
        token = client.cookies.get("fm_csrf") or ""
        assert page.status_code == 200 and token
        for _ in range(10):  # warm-up, not counted
            await client.post("/password/forgot", data={"email": "warm-up@example.org", "_csrf_token": token})
        for i in range(requests):
            kind = "registered" if i % 2 == 0 else "unknown"
            email = f"known-{(i // 2) % accounts}@example.org" if kind == "registered" else f"nobody-{i}@example.org"
            start = time.perf_counter()
            response = await client.post("/password/forgot", data={"email": email, "_csrf_token": token})
            elapsed = (time.perf_counter() - start) * 1000
            if response.status_code != 200 or not re.search(r'data-testid="notice-reset-sent"', response.text):
                raise SystemExit(f"unexpected answer {response.status_code} for {email}")
            times[kind].append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400, help="requests in all, half of each kind")
    parser.add_argument("--accounts", type=int, default=20, help="registered accounts to ask for")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="fm-reset-bench-") as tmp:
        var_dir = Path(tmp)
        url = _prepare(var_dir, args.accounts)
        env = {
            "FORESTMATCH_LOGIN_MAX_ATTEMPTS": str(args.requests * 2),
            "FORESTMATCH_LOGIN_MAX_ATTEMPTS_PER_ADDRESS": str(args.requests * 4),
            "FORESTMATCH_SYNC_IN_APP": "false",  # the worker's mail step would compete for the CPU
        }
        with AppServer(url, var_dir, extra_env=env) as server:
            times = asyncio.run(_measure(server.url, args.requests, args.accounts))
    print(f"POST /password/forgot, {args.requests} requests alternating, SQLite, one worker, {os.cpu_count()} CPUs")
    for kind, values in times.items():
        deciles = statistics.quantiles(values, n=10)
        print(
            f"  {kind:>10}: median {statistics.median(values):6.2f} ms   "
            f"p10 {deciles[0]:6.2f} ms   p90 {deciles[-1]:6.2f} ms   (n={len(values)})"
        )
    difference = statistics.median(times["registered"]) - statistics.median(times["unknown"])
    print(f"  median difference (registered - unknown): {difference:+.2f} ms")


if __name__ == "__main__":
    main()
