"""Sign-up, sign-in, account settings and organisation profile: pages and JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.accounts import password_reset, services
from app.accounts.rate_limit import LoginRateLimiter
from app.dashboard.account import account_context as _account_context
from app.validation import FieldErrors, NotFound
from app.web import guards
from app.web.forms import read_form, region_choices, stale_choices, with_other_errors
from app.web.middleware import finish_session, start_session
from app.web.pages import safe_next
from app.web.render import render, see_other

_limiter: LoginRateLimiter | None = None


def limiter() -> LoginRateLimiter:
    global _limiter
    if _limiter is None:
        _limiter = LoginRateLimiter()
    return _limiter


def _client(request: Request[Any, Any, Any]) -> str:
    return request.client.host if request.client else "unknown"


# --- pages -----------------------------------------------------------------------------------------------------
@get("/login", include_in_schema=False, name="login")
async def login_page(
    request: Request[Any, Any, Any],
    next: FromQuery[str | None] = None,  # noqa: A002
    reset: FromQuery[str | None] = None,
) -> Template:
    context = {"values": {}, "errors": {}, "next": safe_next(next, ""), "password_changed": reset == "done"}
    return render(request, "accounts/login.html.jinja2", context)


@post("/login", include_in_schema=False)
async def login_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Check credentials under the shared rate limit, then start a session."""
    data = await read_form(request)
    target = safe_next(data.get("next"), "/dashboard")
    try:
        user = await services.sign_in(data.get("email", ""), data.get("password", ""), _client(request), limiter())
    except FieldErrors as exc:
        context = {"values": {"email": data.get("email", "")}, "errors": exc.errors, "next": target}
        return render(request, "accounts/login.html.jinja2", context, status_code=422)
    await finish_session(request.session)  # a session this browser had before ends: a new one starts
    request.session.clear()
    request.set_session(await start_session(user))
    return see_other(target)


@post("/logout", include_in_schema=False)
async def logout(request: Request[Any, Any, Any]) -> Redirect:
    """End the session on the server (a copied cookie stops working everywhere), then clear the cookie."""
    await finish_session(request.session)
    request.clear_session()
    return see_other("/")


@get("/signup", include_in_schema=False, name="signup")
async def signup_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, "accounts/signup.html.jinja2", {"values": {"role": "producer"}, "errors": {}})


#: The region list follows the country (app/web/forms.py): a list drawn for another country is not saved.
PLACE_CHOICES = (region_choices("country", "region"),)
#: Sign-up does not stop for an empty region (its list was not on screen without JavaScript): the organisation
#: profile, where a new account lands, lists the country's regions.
SIGNUP_PLACE_CHOICES = (region_choices("country", "region", offer_empty=False),)


@post("/signup", include_in_schema=False)
async def signup_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Create an organisation and its first member, then sign in."""
    data = await read_form(request)
    data.setdefault("locale", request.scope.get("state", {}).get("locale", ""))
    stale = stale_choices(data, SIGNUP_PLACE_CHOICES)
    try:
        if stale:
            raise FieldErrors(stale)
        user = await services.sign_up(data)
    except FieldErrors as exc:
        values = {k: v for k, v in data.items() if k != "password"}
        return render(request, "accounts/signup.html.jinja2", {"values": values, "errors": exc.errors}, status_code=422)
    request.set_session(await start_session(user))
    return see_other("/my/organization")


@get("/account", include_in_schema=False)
async def account_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, "accounts/account.html.jinja2", await _account_context(request.user))


@post("/account/password", include_in_schema=False)
async def account_password(request: Request[Any, Any, Any]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.change_password(request.user, data)
    except FieldErrors as exc:
        context = await _account_context(request.user, errors=exc.errors)
        return render(request, "accounts/account.html.jinja2", context, status_code=422)
    return see_other("/account?saved=password")


@post("/account/tokens", include_in_schema=False)
async def account_token_create(request: Request[Any, Any, Any]) -> Template:
    """Create an API token and show it once."""
    data = await read_form(request)
    try:
        token = await services.create_api_token(request.user, data.get("name", ""))
    except FieldErrors as exc:
        context = await _account_context(request.user, errors=exc.errors)
        return render(request, "accounts/account.html.jinja2", context, status_code=422)
    return render(request, "accounts/account.html.jinja2", await _account_context(request.user, new_token=token))


@post("/account/tokens/{token_id:int}/revoke", include_in_schema=False)
async def account_token_revoke(request: Request[Any, Any, Any], token_id: FromPath[int]) -> Redirect:
    await services.revoke_api_token(request.user, token_id)
    return see_other("/account")


@get("/my/organization", include_in_schema=False)
async def organization_page(request: Request[Any, Any, Any]) -> Template:
    org = await services.get_organization_by_id(request.user.organization_id)
    return render(request, "accounts/organization.html.jinja2", {"org": org, "values": org, "errors": {}})


@post("/my/organization", include_in_schema=False)
async def organization_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Save the organisation profile (legal form, country, region, locality, map point)."""
    data = await read_form(request)
    org = await services.get_organization_by_id(request.user.organization_id)
    stale = stale_choices(data, PLACE_CHOICES)
    try:
        if stale:
            profile = {**data, "kind": org["kind"]}
            raise FieldErrors(with_other_errors(services.check_profile, profile, stale))
        await services.update_organization(request.user, org["id"], data)
    except FieldErrors as exc:
        return render(
            request,
            "accounts/organization.html.jinja2",
            {"org": org, "values": data, "errors": exc.errors},
            status_code=422,
        )
    return see_other("/my/organization?saved=1")


# --- forgotten password ----------------------------------------------------------------------------------------
FORGOT_PAGE = "accounts/password_forgot.html.jinja2"
RESET_PAGE = "accounts/password_reset.html.jinja2"


@get("/password/forgot", include_in_schema=False)
async def forgot_page(request: Request[Any, Any, Any]) -> Template:
    return render(request, FORGOT_PAGE, {"values": {}, "errors": {}, "sent": False})


@post("/password/forgot", include_in_schema=False)
async def forgot_submit(request: Request[Any, Any, Any]) -> Template:
    """Queue a reset link; the page says the same whether or not the address has an account."""
    data = await read_form(request)
    try:
        locale = request.scope.get("state", {}).get("locale", "")
        await password_reset.request_reset(data.get("email", ""), _client(request), limiter(), locale=locale)
    except FieldErrors as exc:
        context = {"values": {"email": data.get("email", "")}, "errors": exc.errors, "sent": False}
        return render(request, FORGOT_PAGE, context, status_code=422)
    return render(request, FORGOT_PAGE, {"values": {}, "errors": {}, "sent": True})


@get("/password/reset/{token:str}", include_in_schema=False)
async def reset_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
    try:
        await password_reset.check_token(token)
    except NotFound:
        return render(request, RESET_PAGE, {"expired": True, "errors": {}, "token": ""}, status_code=404)
    return render(
        request, RESET_PAGE, {"expired": False, "errors": {}, "token": token, "min_password": services.MIN_PASSWORD}
    )


@post("/password/reset/{token:str}", include_in_schema=False)
async def reset_submit(request: Request[Any, Any, Any], token: FromPath[str]) -> Template | Redirect:
    """Set the new password, spend the link, and send the user to sign in with it."""
    data = await read_form(request)
    try:
        await password_reset.reset_password(token, data)
    except FieldErrors as exc:
        context = {"expired": False, "errors": exc.errors, "token": token, "min_password": services.MIN_PASSWORD}
        return render(request, RESET_PAGE, context, status_code=422)
    except NotFound:
        return render(request, RESET_PAGE, {"expired": True, "errors": {}, "token": ""}, status_code=404)
    await finish_session(request.session)
    request.clear_session()
    return see_other("/login?reset=done")


ROUTES: list[ControllerRouterHandler] = [
    forgot_page,
    forgot_submit,
    reset_page,
    reset_submit,
    login_page,
    login_submit,
    logout,
    signup_page,
    signup_submit,
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            account_page,
            account_password,
            account_token_create,
            account_token_revoke,
            organization_page,
            organization_submit,
        ],
    ),
]
