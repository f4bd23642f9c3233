"""HTTP page handlers for a producer's own certificates (list with expiry warnings, register, edit).

The JSON API for certificates lives in ``app/certificates/api.py``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Router, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.certificates import services
from app.certificates.forms import MULTI
from app.validation import FieldErrors
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other


def certificate_form_values(cert: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values from a stored certificate."""
    values: dict[str, Any] = {k: cert.get(k) for k in services.CERT_FIELDS}
    for key in ("issued_on", "expires_on"):
        values[key] = values[key].isoformat() if values[key] else ""
    values["product_types"] = list(cert.get("product_types") or [])
    return values


def _form_page(
    request: HTMXRequest,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    cert: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    context = {
        "values": values,
        "errors": errors,
        "cert": cert,
        "action": f"/my/certificates/{cert['ref']}/edit" if cert else "/my/certificates/new",
    }
    return render(request, "certificates/form.html.jinja2", context, status_code=status_code)


@get("/my/certificates", include_in_schema=False, name="my_certificates")
async def my_certificates(request: HTMXRequest) -> Template:
    """The organisation's certificates with verification state and expiry warnings."""
    today = dt.date.today()
    rows = await services.list_for_organization(request.user.organization_id)
    for row in rows:
        row["days_left"] = (row["expires_on"] - today).days
    context = {"rows": rows, "warning_days": services.EXPIRY_WARNING_DAYS}
    return render(request, "certificates/mine.html.jinja2", context)


@get("/my/certificates/new", include_in_schema=False)
async def certificate_new_page(request: HTMXRequest) -> Template:
    return _form_page(request, {"status": "valid", "product_types": []}, {})


@post("/my/certificates/new", include_in_schema=False)
async def certificate_new_submit(request: HTMXRequest) -> Template | Redirect:
    """Register a certificate; it waits for staff verification."""
    data = await read_form(request, multi=MULTI)
    try:
        await services.create_certificate(request.user, data)
    except FieldErrors as exc:
        return _form_page(request, data, exc.errors, status_code=422)
    return see_other("/my/certificates")


@get("/my/certificates/{ref:str}/edit", include_in_schema=False)
async def certificate_edit_page(request: HTMXRequest, ref: FromPath[str]) -> Template:
    cert = await services.get_own_certificate(request.user, ref)
    return _form_page(request, certificate_form_values(cert), {}, cert=cert)


@post("/my/certificates/{ref:str}/edit", include_in_schema=False)
async def certificate_edit_submit(request: HTMXRequest, ref: FromPath[str]) -> Template | Redirect:
    """Save a certificate; a changed code, status, expiry or product list goes back to verification."""
    data = await read_form(request, multi=MULTI)
    try:
        await services.update_certificate(request.user, ref, data)
    except FieldErrors as exc:
        cert = await services.get_own_certificate(request.user, ref)
        return _form_page(request, data, exc.errors, cert=cert, status_code=422)
    return see_other("/my/certificates")


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.producer],
        route_handlers=[
            my_certificates,
            certificate_new_page,
            certificate_new_submit,
            certificate_edit_page,
            certificate_edit_submit,
        ],
    ),
]
