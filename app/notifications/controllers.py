"""The notification centre (page, mark read, header badge), preferences and saved searches: pages and JSON API."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Response, Template
from litestar.types import ControllerRouterHandler

from app.dashboard.account import account_context
from app.i18n import gettext as _
from app.notifications import services
from app.notifications.schemas import MarkReadIn, NotificationPageOut, UnreadOut, notification_out
from app.validation import FieldErrors
from app.web import guards
from app.web.api_support import SIGNED_IN, Page, api_errors
from app.web.forms import read_form
from app.web.render import render, see_other, wants_fragment

LIST_PAGE = "notifications/page.html.jinja2"
LIST_FRAGMENT = "notifications/_list.html.jinja2"
#: htmx event the header badge listens for, sent after every change to the reader's notifications.
CHANGED_EVENT = "fm-notifications"
TAGS = ["notifications"]
SEARCH_MULTI = ("category", "product_type", "species", "claim", "country", "region")
SEARCH_FIELDS = (*SEARCH_MULTI, "q", "verified", "min_qty", "max_qty", "near_lat", "near_lon", "within_km", "sort")


async def _list_context(request: Request[Any, Any, Any], page: int, unread_only: bool) -> dict[str, Any]:
    rows, total = await services.list_notifications(request.user, unread_only=unread_only, page=page)
    return {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // services.PAGE_SIZE)),
        "unread_only": unread_only,
        "unread": await services.unread_count(request.user),
    }


@get("/notifications", include_in_schema=False, name="notifications")
async def notifications_page(
    request: Request[Any, Any, Any], page: FromQuery[int] = 1, unread: FromQuery[str] = ""
) -> Template:
    """The reader's notifications, newest first (optionally unread only)."""
    context = await _list_context(request, max(page, 1), unread == "1")
    return render(request, LIST_PAGE, context, fragment=LIST_FRAGMENT)


async def _after_mark(request: Request[Any, Any, Any], data: dict[str, Any]) -> Template | Redirect:
    if wants_fragment(request):  # type: ignore[arg-type]
        context = await _list_context(request, 1, data.get("unread") == "1")
        return HTMXTemplate(template_name=LIST_FRAGMENT, context=context, trigger_event=CHANGED_EVENT, after="receive")
    return see_other("/notifications" + ("?unread=1" if data.get("unread") == "1" else ""))


@post("/notifications/{notification_id:int}/read", include_in_schema=False)
async def mark_one(request: Request[Any, Any, Any], notification_id: FromPath[int]) -> Template | Redirect:
    """Mark one of the reader's notifications read (another user's: 404)."""
    data = await read_form(request)
    await services.mark_read(request.user, [notification_id])
    return await _after_mark(request, data)


@post("/notifications/read-all", include_in_schema=False)
async def mark_all(request: Request[Any, Any, Any]) -> Template | Redirect:
    data = await read_form(request)
    await services.mark_read(request.user, None)
    return await _after_mark(request, data)


@get("/notifications/badge", include_in_schema=False, cache=False)
async def badge(request: Request[Any, Any, Any]) -> Template | Response[str]:
    """The header's unread count (polled by htmx); anonymous visitors get nothing and cost no query."""
    user = request.scope.get("user")
    if user is None:
        return Response("", media_type="text/html")
    count = await services.unread_count(user)
    return Template(template_name="notifications/_badge.html.jinja2", context={"unread": count})


# --- preferences and saved searches (account page) -------------------------------------------------------------
async def _account_error(request: Request[Any, Any, Any], exc: FieldErrors) -> Template:
    context = await account_context(request.user, errors=exc.errors)
    return render(request, "accounts/account.html.jinja2", context, status_code=422)


@post("/account/notifications", include_in_schema=False)
async def preferences_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Save which notifications arrive in the centre and by e-mail, and the language of e-mails."""
    data = await read_form(request)
    try:
        await services.save_preferences(request.user, data)
    except FieldErrors as exc:
        return await _account_error(request, exc)
    return see_other("/account?saved=notifications#notifications")


@post("/search/saved", include_in_schema=False)
async def saved_search_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Save the current search: new or changed offers that match it raise a notification."""
    data = await read_form(request, multi=SEARCH_MULTI)
    live = {k: v for k, v in data.items() if k in SEARCH_FIELDS and v not in ("", [])}
    if live:  # htmx sent the search form's current fields: they win over the (possibly older) hidden query
        data["query"] = urlencode([(k, i) for k, v in live.items() for i in (v if isinstance(v, list) else [v])])
    query = services.normalized_query(data.get("query", ""))
    try:
        await services.save_search(request.user, data)
    except FieldErrors as exc:
        problem = "empty" if not query else "limit"
        if "query" not in exc.errors:
            return await _account_error(request, exc)
        return see_other(f"/search?{query}&save_error={problem}" if query else f"/search?save_error={problem}")
    return see_other(f"/search?{query}&saved=1")


@post("/account/saved-searches/{search_id:int}/delete", include_in_schema=False)
async def saved_search_delete(request: Request[Any, Any, Any], search_id: FromPath[int]) -> Redirect:
    await services.delete_saved_search(request.user, search_id)
    return see_other("/account?saved=search-deleted#saved-searches")


# --- JSON API --------------------------------------------------------------------------------------------------
@get(
    "/api/v1/notifications",
    tags=TAGS,
    summary="List my notifications",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_notifications(
    request: Request[Any, Any, Any], unread: FromQuery[bool] = False, page: Page = 1
) -> NotificationPageOut:
    """The caller's notifications, newest first, 50 a page; title and body in the caller's language."""
    rows, total = await services.list_notifications(request.user, unread_only=unread, page=page)
    return NotificationPageOut(
        items=[notification_out(r) for r in rows],
        total=total,
        unread=await services.unread_count(request.user),
        page=page,
        per_page=services.PAGE_SIZE,
    )


@post(
    "/api/v1/notifications/mark-read",
    tags=TAGS,
    summary="Mark notifications read",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
    status_code=200,
)
async def api_mark_read(request: Request[Any, Any, Any], data: JSONBody[MarkReadIn]) -> UnreadOut:
    """Mark the given notifications (or all, with ``"all": true``) read; returns the unread count left."""
    if not data.all and not data.ids:
        raise FieldErrors({"ids": _("Give the ids of your notifications to mark, or all: true.")})
    return UnreadOut(unread=await services.mark_read(request.user, None if data.all else data.ids))


ROUTES: list[ControllerRouterHandler] = [
    badge,
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            notifications_page,
            mark_one,
            mark_all,
            preferences_submit,
            saved_search_create,
            saved_search_delete,
            api_notifications,
            api_mark_read,
        ],
    ),
]
