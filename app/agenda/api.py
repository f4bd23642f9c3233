"""``GET /api/v1/programs/{id}/results``: a program's indicators, targets and actuals, shaped like IATI results."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath, FromQuery
from litestar.types import ControllerRouterHandler

from app.agenda import services
from app.agenda.results import program_results, to_iati_xml
from app.agenda.schemas import ProgramResults
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


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_results]),
]
