"""Every request timed, counted and logged: wraps the application (``Litestar.asgi_handler``) so that unmatched
paths and error answers are seen too.

- A request id: the caller's ``X-Request-ID`` when it is a short token (a proxy's), else a new one; sent back in
  ``X-Request-ID`` and carried by every log line written while the request is handled.
- ``forestmatch_http_request_duration_seconds`` by route template (``/offers/{ref:str}``, never the raw path, so
  the label set is bounded), method and status class.
- One access-log line: request id, method, route, path (no query string), status, duration, user id.
The probes (``/healthz``, ``/readyz``, ``/metrics``) are left out of both while they answer below 400: a load
balancer's checks every few seconds would drown the site's own traffic."""

from __future__ import annotations

import os
import re
import time

from litestar.datastructures import MutableScopeHeaders
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.ops.controllers import PROBE_PATHS
from app.ops.logs import REQUEST_ID, access_log
from app.ops.metrics import UNMATCHED, observe_request
from app.settings import Settings

_CALLER_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def _request_id(scope: Scope) -> str:
    for key, value in scope.get("headers", []):
        if key == b"x-request-id":
            sent = value.decode("latin-1").strip()
            if _CALLER_ID.match(sent):
                return sent
    return os.urandom(16).hex()  # as random as uuid4().hex, without building a UUID (a few % of a page's CPU)


def observe(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Wrap ``app`` with the request id, the latency histogram and the access log."""
    log_requests = settings.access_log

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        started = time.perf_counter()
        method: str = scope["method"]  # type: ignore[typeddict-item]  # an http scope (checked above)
        request_id = _request_id(scope)
        token = REQUEST_ID.set(request_id)
        status = 500  # what the client gets if the application fails before it answers

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                MutableScopeHeaders.from_message(message)["X-Request-ID"] = request_id
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            elapsed = time.perf_counter() - started
            path = scope["path"]
            if not (path in PROBE_PATHS and status < 400):
                # Litestar sets the template once a route matched; a 404 or 405 from routing has none.
                route = (scope.get("path_template") if scope.get("route_handler") else None) or UNMATCHED
                observe_request(route, method, status, elapsed)
                if log_requests:
                    user = scope.get("user")
                    access_log.info(
                        "%s %s %d %.1f ms",
                        method,
                        path,
                        status,
                        elapsed * 1000,
                        extra={
                            "request_id": request_id,
                            "method": method,
                            "route": route,
                            "path": path,
                            "status": status,
                            "duration_ms": round(elapsed * 1000, 2),
                            "user_id": getattr(user, "id", None),
                        },
                    )
            REQUEST_ID.reset(token)

    return handler
