"""Validation while the user fills a form: a field's error appears when it loses focus, before submitting.

The form's fields sit in a wrapper with ``hx-post="/validate/<form>" hx-trigger="change" hx-swap="none"``; the
whole form is posted, run through the same checker the submit uses (nothing is saved), and the answer is one
out-of-band ``<p class="field-error" id="f-NAME-error">`` per field, empty when the field is fine. A field the
user has not filled yet is not nagged about with "required": that message waits for the submit. Without
JavaScript nothing of this runs and the submit shows every error, as before.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import MediaType, Request, Response, post
from litestar.params import FromPath
from markupsafe import Markup, escape

from app.certificates.forms import MULTI as CERTIFICATE_MULTI
from app.certificates.services import check_certificate
from app.i18n import gettext as _
from app.offers.forms import OFFER_CHOICES
from app.offers.services import check_offer
from app.sourcing.forms import REQUEST_CHOICES, read_request_form
from app.sourcing.services import check_request
from app.validation import FieldErrors, NotFound
from app.web import guards
from app.web.forms import DependentChoices, choice_markers, read_form, stale_choices

FIELD_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")


FormReader = Callable[[Request[Any, Any, Any]], Awaitable[dict[str, Any]]]


async def _certificate_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return await read_form(request, multi=CERTIFICATE_MULTI)


#: form name -> (checker, the same form reader the form's own submit uses)
FORMS: dict[str, tuple[Callable[[dict[str, Any]], Any], FormReader]] = {
    "offer": (check_offer, read_form),
    "request": (check_request, read_request_form),
    "certificate": (check_certificate, _certificate_form),
}


#: form name -> the choices in it that follow another field (redrawn by htmx when that field changes).
DEPENDENT: dict[str, tuple[DependentChoices, ...]] = {"offer": OFFER_CHOICES, "request": REQUEST_CHOICES}


def _missing_messages() -> set[str]:
    return {_("This field is required."), _("Choose a value."), _("Choose at least one value.")}


def _filled(value: Any) -> bool:
    return bool(value.strip()) if isinstance(value, str) else bool(value)


def field_errors(form: str, data: dict[str, Any]) -> dict[str, str]:
    """The error to show now for every posted field ('' when fine)."""
    check, _reader = FORMS[form]
    dependents = DEPENDENT.get(form, ())
    # A field whose list belongs to the value its source had before this change is being redrawn right now
    # (htmx fetches the new list on the same change): judging its old value would flash a wrong error.
    stale = stale_choices(data, dependents)
    try:
        check(data)
        errors: dict[str, str] = {}
    except FieldErrors as exc:
        errors = exc.errors
    missing = _missing_messages()
    markers = choice_markers(dependents)
    shown = {name: "" for name in data if FIELD_NAME.fullmatch(name) and name not in markers}
    for name, message in errors.items():
        if not FIELD_NAME.fullmatch(name) or name in stale:
            continue
        if message in missing and not _filled(data.get(name)):
            continue
        shown[name] = message
    return shown


@post("/validate/{form:str}", include_in_schema=False, guards=[guards.signed_in], status_code=200)
async def validate_form(request: Request[Any, Any, Any], form: FromPath[str]) -> Response[str]:
    """Errors of a form being filled in, as out-of-band swaps (see the module docstring)."""
    if form not in FORMS:
        raise NotFound()
    _check, reader = FORMS[form]
    data = await reader(request)
    parts = [
        Markup('<p class="field-error" id="f-{}-error" aria-live="polite" hx-swap-oob="true">{}</p>').format(
            name, escape(message)
        )
        for name, message in sorted(field_errors(form, data).items())
    ]
    return Response("".join(parts), media_type=MediaType.HTML)


ROUTES = [validate_form]
