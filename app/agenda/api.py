"""``GET /api/v1/programs/{id}/results``: a program's indicators, targets and actuals, shaped like IATI results."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.types import ControllerRouterHandler

from app.agenda import services
from app.agenda.results import program_results, to_iati_xml
from app.agenda.schemas import ProgramResults, ReportedValueIn, ReportedValueMove, ReportedValueOut
from app.clock import now
from app.i18n import gettext as _
from app.validation import FieldErrors
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors

FORMATS = ("json", "iati")


@get(
    "/api/v1/programs/{program_id:int}/results",
    tags=["programs"],
    summary="A program's results (IATI-shaped)",
    security=SIGNED_IN,
    responses=api_errors(400, 401, 404),
)
async def api_results(
    request: Request[Any, Any, Any], program_id: FromPath[int], format: FromQuery[str | None] = None
) -> ProgramResults:
    """Each indicator of the program (title, description, measure: "1" unit or "2" percentage, ascending, baseline)
    with its periods (period-start, period-end inclusive, target, actual; an actual per breakdown value carries a
    dimension name and value after the total) and whether it is on track (``on-track-rule`` says how that is
    judged). Staff and users of the program's member organisations only. ``format=iati`` answers IATI-XML
    ``<result>`` elements instead of JSON."""
    fmt = (format or "json").strip().lower()
    if fmt not in FORMATS:
        raise FieldErrors({"format": _("Choose json or iati.")})
    program = await services.program_for(request.user, program_id)
    results = await program_results(program, now().date())
    if fmt == "iati":
        # Litestar sends a Response returned by a handler as it is; the annotation documents the JSON answer.
        return Response(content=to_iati_xml(results), media_type="application/xml; charset=utf-8")  # type: ignore[return-value]
    return results


def _value_out(row: dict[str, Any]) -> ReportedValueOut:
    return ReportedValueOut(
        id=int(row["id"]),
        indicator=int(row["indicator"]),
        period=row["period"],
        period_start=row["period_start"],
        period_end=row["period_end"],
        dimension=row["dimension"],
        value=float(row["value"]),
        status=row["status"],
        comment=row["comment"],
        organization=row["organization"],
    )


@post(
    "/api/v1/indicators/{indicator_id:int}/reported-values",
    tags=["programs"],
    summary="Enter a reported value (draft)",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_value_create(
    request: Request[Any, Any, Any], indicator_id: FromPath[int], data: JSONBody[ReportedValueIn]
) -> ReportedValueOut:
    """A draft value of a reported indicator for one period (staff for now). Problems answer 400 with one message
    per field."""
    value_id = await services.create_reported_value(request.user, indicator_id, data.raw())
    return _value_out(await services.reported_value(request.user, value_id))


@post(
    "/api/v1/reported-values/{value_id:int}/status",
    tags=["programs"],
    status_code=200,
    summary="Submit, approve or return a reported value",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_value_move(
    request: Request[Any, Any, Any], value_id: FromPath[int], data: JSONBody[ReportedValueMove]
) -> ReportedValueOut:
    """``submit`` a draft or returned value, ``approve`` or ``return`` (with a ``comment`` saying what to correct) a
    submitted one (staff). Only approved values count in the program's results."""
    await services.move_reported_value(request.user, value_id, data.action or "", data.comment or "")
    return _value_out(await services.reported_value(request.user, value_id))


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_results]),
    Router(path="/", guards=[guards.staff], route_handlers=[api_value_create, api_value_move]),
]
