"""Rendering helpers: the one place that decides full page vs htmx fragment, and template globals."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXRequest, HTMXTemplate
from litestar.response import Redirect, Template

from app import places, vocab
from app.db import Row
from app.i18n import (
    SUPPORTED_LOCALES,
    format_date,
    format_datetime,
    format_duration,
    format_money,
    format_number,
    get_locale,
    gettext,
    ngettext,
)
from app.web.static_assets import static_url


def wants_fragment(request: Request[Any, Any, Any]) -> bool:
    """A fragment only for a plain htmx request; boosted navigation and no-JS requests get the full page."""
    htmx = getattr(request, "htmx", None)
    # A history restore after a cache miss needs the whole page back, not the piece last swapped.
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render(
    request: Request[Any, Any, Any],
    page: str,
    context: dict[str, Any] | None = None,
    *,
    fragment: str | None = None,
    status_code: int = 200,
) -> Template:
    """Full page, or the fragment the page includes when htmx asked for a partial swap."""
    context = dict(context or {})
    if fragment and isinstance(request, HTMXRequest) and wants_fragment(request):
        return HTMXTemplate(template_name=fragment, context=context, status_code=status_code)
    return Template(template_name=page, context=context, status_code=status_code)


def see_other(url: str) -> Redirect:
    """303 after a successful write, so reloading does not post twice."""
    return Redirect(path=url, status_code=303)


_LABELS: dict[str, dict[str, str]] = {
    "category": vocab.CATEGORIES,
    "product_type": vocab.ALL_PRODUCT_TYPES,
    "claim": vocab.CLAIMS,
    "scope": vocab.SCOPES,
    "cert_status": vocab.CERTIFICATE_STATUSES,
    "verification": vocab.VERIFICATION_STATES,
    "org_kind": vocab.ORG_KINDS,
    "legal_form": vocab.LEGAL_FORMS,
    "role": vocab.USER_ROLES,
    "offer_status": vocab.OFFER_STATUSES,
    "request_status": vocab.REQUEST_STATUSES,
    "unit": {k: v for units in vocab.UNITS.values() for k, v in units.items()},
}


def label(kind: str, key: str | None) -> str:
    """Translated label of a vocabulary key, e.g. ``label('claim', 'FSC Mix')``."""
    return vocab.label(_LABELS[kind], key)


def options(kind: str, category: str | None = None) -> list[tuple[str, str]]:
    """(key, translated label) pairs for a select."""
    source: dict[str, str]
    if kind == "product_type":
        source = vocab.PRODUCT_TYPES.get(category or "", vocab.ALL_PRODUCT_TYPES)
    elif kind == "unit":
        # Units are chosen by their names ("kg of dry rubber content (kg DRC)"); UNITS are the symbols after a number.
        source = vocab.UNIT_NAMES.get(category or "", vocab.ALL_UNIT_NAMES)
    else:
        source = {
            "category": vocab.CATEGORIES,
            "claim": vocab.CLAIMS,
            "scope": vocab.SCOPES,
            "cert_status": vocab.CERTIFICATE_STATUSES,
            "legal_form": vocab.LEGAL_FORMS,
            "org_kind": vocab.ORG_KINDS,
            "offer_status": vocab.OFFER_STATUSES,
            "request_status": vocab.REQUEST_STATUSES,
            "incoterm": vocab.INCOTERMS,
            "currency": {c: c for c in vocab.CURRENCIES},
            "locale": SUPPORTED_LOCALES,
        }[kind]
    return [
        (key, gettext(text) if kind not in ("incoterm", "currency", "locale") else text) for key, text in source.items()
    ]


def fmt_quantity(value: Any, unit: str | None) -> str:
    """'120 m³', '1.500 kg DRC' in the reader's locale."""
    if value is None:
        return ""
    return f"{format_number(value, 2)} {label('unit', unit)}".strip()


def request_name(item: Any, prefix: str = "") -> str:
    """A sourcing request's title, or for one without (the import format makes it optional) what it asks for:
    'Sawn timber, 120 m³' in the reader's language. ``prefix``: the request's keys carry it in a joined row
    (``request_`` in a conversation's)."""

    def get(key: str) -> Any:
        return item.get(prefix + key) if isinstance(item, dict) else getattr(item, prefix + key, None)

    title = (get("title") or "").strip()
    if title:
        return title
    types = get("product_types") or []
    if isinstance(types, str):  # JSON text, as a joined column comes
        types = json.loads(types)
    what = label("product_type", types[0]) if types else gettext("Sourcing request")
    if len(types) > 1:
        what = gettext("%(product)s and %(count)s more", product=what, count=format_number(len(types) - 1))
    quantity = fmt_quantity(get("quantity"), get("unit"))
    return gettext("%(what)s, %(quantity)s", what=what, quantity=quantity) if quantity else what


def species_label(name: str) -> str:
    return _species_label(name, get_locale())


@lru_cache(maxsize=2048)
def _species_label(name: str, locale: str) -> str:
    return vocab.species_label(vocab.resolve_species(name), locale)


def species_text(names: list[str] | None) -> str:
    """Species in the reader's language, a species named twice (common and scientific) shown once."""
    if not names:
        return ""
    locale = get_locale()
    return ", ".join(dict.fromkeys(_species_label(n, locale) for n in names))


def offer_card_view(o: Any) -> Any:
    """Everything an offer card shows, formatted for the reader in one call.

    A list page shows twenty cards; one call per card instead of a dozen template calls (each a Jinja
    ``Context.call`` plus a translation) is most of what makes the list page cheap to render.
    """

    price = ""
    if o.get("price_amount") is not None and o.get("price_currency"):
        price = format_money(o["price_amount"], o["price_currency"])
    return Row(
        product_type=label("product_type", o.get("product_type")),
        species=species_text(o.get("species")),
        claim=label("claim", o.get("claim")),
        quantity=fmt_quantity(o.get("quantity"), o.get("unit")),
        available=f"{format_date(o.get('available_from'))} – {format_date(o.get('available_to'))}",
        price=price,
        price_unit=label("unit", o.get("price_per")) if o.get("price_per") else "",
        place=places.place_name(o.get("country"), o.get("region")),
        t_badges=gettext("Claim and certificate"),
        t_verified=gettext("Certificate verified"),
        t_pending=gettext("Certificate awaiting verification"),  # issue 10: both states of staff verification
        t_quantity=gettext("Quantity"),
        t_available=gettext("Available"),
        t_price=gettext("Price"),
    )


def template_globals() -> dict[str, Any]:
    return {
        "_": gettext,
        "gettext": gettext,
        "ngettext": ngettext,
        "locale": get_locale,
        "SUPPORTED_LOCALES": SUPPORTED_LOCALES,
        "static": static_url,
        "fmt_number": format_number,
        "fmt_date": format_date,
        "fmt_datetime": format_datetime,
        "fmt_money": format_money,
        "fmt_duration": format_duration,
        "fmt_quantity": fmt_quantity,
        "label": label,
        "options": options,
        "species_label": species_label,
        "species_text": species_text,
        "offer_card_view": offer_card_view,
        "request_name": request_name,
        # Places are named, never coded: "Durango, México" in the reader's language (app/places.py).
        "place_name": places.place_name,
        "country_name": places.country_name,
        "region_name": places.region_name,
        "country_options": places.countries,
        "countries_among": places.countries_among,
        "region_options": places.regions,
        "country_bounds": places.country_bounds,
    }
