"""``/healthz`` (liveness), ``/readyz`` (readiness) and ``/metrics`` (Prometheus).

They are for the machines around the site (container healthchecks, load balancers, Prometheus), not for API users:
left out of the OpenAPI schema, served without sessions, CSRF cookies or sign-in (``app.web.config.NO_SESSION_PATHS``)
and left out of the access log and the latency histogram while they answer 2xx (``app.ops.observe``)."""

from __future__ import annotations

import secrets

from litestar import MediaType, Request, Response, get
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_200_OK, HTTP_401_UNAUTHORIZED, HTTP_404_NOT_FOUND, HTTP_503_SERVICE_UNAVAILABLE

from app.ops import metrics
from app.ops.readiness import readiness
from app.settings import get_settings
from search_index.backend import SearchBackend

#: The probe paths (``app.ops.observe`` and ``app.web.config`` treat them apart).
PROBE_PATHS = ("/healthz", "/readyz", "/metrics")
#: Never cached by a proxy: each answer is about this instant.
NO_STORE = {"Cache-Control": "no-store"}


@get("/healthz", include_in_schema=False, sync_to_thread=False)
def healthz() -> Response[dict[str, str]]:
    """Liveness: the process answers (no database, no search engine)."""
    return Response({"status": "ok"}, headers=NO_STORE)


@get("/readyz", include_in_schema=False)
async def readyz(backend: NamedDependency[SearchBackend]) -> Response[dict[str, object]]:
    """Readiness: the database answers, its migrations are applied, the search engine answers; 503 names what failed."""
    checks = await readiness(backend)
    failed = [name for name, outcome in checks.items() if outcome != "ok"]
    body: dict[str, object] = {"status": "ready" if not failed else "not ready", "checks": checks}
    if failed:
        body["failed"] = failed
    return Response(body, status_code=HTTP_503_SERVICE_UNAVAILABLE if failed else HTTP_200_OK, headers=NO_STORE)


@get("/metrics", include_in_schema=False)
async def metrics_page(request: Request) -> Response[bytes | dict[str, str]]:
    """Prometheus text exposition, for the bearer of ``FORESTMATCH_METRICS_TOKEN`` (404 while it is unset)."""
    token = get_settings().metrics_token
    if not token:
        return Response(
            {"detail": "Metrics are off: set FORESTMATCH_METRICS_TOKEN."},
            status_code=HTTP_404_NOT_FOUND,
            headers=NO_STORE,
        )
    sent = request.headers.get("authorization", "")
    if not (sent[:7].lower() == "bearer " and secrets.compare_digest(sent[7:].strip().encode(), token.encode())):
        return Response(
            {"detail": "Send the metrics token as 'Authorization: Bearer <token>'."},
            status_code=HTTP_401_UNAUTHORIZED,
            headers={**NO_STORE, "WWW-Authenticate": 'Bearer realm="metrics"'},
        )
    return Response(
        await metrics.render(),
        media_type=MediaType.TEXT,
        headers={**NO_STORE, "Content-Type": "text/plain; version=0.0.4; charset=utf-8"},
    )


ROUTES = [healthz, readyz, metrics_page]
