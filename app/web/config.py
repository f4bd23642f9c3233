"""Framework configuration objects (templates, htmx, CSRF, sessions, static files, OpenAPI, compression)."""

from __future__ import annotations

import hashlib
import weakref

from jinja2 import Environment, meta
from litestar import Litestar
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.middleware import DefineMiddleware
from litestar.middleware.session.client_side import CookieBackendConfig
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.htmx import HTMXPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig
from litestar.types import ControllerRouterHandler

from app.settings import PROJECT_ROOT, Settings
from app.web.api_docs import LocalSwaggerUI
from app.web.middleware import TokenAwareCSRFMiddleware, VisitorSessionMiddleware
from app.web.render import template_globals
from app.web.static_assets import STATIC_DIR, static_prefix

TEMPLATE_DIR = PROJECT_ROOT / "templates"
#: Paths served without sessions, CSRF cookies or a signed-in user: files that are the same for everyone, and the
#: probes and metrics (``app.ops``), whose callers are machines (a Bearer token there is the metrics token, not an
#: API token).
NO_SESSION_PATHS = ["^/static/", "^/favicon.ico$", "^/healthz$", "^/readyz$", "^/metrics$"]


def _derive(secret: str, purpose: str, size: int = 32) -> bytes:
    """Separate keys for sessions and CSRF from the one configured secret."""
    return hashlib.sha256(f"{purpose}:{secret}".encode()).digest()[:size]


def template_config() -> TemplateConfig[JinjaTemplateEngine]:
    def configure(engine: JinjaTemplateEngine) -> None:
        engine.engine.globals.update(template_globals())
        engine.engine.trim_blocks = True
        # Templates ship with the release; checking the files for changes on every render costs ~3 %.
        engine.engine.auto_reload = False
        engine.engine.lstrip_blocks = True

    return TemplateConfig(directory=TEMPLATE_DIR, engine=JinjaTemplateEngine, engine_callback=configure)


#: The public pages' templates, compiled when a worker starts: compiling them (with the base layout and the macros
#: they import) takes 0.1-0.2 s, which the first visitor of each page waited for.
PUBLIC_TEMPLATES = (
    "offers/page.html.jinja2",
    "offers/_results.html.jinja2",
    "offers/detail.html.jinja2",
    "home/page.html.jinja2",
    "search/page.html.jinja2",
    "search/_results.html.jinja2",
)


_COMPILED: weakref.WeakSet[Environment] = weakref.WeakSet()


def compile_public_templates(app: Litestar) -> None:
    """Compile ``PUBLIC_TEMPLATES`` and every template they extend, include or import into Jinja's cache."""
    engine = app.template_engine
    if not isinstance(engine, JinjaTemplateEngine) or engine.engine.loader is None:
        return
    env = engine.engine
    if env in _COMPILED:  # an app started again (tests): already in the cache
        return
    loader = env.loader  # not None: checked above
    pending, seen = list(PUBLIC_TEMPLATES), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        env.get_template(name)
        source = loader.get_source(env, name)[0]  # type: ignore[union-attr]
        pending.extend(n for n in meta.find_referenced_templates(env.parse(source)) if n)
    _COMPILED.add(env)


def session_config(settings: Settings) -> CookieBackendConfig:
    """Signed, encrypted client-side sessions: nothing kept per process, so any worker serves any request."""
    return CookieBackendConfig(
        secret=_derive(settings.secret_key, "session"),
        key="fm_session",
        max_age=14 * 24 * 3600,
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
        exclude=NO_SESSION_PATHS,
    )


def session_middleware(settings: Settings) -> DefineMiddleware:
    """The session middleware over ``session_config``'s backend (visitors without a session cookie pass cheaply)."""
    config = session_config(settings)
    return DefineMiddleware(VisitorSessionMiddleware, backend=config._backend_class(config=config))


#: The CSRF cookie; a form posts the same token (``csrf_token()`` in templates).
CSRF_COOKIE = "fm_csrf"


def csrf_middleware(settings: Settings) -> DefineMiddleware:
    config = CSRFConfig(
        secret=_derive(settings.secret_key, "csrf").hex(),
        cookie_name=CSRF_COOKIE,
        cookie_secure=settings.secure_cookies,
        cookie_samesite="lax",
        cookie_httponly=True,
        header_name="x-csrftoken",
        exclude=NO_SESSION_PATHS,
    )
    return DefineMiddleware(TokenAwareCSRFMiddleware, config=config)


def static_router() -> ControllerRouterHandler:
    return create_static_files_router(
        path=static_prefix(),
        directories=[STATIC_DIR],
        cache_control=CacheControlHeader(max_age=31_536_000, public=True),
        include_in_schema=False,
    )


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="ForestMatch API",
        version="1.0.0",
        description="Organisations, certificates, offers, sourcing requests and bulk import (format forestmatch/1).",
        path="/schema",
        # Swagger UI from our own static files: the stock viewers load CDN scripts that the CSP blocks.
        render_plugins=[LocalSwaggerUI()],
        components=Components(
            security_schemes={
                "token": SecurityScheme(type="http", scheme="bearer", description="API token from the account page")
            }
        ),
        security=[{"token": []}],
    )


def compression_config() -> CompressionConfig:
    return CompressionConfig(backend="gzip", minimum_size=500, gzip_compress_level=6)


def htmx_plugin() -> HTMXPlugin:
    return HTMXPlugin()
