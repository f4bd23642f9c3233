"""The JSON API works in vocabulary keys: its choice messages name them ("Choose one of: m3, bf.").

Forms and pages name choices by their labels in the reader's language (``app.validation``); a caller of
``/api/`` sends and reads keys, so for those requests the messages name the keys it can send back.
"""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send

from app.validation import messages_name_codes


def api_channel_middleware_factory(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/api/"):
            with messages_name_codes():
                await app(scope, receive, send)
            return
        await app(scope, receive, send)

    return middleware
