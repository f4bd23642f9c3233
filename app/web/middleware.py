"""Request-scoped middleware: who is asking (session or API token), in which language, and CSRF rules."""

from __future__ import annotations

from typing import Any

from litestar._parsers import parse_cookie_string
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult
from litestar.middleware._utils import should_bypass_middleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.middleware.session.base import SessionMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState

from app.accounts.services import CurrentUser, user_for_token
from app.accounts.sessions import end_session, open_session, user_for_session
from app.i18n import negotiate, normalize_locale, reset_locale, reset_time_zone, set_locale, set_time_zone
from app.settings import Settings, get_settings
from app.vocab import COUNTRY_TIME_ZONES

LOCALE_COOKIE = "fm_lang"
#: The scope key where ``site_headers`` leaves the language it chose before any user is known.
VISITOR_LOCALE_KEY = "forestmatch.visitor_locale"
#: The session cookie holds only this: the key of an ``account_session`` row (see app.accounts.sessions).
SESSION_KEY = "sid"


async def start_session(user: CurrentUser) -> dict[str, Any]:
    """What a newly signed-in session holds (a fresh server-side session for the user)."""
    return {SESSION_KEY: await open_session(user.id)}


async def finish_session(session: dict[str, Any] | None) -> None:
    """End the session this cookie names, on every worker (signing out)."""
    key = session.get(SESSION_KEY) if isinstance(session, dict) else None
    if isinstance(key, str):
        await end_session(key)


def _header(scope: Scope, name: bytes) -> str | None:
    """One request header's value (the last one if repeated), straight from the ASGI scope."""
    found = None
    for key, value in scope.get("headers", []):
        if key == name:
            found = value.decode("latin-1")
    return found


def request_cookies(scope: Scope) -> dict[str, str]:
    """The request's cookies as Litestar reads them (``ASGIConnection.cookies``: the first Cookie header), parsed once
    per request: kept in the connection state, where ``request.cookies`` finds them."""
    state = ScopeState.from_scope(scope)
    cookies = value_or_default(state.cookies, None)
    if cookies is None:
        header = next((value for key, value in scope["headers"] if key == b"cookie"), None)
        cookies = state.cookies = parse_cookie_string(header.decode("latin-1")) if header else {}
    return cookies


def _bearer(scope: Scope) -> str | None:
    text = _header(scope, b"authorization")
    if text is not None and text[:7].lower() == "bearer ":
        return text[7:].strip()
    return None


class ForestAuthMiddleware(AbstractAuthenticationMiddleware):
    """Sets ``request.user``: from an API token when a Bearer header is sent, else from the session cookie.

    Anonymous visitors get ``None``; handlers and guards decide what needs a user.
    """

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> AuthenticationResult:
        token = _bearer(connection.scope)
        if token is not None:
            user = await user_for_token(token)
            if user is None:
                raise NotAuthorizedException("Invalid or revoked API token.")
            return AuthenticationResult(user=user, auth="token")
        session = connection.scope.get("session") or {}
        if isinstance(session, dict) and session:
            key = session.get(SESSION_KEY)
            user = await user_for_session(key) if isinstance(key, str) else None
            if user is not None:
                return AuthenticationResult(user=user, auth="session")
            session.clear()  # ended, expired, or a cookie from before server-side sessions: signed out
        return AuthenticationResult(user=None, auth=None)


class VisitorSessionMiddleware(SessionMiddleware):  # type: ignore[type-arg]
    """Litestar's session middleware, which a request without a session cookie (a visitor's) passes cheaply.

    Such a request starts with an empty session, as Litestar would load it; its answer sets the session cookie only
    when the handler filled the session (signing in), which is what Litestar's backend writes then. Without a cookie
    there is nothing to read, and nothing to clear in the answer, so the connection and cookie work are skipped."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        cookie_re = self.backend.cookie_re  # type: ignore[attr-defined]
        if any(cookie_re.fullmatch(name) for name in request_cookies(scope)):
            await super().__call__(scope, receive, send)
            return
        scope["session"] = {}
        ScopeState.from_scope(scope).session_id = None  # as the client-side backend's get_session_id answers

        async def wrapped_send(message: Message) -> None:
            if message["type"] == "http.response.start" and scope.get("session"):
                connection = ASGIConnection[Any, Any, Any, Any](scope, receive=receive, send=send)
                await self.backend.store_in_message(scope["session"], message, connection)
            await send(message)

        await self.app(scope, receive, wrapped_send)


class TokenAwareCSRFMiddleware(CSRFMiddleware):
    """CSRF for browser sessions; requests authenticated by a Bearer token carry no ambient cookie to abuse.

    A Bearer request is authenticated by its token only (never by the session), so skipping CSRF is safe.
    Safe methods (GET, HEAD, ...) only need the token: the cookie's, or a new one sent in a new cookie. That is
    done here as Litestar's middleware does it, without building a request or a cookie object for each visitor.
    """

    def __init__(self, app: ASGIApp, config: CSRFConfig) -> None:
        super().__init__(app, config)
        # The Set-Cookie header Litestar writes (``_set_cookie_if_needed``), around the token: a token is hex digits,
        # which a cookie carries unquoted, so only the value differs from one answer to the next.
        sample = "0" * 128
        header = Cookie(
            key=config.cookie_name,
            value=sample,
            path=config.cookie_path,
            secure=config.cookie_secure,
            httponly=config.cookie_httponly,
            samesite=config.cookie_samesite,
            domain=config.cookie_domain,
        ).to_header(header="")
        before, found, after = header.partition(sample)
        assert found and sample not in after, header
        self._cookie_around = (before, after)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if _bearer(scope) is not None:
            await self.app(scope, receive, send)
            return
        if scope["method"] not in self.config.safe_methods or should_bypass_middleware(
            scope=scope,
            scopes=self.scopes,
            exclude_opt_key=self.config.exclude_from_csrf_key,
            exclude_path_pattern=self.exclude,
        ):
            await super().__call__(scope, receive, send)
            return
        csrf_cookie = request_cookies(scope).get(self.config.cookie_name)
        token = ScopeState.from_scope(scope).csrf_token = csrf_cookie or generate_csrf_token(secret=self.config.secret)
        if csrf_cookie is not None:
            await self.app(scope, receive, send)
            return
        before, after = self._cookie_around
        set_cookie = f"{before}{token}{after}"

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableScopeHeaders.from_message(message).add("set-cookie", set_cookie)
            await send(message)

        await self.app(scope, receive, send_wrapper)


def choose_locale(scope: Scope) -> str:
    """Explicit cookie choice, then the user's saved language, then Accept-Language."""
    cookies = dict(
        part.strip().partition("=")[::2] for part in (_header(scope, b"cookie") or "").split(";") if "=" in part
    )
    chosen = normalize_locale(cookies.get(LOCALE_COOKIE))
    if chosen:
        return chosen
    user = scope.get("user")
    saved = normalize_locale(getattr(user, "locale", "")) if user is not None else None
    if saved:
        return saved
    return negotiate(_header(scope, b"accept-language"), default=get_settings().default_locale)


def locale_middleware_factory(app: ASGIApp) -> ASGIApp:
    """Set the translation locale for the whole request, including template rendering."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        user = scope.get("user")
        # A visitor's language is the one site_headers chose from the same cookie and header: not read again.
        locale = scope.get(VISITOR_LOCALE_KEY) if user is None else None
        if locale is None:
            locale = choose_locale(scope)
        scope.setdefault("state", {})["locale"] = locale
        token = set_locale(locale)
        country = getattr(user, "organization_country", "") if user is not None else ""
        zone_token = set_time_zone(COUNTRY_TIME_ZONES.get(country, "UTC"))
        try:
            await app(scope, receive, send)
        finally:
            reset_time_zone(zone_token)
            reset_locale(token)

    return middleware


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


#: HSTS when the site is served over HTTPS (``FORESTMATCH_SECURE_COOKIES``): a year, this host only (operators decide
#: about subdomains and preload lists themselves, at their proxy).
HSTS = "max-age=31536000"
#: Answers that are the same for every visitor and language (no Vary on language, no no-store).
_SHARED_FILES = ("/static/", "/favicon.ico")


def _vary(existing: str | None, names: tuple[str, ...]) -> str:
    """``existing`` Vary names plus ``names`` (each once, case-insensitively), as one header value."""
    tokens = [t.strip() for t in (existing or "").split(",") if t.strip()]
    for name in names:
        if name.lower() not in {t.lower() for t in tokens}:
            tokens.append(name)
    return ", ".join(tokens)


_EVERY_ANSWER = (
    (b"content-security-policy", CSP.encode("latin-1")),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
)
_HSTS = HSTS.encode("latin-1")


def _set_header(headers: list[tuple[bytes, bytes]], name: bytes, value: bytes) -> None:
    """``MutableScopeHeaders.__setitem__`` for a lower-case ``name`` (the one value in place of an existing one, else
    appended), without decoding every header's name for each header set."""
    found = [i for i, (key, _) in enumerate(headers) if key.lower() == name]
    if not found:
        headers.append((name, value))
    elif len(found) == 1:
        headers[found[0]] = (name, value)
    else:
        MutableScopeHeaders({"headers": headers})[name.decode("latin-1")] = value.decode("latin-1")  # type: ignore[typeddict-item]


def site_headers(app: ASGIApp, settings: Settings) -> ASGIApp:
    """Headers every answer gets, wrapped around the whole application (``Litestar.asgi_handler``), so that answers
    made outside routing (unmatched paths' 404 and 405, error pages) get them too:

    - Content-Security-Policy (scripts, styles and everything else from our origin only), nosniff, Referrer-Policy,
      X-Frame-Options; Strict-Transport-Security when served over HTTPS;
    - ``Cache-Control: no-store`` on answers to a signed-in user or an API token (no copy of a private page or of
      ``/api/v1/me`` in a shared or browser cache);
    - ``Vary: Accept-Language, Cookie`` on every answer but shared files: pages are in the language negotiated
      from the header, the language cookie or the account, and show who is signed in.

    The visitor's language (cookie or Accept-Language) is set here as well, so a page for an unmatched path is in
    that language; the locale middleware refines it with the account's saved language for routed requests."""
    hsts = settings.secure_cookies

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        shared = scope["path"].startswith(_SHARED_FILES)

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message).headers
                for name, value in _EVERY_ANSWER:
                    _set_header(headers, name, value)
                if hsts:
                    _set_header(headers, b"strict-transport-security", _HSTS)
                if scope.get("user") is not None:
                    _set_header(headers, b"cache-control", b"no-store")
                if not shared:
                    vary = next((v.decode("latin-1") for k, v in headers if k.lower() == b"vary"), None)
                    _set_header(headers, b"vary", _vary(vary, ("Accept-Language", "Cookie")).encode("latin-1"))
            await send(message)

        locale = choose_locale(scope)  # no user yet: the visitor's choice (the locale middleware adds the account's)
        scope[VISITOR_LOCALE_KEY] = locale  # type: ignore[typeddict-unknown-key]
        token = set_locale(locale)
        try:
            await app(scope, receive, send_wrapper)
        finally:
            reset_locale(token)

    return handler


def head_as_get(app: ASGIApp) -> ASGIApp:
    """Answer HEAD wherever GET is answered (RFC 9110: the same status and headers, no body).

    Litestar routes HEAD only to handlers declared for it, so uptime monitors, link checkers and caches that ask
    with HEAD got 405 from every page. Wraps the application's router (``Litestar.asgi_handler``), which runs
    before routing: the request is handled as a GET and the body chunks are not sent."""

    async def handler(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await app(scope, receive, send)
            return

        async def send_headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await app({**scope, "method": "GET"}, receive, send_headers_only)  # type: ignore[arg-type]

    return handler
