"""The image's entrypoint run as CI can run it, without a container runtime: ``deploy/entrypoint.sh`` itself, as a
subprocess, with the environment compose.yaml gives the web and worker services (pointed at the local PostgreSQL and
a fresh database). It waits for the database, migrates it, and serves with two uvicorn workers; /readyz turns 200,
/metrics adds up both workers' requests by route, the log lines are JSON, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests import deploy_files as deploy
from tests.conftest import PG_ADMIN_DSN, _pg_available
from tests.server import free_port

pytestmark = pytest.mark.postgres

SECRETS = {"FORESTMATCH_SECRET_KEY": "entrypoint-test-secret-" + "k" * 30, "FORESTMATCH_METRICS_TOKEN": "m" * 32}
BIN = str(Path(sys.executable).parent)  # where `forestmatch` is installed (the image has it on PATH too)


def _sql(dsn: str, statement: str) -> Any:
    """Run one statement on its own connection; its first value. (The tests here are synchronous: they drive
    processes and wait on them.)"""

    async def run() -> Any:
        connection = await asyncpg.connect(dsn)
        try:
            return await connection.fetchval(statement)
        finally:
            await connection.close()

    return asyncio.run(run())


@pytest.fixture(name="fresh_db")
def fx_fresh_db() -> Iterator[str]:
    """An empty PostgreSQL database (no migrations: the entrypoint applies them), dropped after the test."""
    reason = asyncio.run(_pg_available())
    if reason and os.environ.get("FORESTMATCH_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    name = f"forestmatch_entry_{secrets.token_hex(4)}"
    _sql(PG_ADMIN_DSN, f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        _sql(PG_ADMIN_DSN, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _environment(service: str, database_url: str, tmp: Path, **overrides: str) -> dict[str, str]:
    """What compose passes to ``service``, on this machine: the local database and a scratch var folder."""
    env = deploy.service_environment(service, SECRETS)
    env.update(
        FORESTMATCH_DATABASE_URL=database_url,
        FORESTMATCH_VAR_DIR=str(tmp / "var"),
        PATH=f"{BIN}:/usr/local/bin:/usr/bin:/bin",
        HOME=str(tmp),
        LANG="C.UTF-8",
    )
    env.update(overrides)
    return env


def _start(role: str, env: dict[str, str], tmp: Path) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp / f"{role}.log"
    process = subprocess.Popen(
        [str(deploy.ENTRYPOINT), role], env=env, cwd=tmp, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    return process, log


def _stop(process: subprocess.Popen[bytes], log: Path) -> int:
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        raise AssertionError(f"did not stop on SIGTERM:\n{log.read_text()[-3000:]}") from None


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"the entrypoint exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/readyz", timeout=3).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"/readyz not 200 after {timeout}s:\n{log.read_text()[-3000:]}")


def _probe(path: str, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(deploy.PROBE), path], env={**os.environ, "PORT": str(port)}, capture_output=True, text=True
    )


def _count(metrics: str, route: str) -> float:
    series = f'forestmatch_http_request_duration_seconds_count{{method="GET",route="{route}",status="2xx"}} '
    found = [line for line in metrics.splitlines() if line.startswith(series)]
    assert len(found) == 1, metrics
    return float(found[0].split()[-1])


def test_entrypoint_web_role_migrates_serves_reports_metrics_and_stops(fresh_db: str, tmp_path: Path) -> None:
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_999999.db").write_bytes(b"left over from an earlier run")
    env = _environment(
        "web",
        fresh_db,
        tmp_path,
        PORT=str(port),
        HOST="127.0.0.1",
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
    )
    assert env["FORESTMATCH_LOG_FORMAT"] == "json" and env["FORESTMATCH_SYNC_IN_APP"] == "false"
    url = f"http://127.0.0.1:{port}"
    process, log = _start("web", env, tmp_path)
    try:
        _wait_ready(url, process, log)
        ready = _probe("/readyz", port)
        assert ready.returncode == 0, ready.stderr
        assert httpx.get(url + "/readyz").json() == {
            "status": "ready",
            "checks": {"database": "ok", "migrations": "ok", "search": "ok"},
        }
        for n in range(6):  # a new connection each: either worker may answer
            answer = httpx.get(url + "/offers", headers={"X-Request-ID": f"entry-{n}", "Connection": "close"})
            assert answer.status_code == 200
            assert answer.headers["x-request-id"] == f"entry-{n}"
        token = {"Authorization": f"Bearer {SECRETS['FORESTMATCH_METRICS_TOKEN']}"}
        assert httpx.get(url + "/metrics").status_code == 401
        for _ in range(4):  # whichever worker answers the scrape reports both workers' requests
            scrape = httpx.get(url + "/metrics", headers={**token, "Connection": "close"})
            assert scrape.status_code == 200
            assert _count(scrape.text, "/offers") == 6
            assert 'forestmatch_outbox_pending_events{subscriber="search"} 0.0' in scrape.text
            assert 'forestmatch_mail_queue{status="failed"} 0.0' in scrape.text
        files = sorted(p.name for p in metrics_dir.iterdir())
        assert "counter_999999.db" not in files  # emptied by the entrypoint before the workers started
        assert any(name.startswith("histogram_") for name in files)
    finally:
        code = _stop(process, log)
    assert code == 0, log.read_text()[-3000:]
    assert _probe("/healthz", port).returncode == 1  # nothing answers any more
    output = log.read_text()
    assert "database reachable" in output
    assert "migrations applied" in output
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    offers = [line for line in lines if line.get("logger") == "forestmatch.access" and line.get("route") == "/offers"]
    assert sorted(line["request_id"] for line in offers) == [f"entry-{n}" for n in range(6)]
    assert {(line["status"], line["method"], line["user_id"]) for line in offers} == {(200, "GET", None)}
    assert all(line["duration_ms"] > 0 for line in offers)
    assert not [line for line in lines if line.get("route") in ("/healthz", "/readyz")]  # probes are not logged
    assert any(line.get("logger", "").startswith("uvicorn") for line in lines)  # uvicorn's lines are JSON too
    assert "Traceback" not in output


def test_entrypoint_worker_role_drains_the_outbox_and_stops(fresh_db: str, tmp_path: Path) -> None:
    # Two containers migrating one fresh database at once (replicas starting together): the advisory lock lets one
    # apply the migrations while the other waits, then finds nothing left; both succeed.
    env = _environment("worker", fresh_db, tmp_path)
    migrating = [
        subprocess.Popen(
            [str(deploy.ENTRYPOINT), "migrate"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(2)
    ]
    for process in migrating:
        output, _ = process.communicate(timeout=180)
        assert process.returncode == 0, output
        assert output.splitlines()[-1] == "migrations applied"
    from app.ops.readiness import committed_migrations

    assert _sql(fresh_db, "SELECT COUNT(*) FROM migration") == len(committed_migrations())  # each once
    _sql(
        fresh_db,
        "INSERT INTO event_outbox (subscriber, name, entity, ref, payload, created_at, available_at, attempts,"
        " last_error) VALUES ('search', 'offer_changed', 'offer', 'OF-GONE', '{}', now(), now(), 0, '')",
    )
    process, log = _start("worker", _environment("worker", fresh_db, tmp_path), tmp_path)
    try:
        deadline = time.monotonic() + 60
        while _sql(fresh_db, "SELECT COUNT(*) FROM event_outbox") and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()[-3000:]
            time.sleep(0.5)
        assert _sql(fresh_db, "SELECT COUNT(*) FROM event_outbox") == 0
    finally:
        code = _stop(process, log)
    assert code == 0, log.read_text()[-3000:]


def test_entrypoint_gives_up_on_an_unreachable_database_and_refuses_unknown_roles(tmp_path: Path) -> None:
    closed = f"postgresql://forestmatch@127.0.0.1:{free_port()}/forestmatch"
    env = _environment("worker", closed, tmp_path, DB_WAIT_SECONDS="1")
    waited = subprocess.run(
        [str(deploy.ENTRYPOINT), "worker"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert waited.returncode == 1
    assert waited.stderr.startswith("database not reachable after 1 s: ")
    unknown = subprocess.run(
        [str(deploy.ENTRYPOINT), "shell"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 64
    assert unknown.stderr == "unknown role 'shell': give web, worker, migrate, reindex or cli\n"
