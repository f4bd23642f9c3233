"""Traceability pages: the hub that leads each organisation to the parts it uses."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from app.traceability.roles import roles_of
from app.web import guards
from app.web.render import render


@get("/traceability", include_in_schema=False, name="traceability_hub")
async def hub(request: Request[Any, Any, Any]) -> Template:
    """Links to members and plots (groups), deliveries and lots (collectors), and the claims of confirmed deals."""
    return render(request, "traceability/hub.html.jinja2", {"roles": await roles_of(request.user)})


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[hub]),
]
