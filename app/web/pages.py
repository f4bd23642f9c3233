"""Site-wide pages: home, language switch, about/help, favicon."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.params import FromPath, FromQuery
from litestar.response import File, Redirect, Template

from app.accounts.services import set_locale
from app.i18n import SUPPORTED_LOCALES
from app.offers.services import OfferFilters, browse_public_offers, count_active, public_offer_countries
from app.settings import get_settings
from app.web.forms import read_form
from app.web.middleware import LOCALE_COOKIE
from app.web.render import render
from app.web.static_assets import static_file


@get("/", include_in_schema=False, name="home")
async def home(request: Request[Any, Any, Any]) -> Template:
    """What ForestMatch is, live figures and the newest offers."""
    figures = await count_active()
    latest = (await browse_public_offers(OfferFilters(), per_page=6)).rows
    countries = await public_offer_countries()
    return render(request, "home/page.html.jinja2", {"figures": figures, "latest": latest, "countries": countries})


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


def _switch_language(code: str, target: str | None) -> Redirect:
    """Back to ``target`` (same site only) with the chosen language in the visitor cookie."""
    response = Redirect(path=safe_next(target), status_code=303)
    if code in SUPPORTED_LOCALES:
        response.set_cookie(
            LOCALE_COOKIE,
            code,
            max_age=365 * 24 * 3600,
            httponly=True,
            samesite="lax",
            secure=get_settings().secure_cookies,
        )
    return response


@get("/lang/{code:str}", include_in_schema=False, name="set_language")
async def set_language(code: FromPath[str], next: FromQuery[str | None] = None) -> Redirect:  # noqa: A002
    """The header's language links: remember the language in this browser's cookie only.

    A GET changes nothing on the server (any page or image elsewhere can make a browser send one); saving the
    account's language is the POST below, behind the CSRF check."""
    return _switch_language(code, next)


@post("/lang/{code:str}", include_in_schema=False, name="save_language")
async def save_language(request: Request[Any, Any, Any], code: FromPath[str]) -> Redirect:
    """Choose the language (account page forms): the cookie, and the account's saved language when signed in."""
    data = await read_form(request)
    user = request.scope.get("user")
    if user is not None and code in SUPPORTED_LOCALES:
        await set_locale(user, code)
    return _switch_language(code, data.get("next") or request.query_params.get("next"))


@get(
    "/favicon.ico",
    include_in_schema=False,
    name="favicon",
    cache_control=CacheControlHeader(max_age=86_400, public=True),
)
async def favicon() -> File:
    """The site's icon where browsers look for it (drawn in ``static/favicon.svg``)."""
    return File(path=static_file("favicon.ico"), media_type="image/x-icon", content_disposition_type="inline")


ROUTES = [home, about, set_language, save_language, favicon]
