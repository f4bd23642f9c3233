"""A group manager's collectors page: which collectors may find the group's members and record their deliveries
(``app.traceability.links``). Staff name the group with ``?group=REF``; anyone else gets 404 (``members.group_for``)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.traceability import links, members
from app.traceability.members import GroupScope
from app.validation import FieldErrors
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

PAGE = "traceability/collectors/list.html.jinja2"


def _url(scope: GroupScope, **params: str) -> str:
    query = {**({"group": scope.ref} if scope.staff else {}), **{k: v for k, v in params.items() if v}}
    return "/traceability/collectors" + (f"?{urlencode(query)}" if query else "")


async def _page(
    request: Request[Any, Any, Any], scope: GroupScope, values: dict[str, Any], errors: dict[str, str]
) -> Template:
    context = {
        "scope": scope,
        "group_query": scope.query(),
        "linked": await links.collectors_of(scope),
        "choices": await links.collector_choices(scope),
        "values": values,
        "errors": errors,
        "action": _url(scope),
    }
    return render(request, PAGE, context, status_code=422 if errors else 200)


@get("/traceability/collectors", name="trace_collectors")
async def collectors_page(request: Request[Any, Any, Any]) -> Template:
    """The collectors the group linked, and a form to link one more."""
    scope = await members.group_for(request.user, request.query_params.get("group"))
    return await _page(request, scope, {}, {})


@post("/traceability/collectors")
async def collectors_add(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Link a collector (typed as its ref or picked from the list)."""
    scope = await members.group_for(request.user, request.query_params.get("group"))
    data = await read_form(request)
    try:
        await links.add_link(scope, request.user, str(data.get("collector") or ""))
    except FieldErrors as exc:
        return await _page(request, scope, data, exc.errors)
    return see_other(_url(scope, added="1"))


@post("/traceability/collectors/{ref:str}/remove")
async def collectors_remove(request: Request[Any, Any, Any], ref: FromPath[str]) -> Redirect:
    """Unlink a collector: it no longer finds the group's members (deliveries it recorded stay its own)."""
    scope = await members.group_for(request.user, request.query_params.get("group"))
    removed = await links.remove_link(scope, ref)
    return see_other(_url(scope, removed="1" if removed else ""))


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[collectors_page, collectors_add, collectors_remove],
        include_in_schema=False,
    ),
]
