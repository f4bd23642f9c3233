"""The claims page (/my/claims) and its CSV download: an organisation's confirmed FSC claims for a period."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, get
from litestar.response import Response, Template

from app.clock import now
from app.messaging.services import claims
from app.validation import FieldErrors
from app.web.render import render

CLAIMS_PAGE = "messaging/claims.html.jinja2"


def _query(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """from/to (default: this year so far) and, for staff, the organisation."""
    current = now().date()
    params = request.query_params
    return {
        "from": params.get("from") or dt.date(current.year, 1, 1).isoformat(),
        "to": params.get("to") or current.isoformat(),
        "organization": params.get("organization") or "",
    }


@get("/my/claims", include_in_schema=False, name="my_claims")
async def claims_page(request: Request[Any, Any, Any]) -> Template:
    """The organisation's confirmed claims for a period, with a CSV download for its certification audit."""
    query = _query(request)
    rows: list[claims.ClaimRow] = []
    errors: dict[str, str] = {}
    period = None
    try:
        period = await claims.claims_period(request.user, query)
        rows = await claims.confirmed_claims(period)
    except FieldErrors as exc:
        errors = exc.errors
    context = {
        "rows": rows,
        "period": period,
        "values": query,
        "errors": errors,
        "side_words": claims.side_words,
        "organizations": await claims.organization_choices() if request.user.is_staff else [],
    }
    return render(request, CLAIMS_PAGE, context, status_code=422 if errors else 200)


@get("/my/claims.csv", include_in_schema=False)
async def claims_csv(request: Request[Any, Any, Any]) -> Response[str]:
    """The same claims as CSV (``/my/claims.csv?from=2026-01-01&to=2026-12-31``)."""
    period = await claims.claims_period(request.user, _query(request))
    rows = await claims.confirmed_claims(period)
    filename = f"fsc-claims-{period.organization_ref}-{period.start}-{period.end}.csv"
    return Response(
        content=claims.claims_csv(rows),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


ROUTES = [claims_page, claims_csv]
