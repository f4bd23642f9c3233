"""Page throughput of ForestMatch next to a bare Litestar app, measured with wrk. Prints figures; no pass/fail.

    python benchmarks/pages.py [--duration 10] [--warmup 2] [--threads 2] [--connections 32]

What it does (everything on 127.0.0.1, every wait bounded in time):

1. builds a throwaway var dir with ``forestmatch demo --no-serve`` (SQLite, the 400-offer demo set);
2. starts ``forestmatch serve --workers 1 --no-access-log`` on it, and the bare reference app
   (``benchmarks/bare_app.py``, uvicorn, one worker) reading the same SQLite file;
3. runs ``wrk -t2 -c32 -d{duration}s --latency`` after a short warm-up against ``/offers``, one offer detail
   page, the bare JSON endpoint and the bare minimal page (Jinja + 20 rows through aiosqlite);
4. prints req/s, p50 and p99 per URL, the ratio of ``/offers`` to the minimal page, and the compressed
   size of a first visit to ``/`` (HTML + the stylesheets and scripts it references, Accept-Encoding: gzip).

Exit status: 0 after measuring (whatever the figures), 2 when wrk or the ``forestmatch`` command is missing,
3 when a server or the demo load fails, 130 on Ctrl-C.
"""

from __future__ import annotations

import argparse
import gzip
import http.client
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from types import FrameType

HOST = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
READY_TIMEOUT_S = 60.0
DEMO_TIMEOUT_S = 600.0
HTTP_TIMEOUT_S = 10.0
FIRST_LOAD_TARGET_KB = 60


class BenchError(Exception):
    """Setup failed (a server did not start, the demo data did not load): exit status 3."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def http_get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET to 127.0.0.1:port; the body as sent on the wire (not decompressed)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT_S)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        body = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, body
    finally:
        conn.close()


# --- servers ---------------------------------------------------------------------------------------------------
class Server:
    """A server subprocess in its own session (Ctrl-C reaches us, and we stop it), logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, port: int, ready_path: str):
        self.name, self.argv, self.port, self.ready_path = name, argv, port, ready_path
        self.log_path = cwd / f"{name}-{port}.log"
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    @property
    def pid(self) -> int:
        return self.process.pid

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, timeout: float = READY_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"{self.name} exited with status {self.process.returncode}:\n{self.log_tail()}")
            try:
                status, _, _ = http_get(self.port, self.ready_path)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise BenchError(
            f"{self.name} did not answer 200 on {self.ready_path} within {timeout:.0f}s:\n{self.log_tail()}"
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()


# --- wrk -------------------------------------------------------------------------------------------------------
@dataclass
class WrkResult:
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx_3xx: int
    socket_errors: int


_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if not match:
        raise ValueError(f"unexpected wrk latency {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Requests/sec, the 50% and 99% latency lines (needs --latency), and error counts from wrk's report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    p50 = re.search(r"^\s+50%\s+(\S+)", output, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", output, re.M)
    if not (rps and p50 and p99):
        raise ValueError(f"could not parse wrk output:\n{output}")
    total = re.search(r"^\s+(\d+) requests in", output, re.M)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        requests=int(total.group(1)) if total else 0,
        non_2xx_3xx=int(non_ok.group(1)) if non_ok else 0,
        socket_errors=sum(int(g) for g in sock.groups()) if sock else 0,
    )


def wrk_argv(wrk: str, threads: int, connections: int, duration: int, url: str) -> list[str]:
    return [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", url]


def run_wrk(argv: list[str], duration: int) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=duration + 60, stdin=subprocess.DEVNULL)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


# --- first visit size ------------------------------------------------------------------------------------------
class _AssetFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.assets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "link" and "stylesheet" in (a.get("rel") or "").split() and a.get("href"):
            self.assets.append(a["href"] or "")
        elif tag == "script" and a.get("src"):
            self.assets.append(a["src"] or "")


def first_load(port: int) -> list[tuple[str, int, int, int, str]]:
    """(path, status, bytes on the wire, bytes decoded, content-encoding) for / and what its HTML references."""
    headers = {"Accept-Encoding": "gzip", "Accept": "text/html,*/*"}
    rows = []
    status, resp_headers, body = http_get(port, "/", headers)
    encoding = resp_headers.get("content-encoding", "")
    html = gzip.decompress(body) if encoding == "gzip" else body
    rows.append(("/", status, len(body), len(html), encoding or "identity"))
    finder = _AssetFinder()
    finder.feed(html.decode("utf-8", errors="replace"))
    for ref in finder.assets:
        if not ref.startswith("/") or ref.startswith("//"):
            rows.append((ref + " (not same-origin, skipped)", 0, 0, 0, "-"))
            continue
        status, resp_headers, body = http_get(port, ref, headers)
        encoding = resp_headers.get("content-encoding", "")
        decoded = gzip.decompress(body) if encoding == "gzip" else body
        rows.append((ref, status, len(body), len(decoded), encoding or "identity"))
    return rows


# --- the run ---------------------------------------------------------------------------------------------------
def find_forestmatch() -> list[str] | None:
    beside = Path(sys.executable).parent / "forestmatch"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("forestmatch")
    return [found] if found else None


def pick_offer_ref(db_path: Path) -> list[str]:
    """Refs of publicly listed offers (newest first); the caller keeps the first that answers 200."""
    with sqlite3.connect(db_path, timeout=30) as conn:
        refs = [
            r[0]
            for r in conn.execute(
                "SELECT o.ref FROM offer o JOIN certificate c ON c.id = o.certificate "
                "JOIN organization g ON g.id = o.organization "
                "WHERE o.status = 'active' AND c.status = 'valid' AND c.expires_on >= date('now') AND g.is_active "
                "ORDER BY o.created_at DESC, o.id DESC LIMIT 20"
            )
        ]
        if not refs:
            refs = [r[0] for r in conn.execute("SELECT ref FROM offer ORDER BY id LIMIT 20")]
    return refs


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per measured wrk run (default 10)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of discarded wrk load before each run")
    parser.add_argument("--threads", type=int, default=2, help="wrk -t (default 2)")
    parser.add_argument("--connections", type=int, default=32, help="wrk -c (default 32)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary var dir (server logs, database)")
    args = parser.parse_args(argv)

    wrk = shutil.which("wrk")
    if not wrk:
        print("wrk not found on PATH (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    forestmatch = find_forestmatch()
    if not forestmatch:
        print("the forestmatch command is not installed (pip install -e .)", file=sys.stderr)
        return 2

    signal.signal(signal.SIGTERM, _on_sigterm)
    var_dir = Path(tempfile.mkdtemp(prefix="forestmatch-bench-"))
    servers: list[Server] = []
    try:
        return _run(args, wrk, forestmatch, var_dir, servers)
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
            print(f"kept {var_dir}")
        else:
            shutil.rmtree(var_dir, ignore_errors=True)


def _run(args: argparse.Namespace, wrk: str, forestmatch: list[str], var_dir: Path, servers: list[Server]) -> int:
    print("command: " + shlex.join([sys.executable, *sys.argv]))
    cpus = os.cpu_count()
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cpus
    print(
        f"machine: {cpus} CPUs ({usable} usable by this process), {platform.machine()}, "
        f"Python {platform.python_version()}; wrk and both servers share these CPUs"
    )

    env = {**os.environ, "FORESTMATCH_VAR_DIR": str(var_dir), "PYTHONUNBUFFERED": "1"}
    env.pop("FORESTMATCH_DATABASE_URL", None)
    if env.get("FORESTMATCH_DEBUG", "").strip().lower() in {"1", "true", "yes", "on"}:
        print("warning: FORESTMATCH_DEBUG is on; figures are not representative")

    # 1. demo data (cwd = var_dir, so no project .env is read)
    demo_argv = [*forestmatch, "demo", "--no-serve"]
    print(f"var dir: {var_dir}")
    print("demo data: " + shlex.join(demo_argv))
    started = time.monotonic()
    try:
        demo = subprocess.run(
            demo_argv,
            env=env,
            cwd=var_dir,
            capture_output=True,
            text=True,
            timeout=DEMO_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"forestmatch demo did not finish within {DEMO_TIMEOUT_S:.0f}s") from exc
    if demo.returncode != 0:
        raise BenchError(f"forestmatch demo failed ({demo.returncode}):\n{demo.stdout}\n{demo.stderr}")
    print(f"  {demo.stdout.strip().splitlines()[0]} ({time.monotonic() - started:.1f}s)")
    db_path = var_dir / "forestmatch.db"
    if not db_path.is_file():
        raise BenchError(f"no SQLite file at {db_path} after forestmatch demo")

    # 2./3. both servers, started together, then waited for
    app_port, bare_port = free_port(), free_port()
    while bare_port == app_port:
        bare_port = free_port()
    app_argv = [
        *forestmatch,
        "serve",
        "--host",
        HOST,
        "--port",
        str(app_port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    bare_argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "--app-dir",
        str(BENCH_DIR),
        "bare_app:app",
        "--host",
        HOST,
        "--port",
        str(bare_port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    servers.append(Server("forestmatch", app_argv, env, var_dir, app_port, "/about"))
    servers.append(Server("bare", bare_argv, {**env, "BENCH_SQLITE_PATH": str(db_path)}, var_dir, bare_port, "/json"))
    for server in servers:
        server.wait_ready()
        print(f"{server.name}: pid {server.pid}, {shlex.join(server.argv)}")

    refs = pick_offer_ref(db_path)
    detail_ref = next((r for r in refs if http_get(app_port, f"/offers/{r}")[0] == 200), refs[0] if refs else "")
    targets = [
        ("offer list /offers", app_port, "/offers"),
        (f"offer detail /offers/{detail_ref}", app_port, f"/offers/{detail_ref}"),
        ("bare JSON /json", bare_port, "/json"),
        ("bare minimal page /page", bare_port, "/page"),
    ]
    for _name, port, path in targets:
        status, _, body = http_get(port, path)
        note = "" if status == 200 else "   <-- not 200: figures below measure an error page"
        print(f"check {path}: HTTP {status}, {len(body)} bytes uncompressed{note}")

    # 4. wrk, one URL at a time, each after a warm-up
    print(
        f"wrk: {shlex.join(wrk_argv(wrk, args.threads, args.connections, args.duration, 'URL'))} "
        f"(after {args.warmup}s of the same load, discarded)"
    )
    results: dict[str, WrkResult] = {}
    for name, port, path in targets:
        url = f"http://{HOST}:{port}{path}"
        if args.warmup > 0:
            run_wrk(wrk_argv(wrk, args.threads, args.connections, args.warmup, url), args.warmup)
        for server in servers:
            if server.process.poll() is not None:
                raise BenchError(f"{server.name} died during the run:\n{server.log_tail()}")
        output = run_wrk(wrk_argv(wrk, args.threads, args.connections, args.duration, url), args.duration)
        results[name] = parse_wrk(output)
        print(f"  measured {name}")

    # 5. the table
    width = max(len(name) for name in results)
    print()
    print(f"{'name':<{width}}  {'req/s':>9}  {'p50 ms':>8}  {'p99 ms':>8}")
    print(f"{'-' * width}  {'-' * 9}  {'-' * 8}  {'-' * 8}")
    for name, r in results.items():
        print(f"{name:<{width}}  {r.requests_per_s:>9.1f}  {r.p50_ms:>8.2f}  {r.p99_ms:>8.2f}")
    for name, r in results.items():
        if r.non_2xx_3xx or r.socket_errors:
            print(
                f"note: {name}: {r.non_2xx_3xx} non-2xx/3xx responses, {r.socket_errors} socket errors "
                f"of {r.requests} requests"
            )
    ours, bare = results[targets[0][0]], results[targets[3][0]]
    if bare.requests_per_s > 0:
        print(
            f"\n/offers vs bare minimal page: {ours.requests_per_s / bare.requests_per_s:.2f}x "
            f"({ours.requests_per_s:.0f} / {bare.requests_per_s:.0f} req/s)"
        )

    # first visit to / (gzip)
    print("\nfirst load of / with Accept-Encoding: gzip (response bodies; headers not counted):")
    rows = first_load(app_port)
    total = 0
    for path, status, wire, decoded, encoding in rows:
        total += wire
        print(
            f"  {path:<60} HTTP {status}  {wire / 1024:7.1f} KB on the wire ({encoding}), "
            f"{decoded / 1024:7.1f} KB decoded"
        )
    uncompressed = [p for p, _, _, _, e in rows if e == "identity"]
    print(
        f"  total: {total / 1024:.1f} KB compressed (1 KB = 1024 bytes); target < {FIRST_LOAD_TARGET_KB} KB"
        + (f"; sent uncompressed: {', '.join(uncompressed)}" if uncompressed else "")
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
