"""The program report's pages: ``/programs/{id}/report`` (printable) and ``/programs/{id}/report.pdf``."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from app.agenda import services as agenda_services
from app.clock import now
from app.i18n import gettext as _
from app.reports import periods
from app.reports.pdf import render_pdf
from app.reports.services import program_report, trade_rows
from app.validation import FieldErrors
from app.web import guards
from app.web.render import render


def _bad_period() -> str:
    return _("Enter a quarter as 2026-Q3 or a year as 2026.")


@get("/programs/{program_id:int}/report", include_in_schema=False, name="program_report")
async def report_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """The program's report for a period (the latest closed quarter unless ``period`` says otherwise)."""
    today = now().date()
    raw = request.query_params.get("period", "")
    period, bad = periods.parse_period(raw, today)
    if bad:
        program = await agenda_services.program_for(request.user, program_id)
        context = {
            "program": program,
            "report": None,
            "choices": periods.choices(today, period),
            "chosen": raw,
            "errors": {"period": _bad_period()},
        }
        return render(request, "reports/page.html.jinja2", context, status_code=400)
    report = await program_report(request.user, program_id, period, today)
    context = {
        "program": {"id": report.program_id, "name": report.program_name},
        "report": report,
        "trade_rows": trade_rows(report.trade),
        "choices": periods.choices(today, period),
        "chosen": period.label,
        "errors": {},
        "print_layout": request.query_params.get("print") == "1",
    }
    return render(request, "reports/page.html.jinja2", context)


@get("/programs/{program_id:int}/report.pdf", include_in_schema=False, name="program_report_pdf")
async def report_pdf(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Response[bytes]:
    """The same report as an A4 PDF download."""
    today = now().date()
    period, bad = periods.parse_period(request.query_params.get("period", ""), today)
    if bad:
        await agenda_services.program_for(request.user, program_id)  # a stranger learns nothing from the error
        raise FieldErrors({"period": _bad_period()})
    report = await program_report(request.user, program_id, period, today)
    return Response(
        content=render_pdf(report),
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{report.file_name}"'},
    )


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[report_page, report_pdf]),
]
