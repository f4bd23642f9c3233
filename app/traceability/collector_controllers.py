"""Collectors' pages: the delivery form at the scale (also offline, with static/js/deliveries-offline.js and its
service worker), the day's deliveries, and lots made from them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request, Response, Router, get, post
from litestar.params import FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.i18n import gettext as _
from app.traceability import deliveries
from app.traceability.deliveries import DeliveryConflict
from app.traceability.forms import delivery_fields
from app.traceability.model import FORMS
from app.validation import FieldErrors
from app.web import guards
from app.web.forms import read_form
from app.web.render import label, render, see_other
from app.web.static_assets import STATIC_DIR


def form_options() -> list[tuple[str, str]]:
    """The delivery forms in the reader's language (their names are the product types of the same keys)."""
    return [(key, label("product_type", key)) for key in FORMS]


async def _delivery_form(
    request: Request[Any, Any, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    saved: dict[str, Any] | None = None,
    warnings: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    collector = await deliveries.collector_of(request.user)
    members, plots = await deliveries.suggestions(collector)
    member = await deliveries.resolve_member(collector, str(values.get("member") or ""))
    member_plots = plots.get(member["ref"]) if member else None
    if member and member_plots is None:  # a member outside the list: its plots all the same
        member_plots = await deliveries.plots_of(member["id"])
    context = {
        "values": values,
        "errors": errors,
        "members": members,
        "plots": plots,
        "member_plots": member_plots or [],
        "form_choices": form_options(),
        "saved": saved,
        "saved_dry": deliveries.dry_of(saved) if saved else None,
        "warnings": warnings or {},
    }
    return render(request, "traceability/deliveries/form.html.jinja2", context, status_code=status_code)


def _fresh_values(form: str = "field_latex") -> dict[str, Any]:
    return {"date": dt.date.today().isoformat(), "form": form, "ref": deliveries.new_client_ref()}


@get("/traceability/deliveries/new", include_in_schema=False, name="delivery_new")
async def delivery_new(request: Request[Any, Any, Any], saved: FromQuery[str | None] = None) -> Template:
    """The delivery form at the scale; after a save it confirms the delivery saved and is ready for the next one."""
    row = await deliveries.delivery_for(request.user, saved) if saved else None
    warning = deliveries.drc_warning(row["form"], row["drc_percent"]) if row else None
    values = _fresh_values(row["form"] if row else "field_latex")
    if row:
        values["date"] = row["date"].isoformat()  # the next delivery of a batch is most often of the same day
    return await _delivery_form(request, values, {}, saved=row, warnings={"drc_percent": warning} if warning else {})


@post("/traceability/deliveries/new", include_in_schema=False)
async def delivery_new_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Record a delivery; sending the same form twice (same hidden ref) shows the delivery saved the first time."""
    data = await read_form(request)
    await deliveries.collector_of(request.user)  # 404 before reading anything else
    try:
        recorded = await deliveries.record_delivery(request.user, data, *delivery_fields(data))
    except FieldErrors as exc:
        return await _delivery_form(request, data, exc.errors, status_code=422)
    except DeliveryConflict as exc:
        values = {**data, "ref": deliveries.new_client_ref()}
        return await _delivery_form(request, values, {"_form": exc.message}, status_code=409)
    return see_other(f"/traceability/deliveries/new?saved={recorded.delivery['ref']}")


@get("/traceability/deliveries", include_in_schema=False, name="delivery_list")
async def delivery_list(request: Request[Any, Any, Any], date: FromQuery[str | None] = None) -> Template:
    """The deliveries of one day (today by default) with dry kg by form, to start a lot from."""
    errors: dict[str, str] = {}
    day = dt.date.today()
    if date:
        try:
            day = dt.date.fromisoformat(date.strip())
        except ValueError:
            errors["date"] = _("Enter a date as YYYY-MM-DD.")
    listing = await deliveries.deliveries_on(request.user, day)
    context = {"listing": listing, "errors": errors, "date_value": date if errors else day.isoformat()}
    return render(request, "traceability/deliveries/list.html.jinja2", context, status_code=422 if errors else 200)


@get("/traceability/sw-deliveries.js", include_in_schema=False, name="deliveries_service_worker")
async def service_worker() -> Response[bytes]:
    """The delivery form's service worker, served from /traceability/ so its scope can cover the delivery pages."""
    body = (STATIC_DIR / "sw-deliveries.js").read_bytes()
    return Response(
        content=body,
        media_type="text/javascript; charset=utf-8",
        headers={"Cache-Control": "no-cache"},  # a new release's worker is picked up at the next visit
    )


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[delivery_new, delivery_new_submit, delivery_list]),
    Router(path="/", route_handlers=[service_worker]),
]
