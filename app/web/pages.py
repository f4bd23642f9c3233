"""Site-wide pages: home, language switch, about/help."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, get
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from app.i18n import SUPPORTED_LOCALES
from app.offers.services import OfferFilters, count_active, list_public_offers
from app.settings import get_settings
from app.web.middleware import LOCALE_COOKIE
from app.web.render import render
from app.web.static_assets import static_file


@get("/", include_in_schema=False, name="home")
async def home(request: Request[Any, Any, Any]) -> Template:
    """What ForestMatch is, live figures and the newest offers."""
    figures = await count_active()
    latest, _total = await list_public_offers(OfferFilters(), per_page=6)
    return render(request, "home/page.html.jinja2", {"figures": figures, "latest": latest})


@get("/about", include_in_schema=False, name="about")
async def about(request: Request[Any, Any, Any]) -> Template:
    return render(request, "home/about.html.jinja2")


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site relative paths are followed after a redirect (no open redirects)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


@get("/lang/{code:str}", include_in_schema=False, name="set_language")
async def set_language(
    request: Request[Any, Any, Any], code: FromPath[str], next: FromQuery[str | None] = None
) -> Redirect:  # noqa: A002
    """Remember the chosen language in a cookie (and on the account when signed in)."""
    target = safe_next(next)
    response = Redirect(path=target, status_code=303)
    if code in SUPPORTED_LOCALES:
        response.set_cookie(
            LOCALE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
        )
        user = request.scope.get("user")
        if user is not None:
            from app.accounts.services import set_locale

            await set_locale(user, code)
    return response


@get(
    "/favicon.ico",
    include_in_schema=False,
    name="favicon",
    cache_control=CacheControlHeader(max_age=86_400, public=True),
)
async def favicon() -> File:
    """The site's icon where browsers look for it (drawn in ``static/favicon.svg``)."""
    return File(path=static_file("favicon.ico"), media_type="image/x-icon", content_disposition_type="inline")


ROUTES = [home, about, set_language, favicon]
