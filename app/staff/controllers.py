"""Program staff pages: certificate verification queue, organisations and users (the import page lives elsewhere)."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.accounts import services as accounts
from app.certificates import queue as verification
from app.certificates import services as certificates
from app.i18n import N_, ngettext
from app.i18n import gettext as _
from app.places import collation_key, country_name
from app.validation import FieldErrors, NotFound
from app.vocab import VERIFICATION_STATES
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

PER_PAGE = 50
FSC_SEARCH_URL = "https://search.fsc.org/"


def _state(value: str | None) -> str:
    return value if value in VERIFICATION_STATES else "pending"


def _pages(total: int) -> int:
    return max(1, math.ceil(total / PER_PAGE))


# --- certificate verification ---------------------------------------------------------------------------------
QUEUE_PAGE = "staff/certificates.html.jinja2"
QUEUE_FRAGMENT = "staff/_certificate_queue.html.jinja2"


def _expiry_options(current: str) -> list[tuple[str, str]]:
    """The "expiring within N days" choices, plus a number of days that came in a link."""
    days = list(verification.QUEUE_EXPIRY_DAYS)
    if current.isdigit() and int(current) not in days:
        days = sorted([*days, int(current)])
    return [(str(n), ngettext("Expiring within %(num)d day", "Expiring within %(num)d days", n)) for n in days]


async def _queue_context(
    request: Request[Any, Any, Any], filters: verification.QueueFilters, **extra: Any
) -> dict[str, Any]:
    queue = await verification.verification_queue(request.user, filters)
    countries = sorted(await verification.queue_countries(), key=lambda code: collation_key(country_name(code)))
    return {
        "queue": queue,
        "filters": queue.filters,
        "state": queue.filters.state,
        "states": list(VERIFICATION_STATES),
        "certificates": queue.rows,
        "country_options": [(code, country_name(code)) for code in countries],
        "country_names": {code: country_name(code) for code in countries},
        "expiry_options": _expiry_options(queue.filters.expiry),
        "fsc_search_url": FSC_SEARCH_URL,
        "errors_for": {},
        "reasons": {},
        "flash": [],
        **extra,
    }


async def _done_notice(done: str | None, ref: str | None) -> list[tuple[str, str]]:
    """The notice after a verification, naming the certificate by its code (looked up, never echoed from the URL)."""
    if done not in ("verified", "rejected") or not ref:
        return []
    try:
        cert = await certificates.get_certificate(ref)
    except NotFound:
        return []
    if done == "verified":
        return [("success", _("Certificate %(code)s is marked as verified.", code=cert["code"]))]
    return [("success", _("Certificate %(code)s was rejected; the producer sees your reason.", code=cert["code"]))]


@get("/staff/certificates", include_in_schema=False, name="staff_certificates")
async def certificate_queue(
    request: Request[Any, Any, Any],
    done: FromQuery[str | None] = None,
    cert: FromQuery[str | None] = None,
) -> Template:
    """Certificates to check against the public FSC database: a tab per state, filters, search, pages, counts."""
    # ``state`` is a reserved handler argument name in Litestar, so the filters are read from the query directly.
    filters = verification.QueueFilters.read(request.query_params)
    context = await _queue_context(request, filters, flash=await _done_notice(done, cert))
    return render(request, QUEUE_PAGE, context, fragment=QUEUE_FRAGMENT)


def _back_to_queue(filters: verification.QueueFilters, done: str, ref: str) -> Redirect:
    """The same tab, filters and page the decision was made on, with a notice."""
    return see_other(
        "/staff/certificates?" + filters.query(page=filters.page) + "&" + urlencode({"done": done, "cert": ref})
    )


@post("/staff/certificates/{ref:str}/verify", include_in_schema=False)
async def certificate_verify(request: Request[Any, Any, Any], ref: FromPath[str]) -> Redirect:
    """Record that this certificate matches the public FSC database."""
    data = await read_form(request)
    await certificates.verify_certificate(request.user, ref, approve=True)
    return _back_to_queue(verification.QueueFilters.read(data), "verified", ref)


@post("/staff/certificates/{ref:str}/reject", include_in_schema=False)
async def certificate_reject(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Reject a certificate with a reason the producer will read."""
    data = await read_form(request)
    filters = verification.QueueFilters.read(data)
    try:
        await certificates.verify_certificate(request.user, ref, approve=False, reason=data.get("reason", ""))
    except FieldErrors as exc:
        cert = await certificates.get_certificate(ref)
        message = _(
            "Certificate %(code)s was not rejected: give the reason, the producer needs it to fix the record.",
            code=cert["code"],
        )
        context = await _queue_context(
            request,
            filters,
            flash=[("error", message)],
            errors_for={ref: exc.errors.get("reason", message)},
            reasons={ref: data.get("reason", "")},
        )
        return render(request, QUEUE_PAGE, context, status_code=422)
    return _back_to_queue(filters, "rejected", ref)


# --- organisations and users ----------------------------------------------------------------------------------
@get("/staff/organizations", include_in_schema=False, name="staff_organizations")
async def organization_list(request: Request[Any, Any, Any], page: FromQuery[int] = 1) -> Template:
    """Every organisation, by name."""
    page = max(page, 1)
    rows, total = await accounts.list_organizations(request.user, page=page, per_page=PER_PAGE)
    context = {"organizations": rows, "total": total, "page": page, "pages": _pages(total)}
    return render(request, "staff/organizations.html.jinja2", context)


async def _users_context(request: Request[Any, Any, Any], page: int, flash: list[tuple[str, str]]) -> dict[str, Any]:
    rows, total = await accounts.list_users(request.user, page=page, per_page=PER_PAGE)
    return {"users": rows, "total": total, "page": page, "pages": _pages(total), "flash": flash}


_USER_NOTICES = {
    "deactivated": N_("The account was deactivated: its sessions and API tokens stop working at once."),
    "activated": N_("The account was activated again."),
}


@get("/staff/users", include_in_schema=False, name="staff_users")
async def user_list(
    request: Request[Any, Any, Any], page: FromQuery[int] = 1, done: FromQuery[str | None] = None
) -> Template:
    """Every account with role, organisation and last sign-in."""
    flash = [("success", _(_USER_NOTICES[done]))] if done in _USER_NOTICES else []
    return render(request, "staff/users.html.jinja2", await _users_context(request, max(page, 1), flash))


async def _set_active(request: Request[Any, Any, Any], user_id: int, active: bool) -> Template | Redirect:
    data = await read_form(request)
    try:
        page = max(int(data.get("page") or 1), 1)
    except ValueError:
        page = 1
    try:
        await accounts.set_user_active(request.user, user_id, active)
    except FieldErrors as exc:
        flash = [("error", message) for message in exc.errors.values()]
        return render(request, "staff/users.html.jinja2", await _users_context(request, page, flash), status_code=422)
    done = "activated" if active else "deactivated"
    return see_other("/staff/users?" + urlencode({"page": page, "done": done}))


@post("/staff/users/{user_id:int}/deactivate", include_in_schema=False)
async def user_deactivate(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
    """Lock an account out (sessions and API tokens included)."""
    return await _set_active(request, user_id, False)


@post("/staff/users/{user_id:int}/activate", include_in_schema=False)
async def user_activate(request: Request[Any, Any, Any], user_id: FromPath[int]) -> Template | Redirect:
    """Let a deactivated account sign in again."""
    return await _set_active(request, user_id, True)


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.staff],
        route_handlers=[
            certificate_queue,
            certificate_verify,
            certificate_reject,
            organization_list,
            user_list,
            user_deactivate,
            user_activate,
        ],
    ),
]
