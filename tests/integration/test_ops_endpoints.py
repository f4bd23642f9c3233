"""The production probes and metrics (app.ops): /healthz, /readyz, /metrics, the request id and the access log,
on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator

import pytest

from app.db import atomic
from app.events import record_change
from app.notifications.tables import EmailOutbox
from app.ops.logs import JsonFormatter
from app.settings import get_settings
from tests.factories import make_user, sign_in
from tests.server import free_port

TOKEN = "metrics-token-for-the-tests-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(name="metrics_on")
def fx_metrics_on() -> Iterator[None]:
    """FORESTMATCH_METRICS_TOKEN set for the test (settings read again), unset after."""
    os.environ["FORESTMATCH_METRICS_TOKEN"] = TOKEN
    get_settings.cache_clear()
    yield
    del os.environ["FORESTMATCH_METRICS_TOKEN"]
    get_settings.cache_clear()


def _sample(text: str, name: str, **labels: str) -> float | None:
    """The value of one series in a Prometheus text exposition (None when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? (\S+)$", line)
        if match and match.group(1) == name:
            found = ",".join(sorted((match.group(2) or "").split(","))) if match.group(2) else ""
            if found == wanted:
                return float(match.group(3))
    return None


async def test_healthz_answers_without_session_or_csrf_cookies(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["x-request-id"])
    head = await client.head("/healthz")  # uptime monitors ask with HEAD
    assert head.status_code == 200
    assert head.content == b""


async def test_readyz_is_ready_on_a_migrated_database(client) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "checks": {"database": "ok", "migrations": "ok", "search": "ok"}}
    assert "set-cookie" not in response.headers


async def test_readyz_names_a_migration_that_has_not_run(client, clean_db) -> None:
    from piccolo.apps.migrations.tables import Migration

    row = await Migration.select().where(Migration.app_name == "events").order_by(Migration.id).first()
    assert row is not None
    await Migration.delete().where(Migration.id == row["id"])
    try:
        response = await client.get("/readyz")
    finally:
        await Migration.insert(Migration(**{k: v for k, v in row.items() if k != "id"}))
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["migrations"]
    assert body["status"] == "not ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["search"] == "ok"
    assert body["checks"]["migrations"] == (
        f"1 migration(s) not applied, e.g. events {row['name']} (run forestmatch migrate)"
    )
    assert (await client.get("/readyz")).status_code == 200


async def test_readyz_fails_and_search_errors_are_counted_when_the_engine_is_down(client, metrics_on) -> None:
    """A Meilisearch backend pointed at a closed port: readiness fails on search, the error counter moves."""
    import app.worker as worker
    from app.ops.metrics import CountingBackend
    from search_index.meili import MeiliBackend

    before = (
        _sample(
            (await client.get("/metrics", headers=AUTH)).text,
            "forestmatch_search_backend_errors_total",
            backend="meilisearch",
            operation="health",
        )
        or 0.0
    )
    kept = worker._backend
    worker._backend = CountingBackend(MeiliBackend(f"http://127.0.0.1:{free_port()}", timeout_s=1))
    try:
        response = await client.get("/readyz")
    finally:
        worker._backend = kept
    assert response.status_code == 503
    body = response.json()
    assert body["failed"] == ["search"]
    assert body["checks"] == {
        "database": "ok",
        "migrations": "ok",
        "search": "the meilisearch search engine does not answer",
    }
    after = _sample(
        (await client.get("/metrics", headers=AUTH)).text,
        "forestmatch_search_backend_errors_total",
        backend="meilisearch",
        operation="health",
    )
    assert after == before + 1


async def test_probes_are_not_in_the_openapi_schema(client) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]
    assert [p for p in paths if p in ("/healthz", "/readyz", "/metrics")] == []


async def test_metrics_are_off_without_a_token(client) -> None:
    assert get_settings().metrics_token == ""
    response = await client.get("/metrics", headers=AUTH)
    assert response.status_code == 404
    assert response.json() == {"detail": "Metrics are off: set FORESTMATCH_METRICS_TOKEN."}


async def test_metrics_refuse_a_missing_or_wrong_token(client, metrics_on) -> None:
    user = await make_user("staff", email="ops-staff@example.org")
    from app.accounts import services as accounts

    api_token = await accounts.create_api_token(user, "tests")
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token-wrong-token-wrong"},
        {"Authorization": TOKEN},
        {"Authorization": f"Bearer {api_token}"},
    ):
        response = await client.get("/metrics", headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["www-authenticate"] == 'Bearer realm="metrics"'
        assert "forestmatch_" not in response.text
    # A signed-in staff member's session does not open it either.
    await sign_in(client, user)
    assert (await client.get("/metrics")).status_code == 401


async def test_metrics_count_requests_by_route_template(client, metrics_on) -> None:
    user = await make_user("producer", email="ops-metrics@example.org")
    text = (await client.get("/metrics", headers=AUTH)).text
    assert (
        text.startswith("# HELP")
        and "text/plain; version=0.0.4" in (await client.get("/metrics", headers=AUTH)).headers["content-type"]
    )
    route = {"route": "/producers/{ref}", "method": "GET", "status": "2xx"}
    missing = {"route": "/producers/{ref}", "method": "GET", "status": "4xx"}
    name = "forestmatch_http_request_duration_seconds_count"
    before, before_missing = _sample(text, name, **route) or 0.0, _sample(text, name, **missing) or 0.0
    unmatched = _sample(text, name, route="[unmatched]", method="GET", status="4xx") or 0.0
    assert (await client.get(f"/producers/{user.organization_ref}")).status_code == 200
    assert (await client.get("/producers/no-such-org")).status_code == 404
    assert (await client.get("/made/up/path/1")).status_code == 404
    assert (await client.get("/made/up/path/2")).status_code == 404
    await client.get("/healthz")
    await client.get("/readyz")
    text = (await client.get("/metrics", headers=AUTH)).text
    assert _sample(text, name, **route) == before + 1
    assert _sample(text, name, **missing) == before_missing + 1
    assert _sample(text, name, route="[unmatched]", method="GET", status="4xx") == unmatched + 2
    # No raw paths and no probes among the labels.
    assert "no-such-org" not in text and "/made/up" not in text
    # Probes that answer 2xx are not timed (a refused /metrics is: someone is trying tokens).
    for probe in ("/healthz", "/readyz", "/metrics"):
        assert _sample(text, name, route=probe, method="GET", status="2xx") is None
    bucket = _sample(text, "forestmatch_http_request_duration_seconds_bucket", le="+Inf", **route)
    assert bucket == before + 1


async def test_metrics_show_the_outbox_lag_and_the_mail_queue(client, clean_db, metrics_on) -> None:
    text = (await client.get("/metrics", headers=AUTH)).text
    for subscriber in ("search", "lots", "alerts", "mail"):
        assert _sample(text, "forestmatch_outbox_pending_events", subscriber=subscriber) == 0.0
        assert _sample(text, "forestmatch_outbox_oldest_event_age_seconds", subscriber=subscriber) == 0.0
        assert _sample(text, "forestmatch_outbox_retrying_events", subscriber=subscriber) == 0.0
    for status in ("pending", "sending", "failed"):
        assert _sample(text, "forestmatch_mail_queue", status=status) == 0.0
    async with atomic():
        await record_change("offer", "OF-LAG-1")
        await record_change("certificate", "CE-LAG-1")
    from app.events.tables import EventOutbox

    await EventOutbox.raw(
        "UPDATE event_outbox SET created_at = {} WHERE ref = 'OF-LAG-1'",
        __import__("datetime").datetime.now(__import__("datetime").UTC) - __import__("datetime").timedelta(minutes=5),
    )
    # The search engine refused it twice (the worker postponed it): counted as retrying.
    await EventOutbox.update({EventOutbox.attempts: 2, EventOutbox.last_error: "engine down"}).where(
        EventOutbox.ref == "CE-LAG-1"
    )
    for n, status in enumerate(("pending", "pending", "failed")):
        await EmailOutbox.insert(
            EmailOutbox(to_address="x@example.org", subject="s", body="b", message_id=f"<ops-{n}@test>", status=status)
        )
    text = (await client.get("/metrics", headers=AUTH)).text
    assert _sample(text, "forestmatch_outbox_pending_events", subscriber="search") == 2.0
    assert _sample(text, "forestmatch_outbox_pending_events", subscriber="lots") == 1.0
    assert _sample(text, "forestmatch_outbox_pending_events", subscriber="alerts") == 0.0
    lag = _sample(text, "forestmatch_outbox_oldest_event_age_seconds", subscriber="search")
    assert lag is not None and 300 <= lag < 360
    lots_lag = _sample(text, "forestmatch_outbox_oldest_event_age_seconds", subscriber="lots")
    assert lots_lag is not None and 0 <= lots_lag < 60
    assert _sample(text, "forestmatch_outbox_retrying_events", subscriber="search") == 1.0
    assert _sample(text, "forestmatch_outbox_retrying_events", subscriber="lots") == 1.0
    assert _sample(text, "forestmatch_outbox_retrying_events", subscriber="alerts") == 0.0
    assert _sample(text, "forestmatch_mail_queue", status="pending") == 2.0
    assert _sample(text, "forestmatch_mail_queue", status="sending") == 0.0
    assert _sample(text, "forestmatch_mail_queue", status="failed") == 1.0


async def test_request_id_is_the_callers_when_it_is_a_short_token(client) -> None:
    kept = await client.get("/healthz", headers={"X-Request-ID": "lb-4f2a.77:9"})
    assert kept.headers["x-request-id"] == "lb-4f2a.77:9"
    replaced = await client.get("/healthz", headers={"X-Request-ID": "<script>" + "x" * 80})
    assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])


async def test_access_log_line_has_route_status_duration_and_user_id_not_email(client, caplog) -> None:
    user = await make_user("producer", email="ops-log@example.org")
    await sign_in(client, user)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="forestmatch.access"):
        response = await client.get(f"/producers/{user.organization_ref}", headers={"X-Request-ID": "req-42"})
        await client.get("/healthz")
    assert response.status_code == 200
    records = [r for r in caplog.records if r.name == "forestmatch.access"]
    assert len(records) == 1  # the probe's 200 is not logged
    line = json.loads(JsonFormatter().format(records[0]))
    assert line["request_id"] == "req-42"
    assert line["route"] == "/producers/{ref}"
    assert line["path"] == f"/producers/{user.organization_ref}"
    assert line["method"] == "GET"
    assert line["status"] == 200
    assert line["user_id"] == user.id
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] > 0
    assert line["logger"] == "forestmatch.access" and line["level"] == "info"
    assert "ops-log@example.org" not in JsonFormatter().format(records[0])
