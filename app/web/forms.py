"""Reading HTML form posts into the plain dicts the services validate."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from litestar import Request

from app.i18n import gettext as _
from app.places import country_name, is_country, regions
from app.validation import FieldErrors
from app.vocab import CATEGORIES, label

MAX_FORM_FIELDS = 200


async def read_form(request: Request[Any, Any, Any], multi: tuple[str, ...] = ()) -> dict[str, Any]:
    """Form fields as a dict; fields in ``multi`` (checkbox groups, multi-selects) become lists."""
    form = await request.form()
    data: dict[str, Any] = {}
    for key in list(form.keys())[:MAX_FORM_FIELDS]:
        if key == "_csrf_token":
            continue
        if key in multi:
            data[key] = [v for v in form.getall(key) if isinstance(v, str) and v != ""]
        else:
            value = form.get(key)
            data[key] = value if isinstance(value, str) else ""
    for key in multi:
        data.setdefault(key, [])
    return data


@dataclass(frozen=True)
class DependentChoices:
    """Selects whose options follow another field: the regions of a country, the units of a category.

    The block holding them carries a hidden ``<marker>`` input with the value of ``source`` its options were drawn
    for. With htmx the block is redrawn whenever ``source`` changes, so the two always agree. Without JavaScript
    they differ once the user changes ``source``: the options on screen belonged to the old value, and the form
    handler redraws the form (``stale_choices``) instead of saving, saying why.
    """

    source: str
    fields: tuple[str, ...]
    #: What the new source value is called for the message ("Natural rubber latex", "Guatemala").
    describe: Callable[[str], str]
    #: Fields the form cannot be saved without: redrawn even when left empty.
    required: tuple[str, ...] = ()
    #: Whether the new source value has options at all; an optional field left empty is then offered once, since
    #: the user could not choose from a list that was not on screen (a country without regions: nothing to offer).
    has_options: Callable[[str], bool] | None = None

    @property
    def marker(self) -> str:
        return f"{self.fields[0]}_choices_for"


def stale_choices(data: dict[str, Any], dependents: Iterable[DependentChoices]) -> dict[str, str]:
    """One message per dependent field whose options on screen belonged to another value of its source (the
    user changed it without JavaScript). Those fields are emptied in ``data``, so the redrawn form shows the
    new options with nothing wrongly chosen; every other entered value is kept."""
    messages: dict[str, str] = {}
    for dep in dependents:
        shown_for = data.get(dep.marker)
        if not isinstance(shown_for, str):
            continue  # not posted by our form (an old page, a script): the service's own checks decide
        source = data.get(dep.source)
        source = source.strip() if isinstance(source, str) else ""
        if shown_for.strip().upper() == source.upper() or not source:
            continue
        name = dep.describe(source)
        if not name:
            continue
        for field in dep.fields:
            value = data.get(field)
            if field in dep.required or (value not in (None, "", [])):
                messages[field] = _("The choices now fit %(source)s: choose again and send the form.", source=name)
                data[field] = [] if isinstance(value, list) else ""
            elif dep.has_options is not None and dep.has_options(source):
                messages[field] = _(
                    "Now choose from the list for %(source)s, or leave it empty, and send the form again.", source=name
                )
    return messages


def choice_markers(dependents: Iterable[DependentChoices]) -> set[str]:
    """The hidden marker inputs' names (not fields of their own: never given an error)."""
    return {dep.marker for dep in dependents}


def category_choices(fields: tuple[str, ...], required: tuple[str, ...]) -> DependentChoices:
    """Product types and units follow the category (offer and request forms)."""
    return DependentChoices("category", fields, lambda v: label(CATEGORIES, v) if v in CATEGORIES else "", required)


def region_choices(source: str = "country", field: str = "region", *, offer_empty: bool = True) -> DependentChoices:
    """The region list follows the country (every form with a place picker). ``offer_empty``: a region left empty
    because its list was not on screen is offered once (False where the next page offers it anyway)."""
    return DependentChoices(
        source,
        (field,),
        lambda v: country_name(v) if is_country(v.strip().upper()) else "",
        has_options=(lambda v: bool(regions(v))) if offer_empty else None,
    )


def with_other_errors(
    check: Callable[[dict[str, Any]], Any], data: dict[str, Any], stale: dict[str, str]
) -> dict[str, str]:
    """The stale-choice messages plus whatever else ``check`` finds wrong, so the redrawn form shows every problem
    at once (the stale fields' own "required" messages give way to the explanation)."""
    try:
        check(data)
        errors: dict[str, str] = {}
    except FieldErrors as exc:
        errors = dict(exc.errors)
    return {**errors, **stale}
