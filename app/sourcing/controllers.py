"""Sourcing requests: the buyer's pages (list, create, edit, close / re-open, detail)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from litestar import Request, Router, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.matching.phrasing import phrase_all
from app.matching.services import compute_matches, offer_summaries
from app.messaging.viewing import record_viewed
from app.sourcing import services
from app.sourcing.forms import REQUEST_CHOICES, read_request_form
from app.validation import FieldErrors
from app.vocab import CANONICAL_UNIT, CATEGORIES, PRODUCT_TYPES, UNITS
from app.web import guards
from app.web.forms import read_form, stale_choices, with_other_errors
from app.web.pages import safe_next
from app.web.render import render, see_other
from search_index.backend import SearchBackend

FORM_PAGE = "sourcing/form.html.jinja2"


def _blank_values() -> dict[str, Any]:
    """Defaults of the empty form: partial deliveries welcome, nothing else assumed."""
    return {"category": "timber", "unit": "m3", "partial_ok": True, "product_types": [], "accepted_claims": []}


def _as_text(value: Any) -> Any:
    """Stored values as the strings a form field shows (3.000 -> 3, dates in ISO, None -> "")."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _row_values(row: dict[str, Any]) -> dict[str, Any]:
    """A stored request as form values."""
    values = {key: _as_text(value) for key, value in row.items()}
    values["species"] = ", ".join(row.get("species") or [])
    values["product_types"] = list(row.get("product_types") or [])
    values["accepted_claims"] = list(row.get("accepted_claims") or [])
    values["partial_ok"] = bool(row.get("partial_ok"))
    values["require_eudr_ready"] = bool(row.get("require_eudr_ready"))
    return values


def _form_context(values: dict[str, Any], errors: dict[str, str], row: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"values": values, "errors": errors, "sourcing_request": row}


@get("/my/requests", include_in_schema=False)
async def my_requests(request: Request[Any, Any, Any]) -> Template:
    """The buyer organisation's sourcing requests, newest change first."""
    rows = await services.list_for_organization(request.user.organization_id)
    return render(request, "sourcing/list.html.jinja2", {"requests": rows})


@get("/my/requests/new", include_in_schema=False)
async def new_request_page(request: Request[Any, Any, Any]) -> Template:
    # Most buyers take delivery in their own country: start there, with its regions listed (JavaScript or not).
    values = {**_blank_values(), "delivery_country": request.user.organization_country}
    return render(request, FORM_PAGE, _form_context(values, {}))


@post("/my/requests/new", include_in_schema=False)
async def new_request_submit(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Create a sourcing request from the form."""
    data = await read_request_form(request)
    stale = stale_choices(data, REQUEST_CHOICES)
    if stale:
        errors = with_other_errors(services.check_request, data, stale)
        return render(request, FORM_PAGE, _form_context(data, errors), status_code=422)
    try:
        row = await services.create_request(request.user, data)
    except FieldErrors as exc:
        return render(request, FORM_PAGE, _form_context(data, exc.errors), status_code=422)
    return see_other(f"/requests/{row['ref']}?saved=1")


@get("/my/requests/{ref:str}/edit", include_in_schema=False)
async def edit_request_page(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    row = await services.get_request_for(request.user, ref)
    return render(request, FORM_PAGE, _form_context(_row_values(row), {}, row))


@post("/my/requests/{ref:str}/edit", include_in_schema=False)
async def edit_request_submit(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Save changes to one of the organisation's requests."""
    # Another organisation's request does not exist for this user (404), same as on the detail page.
    row = await services.get_request_for(request.user, ref)
    data = await read_request_form(request)
    stale = stale_choices(data, REQUEST_CHOICES)
    if stale:
        errors = with_other_errors(services.check_request, data, stale)
        return render(request, FORM_PAGE, _form_context(data, errors, row), status_code=422)
    try:
        await services.update_request(request.user, ref, {**data, "status": row["status"]})
    except FieldErrors as exc:
        return render(request, FORM_PAGE, _form_context(data, exc.errors, row), status_code=422)
    return see_other(f"/requests/{ref}?saved=1")


@get("/my/requests/form-options", include_in_schema=False)
async def request_form_options(request: Request[Any, Any, Any]) -> Template:
    """The product types and unit for the category now chosen (htmx swaps them in when the category changes);
    ticked types and a unit that fit it stay chosen."""
    query = request.query_params
    category = query.get("category") or ""
    category = category if category in CATEGORIES else ""
    kinds = PRODUCT_TYPES.get(category, {})
    values = {
        "category": category,
        "product_types": [k for k in query.getall("product_types", []) if k in kinds],
        "unit": query.get("unit") if query.get("unit") in UNITS.get(category, {}) else "",
        "drc_percent": query.get("drc_percent") or "",
    }
    context = {"values": values, "errors": {}, "standalone": True}
    return Template(template_name="sourcing/_category_fields.html.jinja2", context=context)


@post("/my/requests/{ref:str}/status", include_in_schema=False)
async def request_status_submit(request: Request[Any, Any, Any], ref: FromPath[str]) -> Redirect:
    """Close a request (no more suppliers wanted) or re-open it."""
    await services.get_request_for(request.user, ref)
    data = await read_form(request)
    await services.set_request_status(request.user, ref, data.get("status", ""))
    return see_other(safe_next(data.get("next"), f"/requests/{ref}"))


@get("/requests/{ref:str}", include_in_schema=False)
async def request_detail(
    request: Request[Any, Any, Any], ref: FromPath[str], backend: NamedDependency[SearchBackend]
) -> Template:
    """Everything a request asks for: its buyer and staff read all with the recommendations; a producer whose offer
    fits it (or who talks with the buyer about it) reads what it needs to answer, with why its offers fit."""
    view = await services.request_for_reader(request.user, ref)
    row = view.row
    context: dict[str, Any] = {
        "sourcing_request": row,
        "reader": view.reader,
        "is_owner": view.reader == "owner" and request.user.is_buyer,
        "canonical_unit": CANONICAL_UNIT[row["category"]],
    }
    if view.reader == "supplier":
        offers = await offer_summaries([m.offer.ref for m in view.fits])
        context["fits"] = [
            {"scored": m, "offer": offers.get(m.offer.ref, {}), "reasons": phrase_all(m.reasons, "producer")}
            for m in view.fits
        ]
        context["conversations"] = view.conversations
        return render(request, "sourcing/detail.html.jinja2", context)
    answer = await compute_matches(ref, backend)
    shown = [m.offer.ref for m in answer.matches] + [m.offer.ref for b in answer.bundles for m in b.offers]
    if context["is_owner"]:
        await record_viewed(request.user, row["id"], shown)
    context.update(
        answer=answer,
        offers=await offer_summaries(shown),
        reasons={m.offer.ref: phrase_all(m.reasons, "buyer") for m in answer.matches},
        bundle_reasons=[phrase_all(b.reasons, "buyer") for b in answer.bundles],
    )
    return render(request, "sourcing/detail.html.jinja2", context)


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.buyer],
        route_handlers=[
            my_requests,
            new_request_page,
            new_request_submit,
            edit_request_page,
            edit_request_submit,
            request_form_options,
            request_status_submit,
        ],
    ),
    Router(path="/", guards=[guards.signed_in], route_handlers=[request_detail]),
]
