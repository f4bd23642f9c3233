"""``GET /api/v1/analytics/summary`` and ``/traceability``: the dashboard's figures as JSON (staff only)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromQuery
from litestar.types import ControllerRouterHandler

from app.analytics import services, trace_services
from app.analytics.controllers import read_filters
from app.analytics.schemas import Summary
from app.analytics.trace_schemas import TraceabilitySummary
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


@get(
    "/api/v1/analytics/traceability",
    tags=["analytics"],
    summary="Latex traceability in the shared measurement",
    security=SIGNED_IN,
    responses=api_errors(401, 403),
)
async def api_traceability(
    request: Request[Any, Any, Any],
    date_from: FromQuery[str | None] = None,
    date_to: FromQuery[str | None] = None,
    country: FromQuery[str | None] = None,
    region: FromQuery[str | None] = None,
    product_type: FromQuery[str | None] = None,
    claim: FromQuery[str | None] = None,
    legal_form: FromQuery[str | None] = None,
    program: FromQuery[str | None] = None,
) -> TraceabilitySummary:
    """Latex volume offered (active latex offers, open today) and traded (confirmed deals dated in the period), in kg
    of dry rubber, with the share backed by lots (traceable) and by lots that are all EUDR-ready, by producer country
    and by group behind the lots (an offer drawing on several groups counts under each); lots whose last derived
    checks hold an error; members per group. Country, region, legal form and program narrow the producer, a lot's
    holder and the group, product type and claim the offers (product type a lot's too); the period applies to deals
    only."""
    filters, errors = await read_filters(request)
    if errors:
        raise FieldErrors(errors)
    return await trace_services.summary(request.user, filters)


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.staff], route_handlers=[api_summary, api_traceability]),
]
