"""The signed-in home: what a producer or buyer should look at first; staff go to their queue."""

from __future__ import annotations

from typing import Any

from litestar import Request, get
from litestar.response import Redirect, Template

from app.accounts.services import CurrentUser
from app.agenda.membership import programs_of_organization
from app.dashboard.services import buyer_context, producer_context
from app.partners.services import partner_programs
from app.web import guards
from app.web.render import render, see_other


@get("/dashboard", include_in_schema=False, guards=[guards.signed_in], name="dashboard")
async def dashboard(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Producer: offers and certificate expiry; buyer: open sourcing requests; staff: the verification queue."""
    user: CurrentUser = request.user
    if user.is_staff:
        return see_other("/staff/certificates")
    # The programs the organisation belongs to link to their results (app/agenda).
    programs: dict[str, Any] = {"member_programs": await programs_of_organization(user.organization_id)}
    # The programs it is a partner of link to its commitments (app/partners).
    programs["partner_programs"] = await partner_programs(user.organization_id)
    if user.is_producer:
        return render(request, "dashboard/producer.html.jinja2", {**await producer_context(user), **programs})
    return render(request, "dashboard/buyer.html.jinja2", {**await buyer_context(user), **programs})


ROUTES = [dashboard]
