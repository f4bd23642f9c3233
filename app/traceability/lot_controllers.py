"""Collectors' lot pages: the lots an organisation holds, the form that makes a lot from deliveries and parts of
other lots, and the short summary of the claim derived once it is saved (the lot's own page is elsewhere)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.i18n import N_
from app.i18n import gettext as _
from app.traceability import lots
from app.traceability.deliveries import collector_of
from app.traceability.forms import SOURCE_SLOTS, lot_fields
from app.traceability.model import PROCESSES
from app.validation import FieldErrors, page_number
from app.web import guards
from app.web.forms import read_form
from app.web.render import options, render, see_other

PROCESS_LABELS = {
    "none": N_("None (as received)"),
    "concentrate": N_("Latex concentrate"),
    "tsr": N_("Technically specified rubber (TSR)"),
    "rss": N_("Ribbed smoked sheet (RSS)"),
    "crepe": N_("Crepe"),
}


def process_options() -> list[tuple[str, str]]:
    """The lot processes in the reader's language."""
    return [(key, _(PROCESS_LABELS[key])) for key in PROCESSES]


async def _lot_form(
    request: Request[Any, Any, Any], values: dict[str, Any], errors: dict[str, str], page: int, status_code: int = 200
) -> Template:
    collector = await collector_of(request.user)
    ticked = [d for d in values.get("delivery") or [] if isinstance(d, str)]
    open_rows = await lots.open_deliveries(collector, page, also=ticked)
    if not values.get("output_dry_kg") and ticked:  # prefilled with the ticked deliveries' dry kg
        values["output_dry_kg"] = str(round(sum(r["dry"] for r in open_rows.rows if r["ref"] in ticked), 2))
    context = {
        "values": values,
        "errors": errors,
        "ticked": set(ticked),
        "open": open_rows,
        "slots": range(1, SOURCE_SLOTS + 1),
        "processes": process_options(),
        "product_types": options("product_type", "latex"),
    }
    return render(request, "traceability/lots/form.html.jinja2", context, status_code=status_code)


@get("/traceability/lots", include_in_schema=False, name="lot_list")
async def lot_list(request: Request[Any, Any, Any]) -> Template:
    """Lots the organisation holds (staff: every lot) with the claim each last derived."""
    return render(request, "traceability/lots/list.html.jinja2", {"lots": await lots.held_lots(request.user)})


@get("/traceability/lots/new", include_in_schema=False, name="lot_new")
async def lot_new(request: Request[Any, Any, Any], page: FromQuery[str | None] = None) -> Template:
    """The lot form: deliveries not yet in a lot (those ticked in the day's list already ticked), parts of lots."""
    values: dict[str, Any] = {
        "ref": lots.new_lot_ref(),
        "date": dt.date.today().isoformat(),
        "process": "none",
        "product_type": "field_latex",
        "delivery": request.query_params.getall("delivery", []),
    }
    return await _lot_form(request, values, {}, page_number(page, 10_000) or 1)


@post("/traceability/lots/new", include_in_schema=False)
async def lot_new_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Write the lot and its inputs (all or nothing), derive its claim, and show the summary."""
    data = await read_form(request, multi=("delivery",))
    collector = await collector_of(request.user)
    clean, errors = await lot_fields(collector.ref, data)
    try:
        ref, _created = await lots.create_lot(request.user, clean, errors)
    except FieldErrors as exc:
        return await _lot_form(request, {**data, "ref": clean["ref"]}, exc.errors, 1, status_code=422)
    return see_other(f"/traceability/lots/{ref}/saved")


@get("/traceability/lots/{ref:str}/saved", include_in_schema=False, name="lot_saved")
async def lot_saved(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    """The claim derived for a lot just saved: claim, certified share, EUDR readiness, number of errors."""
    lot, answer = await lots.saved_lot(request.user, ref)
    errors = sum(1 for c in answer.checks if c.severity == "error")
    context = {"lot": lot, "answer": answer, "error_count": errors}
    return render(request, "traceability/lots/saved.html.jinja2", context)


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[lot_list, lot_new, lot_new_submit, lot_saved]),
]
