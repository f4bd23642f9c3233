"""``GET /api/v1/analytics/summary``: the dashboard's figures as JSON (staff only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.types import ControllerRouterHandler

from app.analytics import services
from app.analytics.controllers import read_filters
from app.analytics.schemas import Summary
from app.validation import FieldErrors
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors


@get(
    "/api/v1/analytics/summary",
    tags=["analytics"],
    summary="Shared-measurement summary",
    security=SIGNED_IN,
    responses=api_errors(401, 403),
)
async def api_summary(
    request: Request[Any, Any, Any],
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    country: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    category: FromQuery[str | None] = None,
    product_type: FromQuery[str | None] = None,
    claim: FromQuery[str | None] = None,
    legal_form: FromQuery[str | None] = None,
    program: FromQuery[str | None] = None,
) -> Summary:
    """Every indicator of the dashboard for the same filters (dates YYYY-MM-DD, inclusive; default: the last 12
    months). Money is per currency, never added across currencies; quantities are in each family's canonical
    unit (m3 for timber, kg_drc for latex); a staff correction replaces the deal figures it corrects."""
    filters, errors = await read_filters(request)
    if errors:
        raise FieldErrors(errors)
    return await services.summary(request.user, filters)


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.staff], route_handlers=[api_summary]),
]
