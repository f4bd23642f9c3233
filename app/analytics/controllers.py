"""Staff pages: the shared-measurement dashboard (page, htmx fragment, print layout, CSV tables) and programs."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.analytics import charts, geo, programs, reports, services, trace_reports, trace_services
from app.analytics.filters import FilterErrors, Filters, parse_filters
from app.analytics.reports import FUNNEL_LABELS
from app.analytics.schemas import Summary
from app.i18n import N_, format_number, ngettext
from app.i18n import gettext as _
from app.places import country_name
from app.validation import FieldErrors
from app.vocab import ALL_PRODUCT_TYPES, label
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

PAGE = "analytics/page.html.jinja2"
FRAGMENT = "analytics/_results.html.jinja2"


async def read_filters(request: Request[Any, Any, Any]) -> tuple[Filters, dict[str, str]]:
    """Filters from the query string, and per-field messages for the values that could not be used."""
    choices = await programs.program_choices()
    try:
        return parse_filters(request.query_params, {pid for pid, _name in choices}), {}
    except FilterErrors as exc:
        return exc.filters, exc.errors


def _other(count: int, total: float) -> tuple[str, str]:
    return ngettext("Other (%(num)d)", "Other (%(num)d)", count), format_number(total, 0)


def _charts(s: Summary) -> dict[str, Any]:
    monthly = charts.line_chart(
        [m.month for m in s.monthly],
        {"contacts": [m.contacts for m in s.monthly], "deals": [m.deals for m in s.monthly]},
    )
    # The funnel keeps its stage order, not longest first.
    funnel = charts.bar_chart(
        [(_(FUNNEL_LABELS[step.state]), step.count, format_number(step.count, 0)) for step in s.funnel],
        keep_order=True,
    )
    products = charts.bar_chart(
        [
            (label(ALL_PRODUCT_TYPES, p.product_type), p.offers, format_number(p.offers, 0))
            for p in s.by_product
            if p.offers
        ],
        other=_other,
    )
    countries = charts.bar_chart(
        [(country_name(c.country) or "—", c.deals, format_number(c.deals, 0)) for c in s.deals.by_country if c.deals],
        other=_other,
    )
    return {"monthly": monthly, "funnel": funnel, "products": products, "countries": countries}


async def _context(request: Request[Any, Any, Any]) -> tuple[dict[str, Any], int]:
    filters, errors = await read_filters(request)
    choices = await programs.program_choices()
    summary = await services.summary(request.user, filters)
    context = {
        "summary": summary,
        "filters": filters,
        "errors": errors,
        "values": {k: request.query_params.get(k, "") for k in request.query_params},
        "reports": reports.reports(summary),
        "charts": _charts(summary),
        "static_map": geo.static_map(summary.map.producers, summary.map.unmet_demand),
        "world_svg": geo.WORLD_SVG,
        "world_geojson": geo.WORLD_GEOJSON,
        "program_options": [(str(pid), name) for pid, name in choices],
        "countries": await services.organization_countries(),
        "program_value": "" if filters.program is None else str(filters.program),
        "program_name": dict(choices).get(filters.program) if filters.program is not None else None,
        "map_data": msgspec.to_builtins(summary.map),
        "query": filters.query(),
        "print_layout": request.query_params.get("print") == "1",
    }
    return context, 422 if errors else 200


@get("/staff/analytics", include_in_schema=False, name="staff_analytics")
async def dashboard(request: Request[Any, Any, Any]) -> Template:
    """The shared-measurement dashboard; an htmx filter change gets the results fragment only."""
    context, status = await _context(request)
    return render(request, PAGE, context, fragment=FRAGMENT, status_code=status)


TRACE_PAGE = "analytics/traceability.html.jinja2"
TRACE_FRAGMENT = "analytics/_traceability.html.jinja2"


@get("/staff/analytics/traceability", include_in_schema=False, name="staff_analytics_traceability")
async def traceability(request: Request[Any, Any, Any]) -> Template:
    """Latex traceability in the shared measurement; an htmx filter change gets the results fragment only."""
    filters, errors = await read_filters(request)
    choices = await programs.program_choices()
    summary = await trace_services.summary(request.user, filters)
    context = {
        "summary": summary,
        "filters": filters,
        "errors": errors,
        "reports": trace_reports.reports(summary),
        "charts": trace_reports.trace_charts(summary),
        "program_options": [(str(pid), name) for pid, name in choices],
        "countries": await services.organization_countries(),
        "program_value": "" if filters.program is None else str(filters.program),
        "program_name": dict(choices).get(filters.program) if filters.program is not None else None,
        "query": filters.query(category=""),
    }
    return render(request, TRACE_PAGE, context, fragment=TRACE_FRAGMENT, status_code=422 if errors else 200)


@get("/staff/analytics/{name:str}", include_in_schema=False)
async def table_csv(request: Request[Any, Any, Any], name: FromPath[str]) -> Response[str]:
    """One dashboard table as CSV, for the same filters as the page (``/staff/analytics/funnel.csv?...``)."""
    table = name.removesuffix(".csv")
    if not name.endswith(".csv") or (table not in reports.BUILDERS and table not in trace_reports.BUILDERS):
        raise NotFoundException()
    filters, errors = await read_filters(request)
    if errors:
        raise FieldErrors(errors)
    if table in trace_reports.BUILDERS:
        report = trace_reports.BUILDERS[table](await trace_services.summary(request.user, filters))
    else:
        report = reports.BUILDERS[table](await services.summary(request.user, filters))
    filename = f"forestmatch-{table}-{filters.date_from}-{filters.date_to}.csv"
    return Response(
        content=reports.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- programs -------------------------------------------------------------------------------------------------------
_NOTICES = {
    "created": N_("The program was created."),
    "updated": N_("The program was saved."),
    "deleted": N_("The program was deleted; the records it grouped are unchanged."),
}


@get("/staff/programs", include_in_schema=False, name="staff_programs")
async def program_list(request: Request[Any, Any, Any]) -> Template:
    """Programs and what they group."""
    done = request.query_params.get("done")
    flash = [("success", _(_NOTICES[done]))] if done in _NOTICES else []
    rows = await programs.list_programs(request.user)
    return render(request, "analytics/programs.html.jinja2", {"programs": rows, "flash": flash})


def _form(
    request: Request[Any, Any, Any], action: str, values: dict[str, Any], errors: dict[str, str], status: int = 200
) -> Template:
    context = {"action": action, "values": values, "errors": errors, "is_new": action == "/staff/programs"}
    return render(request, "analytics/program_form.html.jinja2", context, status_code=status)


@get("/staff/programs/new", include_in_schema=False)
async def program_new(request: Request[Any, Any, Any]) -> Template:
    return _form(request, "/staff/programs", programs.form_values({}), {})


@post("/staff/programs", include_in_schema=False)
async def program_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Create a program; problems come back inline with the entered values."""
    data = await read_form(request, multi=("regions",))
    if "add_place" in data or "remove_place" in data:
        return _form(request, "/staff/programs", *programs.edit_places(data))
    try:
        await programs.create_program(request.user, data)
    except FieldErrors as exc:
        return _form(request, "/staff/programs", programs.form_values(data), exc.errors, 422)
    return see_other("/staff/programs?" + urlencode({"done": "created"}))


@get("/staff/programs/{program_id:int}/edit", include_in_schema=False)
async def program_edit(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    row = await programs.get_program(request.user, program_id)
    return _form(request, f"/staff/programs/{program_id}", programs.form_values(row), {})


@post("/staff/programs/{program_id:int}", include_in_schema=False)
async def program_update(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request, multi=("regions",))
    if "add_place" in data or "remove_place" in data:
        await programs.get_program(request.user, program_id)  # a program that exists
        return _form(request, f"/staff/programs/{program_id}", *programs.edit_places(data))
    try:
        await programs.update_program(request.user, program_id, data)
    except FieldErrors as exc:
        return _form(request, f"/staff/programs/{program_id}", programs.form_values(data), exc.errors, 422)
    return see_other("/staff/programs?" + urlencode({"done": "updated"}))


@post("/staff/programs/{program_id:int}/delete", include_in_schema=False)
async def program_delete(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Redirect:
    await programs.delete_program(request.user, program_id)
    return see_other("/staff/programs?" + urlencode({"done": "deleted"}))


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.staff],
        route_handlers=[
            dashboard,
            traceability,
            table_csv,
            program_list,
            program_new,
            program_create,
            program_edit,
            program_update,
            program_delete,
        ],
    ),
]
