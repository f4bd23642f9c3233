"""A body over a route's limit answered with that route's own page and message instead of the bare 413.

Litestar refuses the body (``RequestEntityTooLarge``) before any handler runs: on the announced Content-Length
before a byte is read, or as soon as the bytes streamed pass the limit, so no body is ever held beyond the limit.
Which middleware refuses it differs: for a form posted without JavaScript the CSRF middleware reads the form (and is
refused) before the sign-in and language middleware have run; an htmx post sends its token in a header, and the
handler's own reading is refused. Exception handlers are synchronous, and the page may need the database (whose group
is this?), so ``deferred_page`` answers with a response that builds the page when it is sent, after setting the user
and the language itself when the refusal came before their middleware.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.types import Receive, Scope, Send
from litestar.utils.scope.state import ScopeState

from app.accounts.sessions import user_for_session
from app.i18n import reset_locale, set_locale
from app.web.config import CSRF_COOKIE
from app.web.errors import http_exception_handler
from app.web.middleware import SESSION_KEY, choose_locale

#: How much of an unread body is looked at for the file's name (the form's small fields and the file part's headers
#: come first); the rest is never read.
HEAD_BYTES = 64 * 1024
_FILENAME = re.compile(rb'filename="([^"\r\n]{1,255})"')

#: Builds the page: the request (user and language set) and the file's name when the body announced it.
PageBuilder = Callable[[Request[Any, Any, Any], str | None], Awaitable[Response[Any] | None]]


async def _file_name(request: Request[Any, Any, Any], receive: Receive) -> str | None:
    """The name of the first file in a multipart body nobody has read yet (refused on its Content-Length)."""
    limit = request.route_handler.resolve_request_max_body_size()
    announced = request.content_length
    if announced is None or limit is None or announced <= limit:
        return None  # refused while streaming: part of the body is gone, what follows is no header
    head = b""
    while len(head) < HEAD_BYTES:
        message = await receive()
        if message["type"] != "http.request":
            break
        head += message.get("body", b"")[: HEAD_BYTES - len(head)]
        if found := _FILENAME.search(head):
            return found.group(1).decode("utf-8", "replace").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
        if not message.get("more_body", False):
            break
    return None


async def _signed_in(request: Request[Any, Any, Any]) -> None:
    """The user, CSRF token and language as their middleware would have set them (refused before they ran)."""
    scope = request.scope
    if "user" not in scope:
        session = scope.get("session")
        key = session.get(SESSION_KEY) if isinstance(session, dict) else None
        scope["user"] = await user_for_session(key) if isinstance(key, str) else None
        scope["auth"] = "session" if scope["user"] is not None else None
    state = ScopeState.from_scope(scope)
    if not isinstance(state.csrf_token, str):  # the form on the page posts the same token as the cookie
        state.csrf_token = request.cookies.get(CSRF_COOKIE, "")


class _DeferredPage(Response[Any]):
    """A response whose page is built (with the database) when the answer is sent."""

    def __init__(self, build: PageBuilder, exc: RequestEntityTooLarge) -> None:
        super().__init__(content=b"", status_code=exc.status_code)
        self.build = build
        self.exc = exc

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> Any:  # type: ignore[override]
        async def answer(scope: Scope, receive: Receive, send: Send) -> None:
            name = await _file_name(request, receive)
            await _signed_in(request)
            token = set_locale(choose_locale(scope))
            try:
                page = await self.build(request, name)
                if page is None:  # not this user's page: the site's plain "too large" page
                    page = http_exception_handler(request, self.exc)
                asgi = page.to_asgi_response(None, request, type_encoders=kwargs.get("type_encoders"))
            finally:
                reset_locale(token)
            await asgi(scope, receive, send)

        return answer


def deferred_page(build: PageBuilder) -> Callable[[Request[Any, Any, Any], RequestEntityTooLarge], Response[Any]]:
    """An exception handler for ``RequestEntityTooLarge`` that answers with the page ``build`` returns."""

    def handler(request: Request[Any, Any, Any], exc: RequestEntityTooLarge) -> Response[Any]:
        return _DeferredPage(build, exc)

    return handler
