"""Pages of a program's common agenda: the results page (staff and members) and the staff set-up pages."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response, Router, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.agenda import measures, services
from app.agenda.charts import target_chart
from app.agenda.results import ON_TRACK_RULE, program_results, to_csv
from app.agenda.schemas import IndicatorOut, ProgramResults
from app.clock import now
from app.i18n import N_, format_number
from app.i18n import gettext as _
from app.places import country_name
from app.validation import FieldErrors
from app.vocab import CATEGORIES, LEGAL_FORMS
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

_NOTICES = {
    "created": N_("The indicator was created."),
    "updated": N_("The indicator was saved."),
    "deleted": N_("The indicator was deleted with its targets and reported values."),
    "value_saved": N_("The value was saved as a draft."),
    "submitted": N_("The value was submitted for approval."),
    "approved": N_("The value was approved: it now counts in the results."),
    "returned": N_("The value was returned with your comment."),
}


def _flash(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    done = request.query_params.get("done")
    return [("success", _(_NOTICES[done]))] if done in _NOTICES else []


def _figure(value: float | None, share: bool) -> str:
    if value is None:
        return "—"
    return format_number(value, 1 if share or abs(value) < 100 else 0) + (" %" if share else "")


def _view(i: IndicatorOut) -> dict[str, Any]:
    """What the page draws for one indicator: its chart and its table rows."""
    share = i.measure == "2"
    items = []
    for p in i.period:
        target = p.target[0].value if p.target else None
        total = next((a.value for a in p.actual if not a.dimension), None)
        items.append((p.label, target, total, _figure(total, share), p.on_track))
    labels = {
        a.dimension[0].value: _value_label(a.dimension[0].name, a.dimension[0].value)
        for p in i.period
        for a in p.actual
        if a.dimension
    }
    return {
        "indicator": i,
        "chart": target_chart(items),
        "share": share,
        "labels": labels,
        "unit": measures.unit_label(i.unit),
    }


def _value_label(dimension: str, value: str) -> str:
    """A breakdown value in the reader's language (a country's name, a legal form's or family's label)."""
    if dimension == "country":
        return country_name(value) or value or "—"
    vocabulary = {"legal_form": LEGAL_FORMS, "category": CATEGORIES}.get(dimension, {})
    return _(vocabulary[value]) if value in vocabulary else (value or "—")


async def _results(request: Request[Any, Any, Any], program_id: int) -> ProgramResults:
    program = await services.program_for(request.user, program_id)
    return await program_results(program, now().date())


@get("/programs/{program_id:int}/results", include_in_schema=False, name="program_results")
async def results_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """Actual against target per period for each indicator of the program, with the on-track rule stated."""
    results = await _results(request, program_id)
    context = {
        "results": results,
        "views": [_view(i) for r in results.result for i in r.indicator],
        "rule": _(ON_TRACK_RULE),
        "print_layout": request.query_params.get("print") == "1",
        "dimension_labels": {k: _(v) for k, v in services.DISAGGREGATIONS.items()},
    }
    return render(request, "agenda/results.html.jinja2", context)


@get("/programs/{program_id:int}/results.csv", include_in_schema=False)
async def results_csv(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Response[str]:
    """The results page's table as CSV."""
    results = await _results(request, program_id)
    filename = f"forestmatch-program-{program_id}-results-{results.as_of}.csv"
    return Response(
        content=to_csv(results),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- staff set-up ---------------------------------------------------------------------------------------------------
@get("/staff/programs/{program_id:int}/agenda", include_in_schema=False, name="staff_agenda")
async def agenda_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """The program's indicators, with links to edit them and to their reported values."""
    program = await services.staff_program(request.user, program_id)
    context = {
        "program": program,
        "indicators": await services.indicators_of(program_id),
        "flash": _flash(request),
        "measure_labels": {k: measures.measure_label(k) for k in measures.MEASURES},
    }
    return render(request, "agenda/indicators.html.jinja2", context)


def _options() -> dict[str, Any]:
    return {
        "direction_options": [(k, _(v)) for k, v in services.DIRECTIONS.items()],
        "source_options": [(k, _(v)) for k, v in services.SOURCES.items()],
        "disaggregation_options": [(k, _(v)) for k, v in services.DISAGGREGATIONS.items()],
        "measure_options": [("", _("Choose a measure"))] + [(k, measures.measure_label(k)) for k in measures.MEASURES],
    }


def _form(
    request: Request[Any, Any, Any],
    program: dict[str, Any],
    action: str,
    values: dict[str, Any],
    errors: dict[str, str],
    status: int = 200,
) -> Template:
    context = {"program": program, "action": action, "values": values, "errors": errors, **_options()}
    context["is_new"] = action.endswith("/agenda")
    return render(request, "agenda/indicator_form.html.jinja2", context, status_code=status)


@get("/staff/programs/{program_id:int}/agenda/new", include_in_schema=False)
async def indicator_new(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    program = await services.staff_program(request.user, program_id)
    return _form(request, program, f"/staff/programs/{program_id}/agenda", services.form_values(None), {})


@post("/staff/programs/{program_id:int}/agenda", include_in_schema=False)
async def indicator_create(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    """Create an indicator; problems come back inline with the entered values."""
    program = await services.staff_program(request.user, program_id)
    data = await read_form(request)
    try:
        await services.create_indicator(request.user, program_id, data)
    except FieldErrors as exc:
        action = f"/staff/programs/{program_id}/agenda"
        return _form(request, program, action, services.form_values(data), exc.errors, 422)
    return see_other(f"/staff/programs/{program_id}/agenda?" + urlencode({"done": "created"}))


@get("/staff/agenda/indicators/{indicator_id:int}/edit", include_in_schema=False)
async def indicator_edit(request: Request[Any, Any, Any], indicator_id: FromPath[int]) -> Template:
    row = await services.get_indicator(request.user, indicator_id)
    program = await services.staff_program(request.user, int(row["program"]))
    return _form(request, program, f"/staff/agenda/indicators/{indicator_id}", services.form_values(row), {})


@post("/staff/agenda/indicators/{indicator_id:int}", include_in_schema=False)
async def indicator_update(request: Request[Any, Any, Any], indicator_id: FromPath[int]) -> Template | Redirect:
    row = await services.get_indicator(request.user, indicator_id)
    data = await read_form(request)
    try:
        program_id = await services.update_indicator(request.user, indicator_id, data)
    except FieldErrors as exc:
        program = await services.staff_program(request.user, int(row["program"]))
        action = f"/staff/agenda/indicators/{indicator_id}"
        return _form(request, program, action, services.form_values(data), exc.errors, 422)
    return see_other(f"/staff/programs/{program_id}/agenda?" + urlencode({"done": "updated"}))


@post("/staff/agenda/indicators/{indicator_id:int}/delete", include_in_schema=False)
async def indicator_delete(request: Request[Any, Any, Any], indicator_id: FromPath[int]) -> Redirect:
    program_id = await services.delete_indicator(request.user, indicator_id)
    return see_other(f"/staff/programs/{program_id}/agenda?" + urlencode({"done": "deleted"}))


async def _values_page(
    request: Request[Any, Any, Any],
    indicator_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    indicator = await services.get_indicator(request.user, indicator_id)
    program = await services.staff_program(request.user, int(indicator["program"]))
    context = {
        "program": program,
        "indicator": indicator,
        "rows": await services.reported_values(request.user, indicator_id),
        "values": values or {},
        "errors": errors or {},
        "flash": [] if errors else _flash(request),
        "statuses": {k: _(v) for k, v in services.STATUSES.items()},
        "dimension_label": _(services.DISAGGREGATIONS[indicator["disaggregation"]]),
        "editing": request.query_params.get("edit", ""),
    }
    return render(request, "agenda/values.html.jinja2", context, status_code=status)


@get("/staff/agenda/indicators/{indicator_id:int}/values", include_in_schema=False)
async def values_page(request: Request[Any, Any, Any], indicator_id: FromPath[int]) -> Template:
    """A reported indicator's values and their workflow (enter, submit, approve or return)."""
    return await _values_page(request, indicator_id)


@post("/staff/agenda/indicators/{indicator_id:int}/values", include_in_schema=False)
async def value_create(request: Request[Any, Any, Any], indicator_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.create_reported_value(request.user, indicator_id, data)
    except FieldErrors as exc:
        return await _values_page(request, indicator_id, data, exc.errors, 422)
    return see_other(f"/staff/agenda/indicators/{indicator_id}/values?" + urlencode({"done": "value_saved"}))


@post("/staff/agenda/values/{value_id:int}/correct", include_in_schema=False)
async def value_correct(request: Request[Any, Any, Any], value_id: FromPath[int]) -> Template | Redirect:
    """Correct a draft or returned value (its fields are named ``period_{id}`` and so on in the page)."""
    data = await read_form(request)
    plain = {k.removesuffix(f"_{value_id}"): v for k, v in data.items()}
    indicator_id = _indicator_field(data)
    try:
        indicator_id = await services.correct_reported_value(request.user, value_id, plain)
    except FieldErrors as exc:
        if not indicator_id:
            raise
        errors = {f"{k}_{value_id}" if k in _VALUE_FIELDS else k: v for k, v in exc.errors.items()}
        return await _values_page(request, indicator_id, data, errors, 422)
    return see_other(f"/staff/agenda/indicators/{indicator_id}/values?" + urlencode({"done": "value_saved"}))


_VALUE_FIELDS = ("period", "dimension", "value", "note")


def _indicator_field(data: dict[str, Any]) -> int:
    """The indicator the page came from (to draw it again with errors); 0 when absent or not a number."""
    raw = str(data.get("indicator", ""))
    return int(raw) if raw.isdigit() and len(raw) < 12 else 0


_MOVED = {"submit": "submitted", "approve": "approved", "return": "returned"}


@post("/staff/agenda/values/{value_id:int}/{action:str}", include_in_schema=False)
async def value_move(
    request: Request[Any, Any, Any], value_id: FromPath[int], action: FromPath[str]
) -> Template | Redirect:
    """Submit, approve or return a reported value."""
    data = await read_form(request)
    indicator_id = _indicator_field(data)
    comment = str(data.get(f"comment_{value_id}", data.get("comment", "")))
    try:
        indicator_id = await services.move_reported_value(request.user, value_id, action, comment)
    except FieldErrors as exc:
        if not indicator_id:
            raise
        values = {f"comment_{value_id}": comment}
        errors = {f"comment_{value_id}" if k == "comment" else k: v for k, v in exc.errors.items()}
        return await _values_page(request, indicator_id, values, errors, 422)
    return see_other(f"/staff/agenda/indicators/{indicator_id}/values?" + urlencode({"done": _MOVED.get(action, "")}))


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[results_page, results_csv]),
    Router(
        path="/",
        guards=[guards.staff],
        route_handlers=[
            agenda_page,
            indicator_new,
            indicator_create,
            indicator_edit,
            indicator_update,
            indicator_delete,
            values_page,
            value_create,
            value_correct,
            value_move,
        ],
    ),
]
