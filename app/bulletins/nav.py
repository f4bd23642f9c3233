"""Whether the main navigation shows "Program updates": set on each signed-in page request by a small middleware.

The answer is remembered a minute per user and process (``membership.has_programs``), so most pages cost no query
and the others one indexed query; API calls and static files are left alone.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from app.bulletins.membership import has_programs

STATE_KEY = "in_programs"
_SKIP = ("/api/", "/static/", "/schema")


def program_nav_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Put ``in_programs`` in the request state for the base template's navigation."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        user = scope.get("user") if scope["type"] == "http" else None
        if user is not None and not str(scope.get("path", "")).startswith(_SKIP):
            scope.setdefault("state", {})[STATE_KEY] = await has_programs(user)
        await app(scope, receive, send)

    return middleware
