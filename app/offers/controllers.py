"""HTTP page handlers for offers: the public list and detail, producer profiles, and a producer's own offers.

The JSON API for offers lives in ``app/offers/api.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
from collections import OrderedDict
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Response, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from app.accounts import visibility as organizations
from app.accounts.services import get_organization
from app.certificates import services as certificates
from app.i18n import get_locale
from app.messaging.trust import producer_trust
from app.offers import cards, listing, services
from app.offers.forms import OFFER_CHOICES
from app.offers.services import get_own_offer, get_visible_offer, owns
from app.traceability.offer_lots import backing, held_lot_options, offer_lot_warnings
from app.validation import FieldErrors, NotFound
from app.vocab import CATEGORIES, PRODUCT_TYPES, UNITS
from app.web import guards, microcache
from app.web.forms import read_form, stale_choices, with_other_errors
from app.web.render import render, see_other, wants_fragment


# --- public pages ----------------------------------------------------------------------------------------------
async def _offer_countries(stamp: Any, index: listing.Listing | None) -> tuple[str, ...]:
    """The filter's countries, kept like the results until a change (the same for every visitor)."""
    key = ("offer-countries", stamp)
    cached = microcache.get(key)
    if cached is None:
        cached = tuple(await services.public_offer_countries(index))
        microcache.put(key, cached)
    return cached


def _jinja(request: HTMXRequest) -> JinjaTemplateEngine:
    engine = request.app.template_engine
    assert isinstance(engine, JinjaTemplateEngine)  # app.web.config.template_config
    return engine


def _csrf_token(request: HTMXRequest) -> str:
    return str(value_or_default(ScopeState.from_scope(request.scope).csrf_token, ""))


#: Where a visitor's page takes its results (a comment no page can contain: it is random per process).
_RESULTS_MARK = Markup(f"<!--offer-results-{secrets.token_hex(16)}-->")
MAX_VISITOR_PAGES = 512
_visitor_pages: OrderedDict[tuple[Any, ...], tuple[tuple[str, ...], tuple[str, ...]]] = OrderedDict()
microcache.also_forget(_visitor_pages.clear)
microcache.also_forget(cards.forget)
microcache.also_forget(listing.forget)


def _visitor_page(request: HTMXRequest, context: dict[str, Any], token: str) -> str | None:
    """The list page of a visitor who is not signed in, from the page around the results kept by everything it shows.

    Around the results, a visitor's page is the same for every visitor but for the CSRF token (random per visitor):
    it is rendered once per path, language, filters and list of countries, and kept in pieces cut at the token and
    at the results. None when the page cannot be cut so (then it is rendered as every other page)."""
    filters: services.OfferFilters = context["filters"]
    # The filters as the results' key names them (``as_query``), so a filter added there keys this page too.
    key = (
        request.url.path,
        get_locale(),
        tuple(sorted(filters.as_query().items())),
        filters.page,
        tuple(sorted(filters.errors.items())),
        context["countries"],
    )
    pieces = _visitor_pages.get(key)
    if pieces is None:
        page = Template(template_name="offers/page.html.jinja2", context={**context, "results_html": _RESULTS_MARK})
        template = _jinja(request).get_template("offers/page.html.jinja2")
        before, mark, after = template.render(**page.create_template_context(request)).partition(_RESULTS_MARK)
        if not mark or _RESULTS_MARK in after:
            return None
        pieces = (tuple(before.split(token)), tuple(after.split(token)))
        _visitor_pages[key] = pieces
        if len(_visitor_pages) > MAX_VISITOR_PAGES:
            _visitor_pages.popitem(last=False)
    else:
        _visitor_pages.move_to_end(key)
    # Plain strings: joining with the Markup of the results would escape the rest of the page.
    return "".join((token.join(pieces[0]), str(context["results_html"]), token.join(pieces[1])))


#: Where the results take a card (a comment no card can contain: it is random per process).
_CARD_MARK = Markup(f"<!--offer-card-{secrets.token_hex(16)}-->")
MAX_RESULT_SHELLS = 2048
_result_shells: OrderedDict[tuple[Any, ...], tuple[str, ...]] = OrderedDict()
microcache.also_forget(_result_shells.clear)


def _results_html(request: HTMXRequest, filters: services.OfferFilters, found: services.OfferPage) -> Markup:
    """The results fragment: its cards (kept by content, ``app.offers.cards``) within the text around them, which is
    kept by everything it shows (language, filters, page, their errors, the total and the number of cards), cut where
    the cards go."""
    env = _jinja(request).engine
    key = (
        get_locale(),
        tuple(sorted(filters.as_query().items())),
        filters.page,
        tuple(sorted(filters.errors.items())),
        found.total,
        found.exact,
        len(found.rows),
        services.PER_PAGE,
    )
    context = {
        "filters": filters,
        "rows": found.rows,
        "total": found.total,
        # Past the count's cap the number of pages is not known: the pages then say "more than" and go on.
        "total_exact": found.exact,
        "pages": max(1, math.ceil(found.total / services.PER_PAGE)) if found.exact else None,
        "base_query": urlencode(filters.as_query()),
        "errors": filters.errors,
        "card": partial(cards.card_html, env),
    }
    template = _jinja(request).get_template("offers/_results.html.jinja2")
    pieces = _result_shells.get(key)
    if pieces is None:
        shell = template.render(**{**context, "rows": list(range(len(found.rows))), "card": lambda _: _CARD_MARK})
        pieces = tuple(shell.split(_CARD_MARK))
        if len(pieces) != len(found.rows) + 1:  # not one mark per card: rendered whole
            return Markup(template.render(**context))  # our own template's output, already escaped
        _result_shells[key] = pieces
        if len(_result_shells) > MAX_RESULT_SHELLS:
            _result_shells.popitem(last=False)
    else:
        _result_shells.move_to_end(key)
    parts = [pieces[0]]
    for row, after in zip(found.rows, pieces[1:], strict=True):
        parts.append(cards.card_html(env, row))
        parts.append(after)
    return Markup("".join(parts))  # our own template's output and cards, already escaped


@get("/offers", include_in_schema=False, name="offer_list")
async def offer_list(request: HTMXRequest) -> Template | Response[str]:
    """Active certified offers with simple filters; htmx swaps only the results.

    The results fragment is the same for every visitor, so it is rendered once per filter set and language
    and kept until the listed data change (``app.web.microcache``); its cards are kept by content
    (``app.offers.cards``), and a visitor's page around it by what it shows (``_visitor_page``).
    """
    stamp = await microcache.stamp()  # before any data is read
    filters = services.OfferFilters.from_query(dict(request.query_params))
    key = (
        "offers",
        stamp,
        get_locale(),
        tuple(sorted(filters.as_query().items())),
        filters.page,
        tuple(sorted(filters.errors.items())),
    )
    results_html = microcache.get(key)
    index: listing.Listing | None = None
    if results_html is None:
        found = await services.browse_public_offers(filters)
        index = found.index  # current when the page's rows were read: the countries come from it too
        results_html = _results_html(request, filters, found)
        microcache.put(key, results_html)
    if wants_fragment(request):
        return Response(content=str(results_html), media_type=MediaType.HTML)
    context = {
        "filters": filters,
        "errors": filters.errors,
        "results_html": results_html,
        "countries": await _offer_countries(stamp, index),
    }
    token = _csrf_token(request)
    if request.scope.get("user") is None and token and (html := _visitor_page(request, context, token)) is not None:
        return Response(content=html, media_type=MediaType.HTML)
    return render(request, "offers/page.html.jinja2", context)


@get("/offers/{ref:str}", include_in_schema=False, name="offer_detail")
async def offer_detail(request: HTMXRequest, ref: FromPath[str]) -> Template:
    """Everything about one offer; the producer's contact e-mail only for signed-in buyers."""
    user = request.user
    offer = await get_visible_offer(user, ref)
    contact_email = None
    if user is not None and user.is_buyer:
        contact_email = (await get_organization(offer["organization_ref"]))["contact_email"]
    context = {
        "offer": offer,
        "contact_email": contact_email,
        "is_owner": owns(user, offer),
        "is_staff": user is not None and user.is_staff,
        "hidden_reasons": services.hidden_reasons(offer),
        "backing": await backing(offer.get("lots")),
        # A lot's answer may have changed since the offer was saved: its producer is told, the offer is left as is.
        "lot_warnings": await offer_lot_warnings(offer) if owns(user, offer) else [],
    }
    return render(request, "offers/detail.html.jinja2", context)


@get("/producers/{ref:str}", include_in_schema=False, name="producer_profile")
async def producer_profile(request: HTMXRequest, ref: FromPath[str]) -> Template:
    """A producer's public profile: where it is, its certificates and its active offers."""
    org = await get_organization(ref)
    if not organizations.is_public(org):
        raise NotFound()
    user = request.user
    today = dt.date.today()
    offers = await services.list_for_organization(org["id"], listed_only=True)
    context = {
        "org": org,
        "certificates": await certificates.list_for_organization(org["id"]),
        "offers": offers,
        "show_contact": user is not None and user.is_buyer,
        "today": today,
        "trust": await producer_trust(org["id"]),
    }
    return render(request, "producers/page.html.jinja2", context)


# --- a producer's own offers -----------------------------------------------------------------------------------
def _plain(value: Any) -> str:
    """A stored value as the form shows it (Decimal without trailing zeros, dates ISO, None empty)."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)  # shortest exact form: keeps all six decimals of a coordinate
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def offer_form_values(offer: dict[str, Any]) -> dict[str, Any]:
    """The edit form's values from a stored offer."""
    keys = (
        "category",
        "product_type",
        "title",
        "description",
        "claim",
        "quantity",
        "unit",
        "drc_percent",
        "min_order",
        "available_from",
        "available_to",
        "lat",
        "lon",
        "price_amount",
        "price_currency",
        "incoterm",
    )
    values = {k: _plain(offer.get(k)) for k in keys}
    values["certificate"] = offer["certificate_ref"]
    values["species"] = ", ".join(offer.get("species") or [])
    values["lots"] = list(offer.get("lots") or [])
    return values


async def _form_page(
    request: HTMXRequest,
    values: dict[str, Any],
    errors: dict[str, str],
    *,
    offer: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    user = request.user
    context = {
        "values": values,
        "errors": errors,
        "offer": offer,
        "certificates": await certificates.list_for_organization(user.organization_id),
        "lot_options": await held_lot_options(user.organization_id),
        "action": f"/my/offers/{offer['ref']}/edit" if offer else "/my/offers/new",
    }
    return render(request, "offers/form.html.jinja2", context, status_code=status_code)


async def _my_offers_page(request: HTMXRequest, status_errors: dict[str, str], status_code: int = 200) -> Template:
    rows = await services.list_for_organization(request.user.organization_id)
    today = dt.date.today()
    for row in rows:
        row["hidden_reasons"] = services.hidden_reasons(row, today)
    context = {"rows": rows, "status_errors": status_errors}
    return render(request, "offers/mine.html.jinja2", context, status_code=status_code)


@get("/my/offers", include_in_schema=False, name="my_offers")
async def my_offers(request: HTMXRequest) -> Template:
    """The producer's offers with their status and quick actions."""
    return await _my_offers_page(request, {})


@get("/my/offers/new", include_in_schema=False)
async def offer_new_page(request: HTMXRequest) -> Template:
    return await _form_page(request, {"category": "timber", "claim": "FSC 100%"}, {})


@post("/my/offers/new", include_in_schema=False)
async def offer_new_submit(request: HTMXRequest) -> Template | Redirect:
    """Publish a new offer under one of the organisation's certificates."""
    data = await read_form(request, multi=("lots",))
    stale = stale_choices(data, OFFER_CHOICES)
    if stale:
        return await _form_page(request, data, with_other_errors(services.check_offer, data, stale), status_code=422)
    try:
        offer = await services.create_offer(request.user, data)
    except FieldErrors as exc:
        return await _form_page(request, data, exc.errors, status_code=422)
    return see_other(f"/offers/{offer['ref']}?published=1")  # the page confirms it (and says what buyers see)


@get("/my/offers/{ref:str}/edit", include_in_schema=False)
async def offer_edit_page(request: HTMXRequest, ref: FromPath[str]) -> Template:
    offer = await get_own_offer(request.user, ref)
    return await _form_page(request, offer_form_values(offer), {}, offer=offer)


@post("/my/offers/{ref:str}/edit", include_in_schema=False)
async def offer_edit_submit(request: HTMXRequest, ref: FromPath[str]) -> Template | Redirect:
    """Save changes to one's own offer (the service checks ownership and the certificate again)."""
    data = await read_form(request, multi=("lots",))
    stale = stale_choices(data, OFFER_CHOICES)
    if stale:
        errors = with_other_errors(services.check_offer, data, stale)
        return await _form_page(request, data, errors, offer=await get_own_offer(request.user, ref), status_code=422)
    try:
        offer = await services.update_offer(request.user, ref, data)
    except FieldErrors as exc:
        return await _form_page(
            request, data, exc.errors, offer=await get_own_offer(request.user, ref), status_code=422
        )
    return see_other(f"/offers/{offer['ref']}?saved=1")


@post("/my/offers/{ref:str}/status", include_in_schema=False)
async def offer_status_submit(request: HTMXRequest, ref: FromPath[str]) -> Template | Redirect:
    """Pause, re-activate or close one's own offer."""
    data = await read_form(request)
    try:
        await services.set_offer_status(request.user, ref, data.get("status", ""))
    except FieldErrors as exc:
        return await _my_offers_page(request, {ref: exc.errors.get("status", "")}, status_code=422)
    return see_other("/my/offers")


@get("/my/offers/form-options", include_in_schema=False)
async def offer_form_options(
    request: HTMXRequest, category: FromQuery[str] = "", product_type: FromQuery[str] = "", unit: FromQuery[str] = ""
) -> Template:
    """The product type and unit selects for a category (htmx swaps them in when the category changes); a chosen
    type or unit that fits the new category stays chosen."""
    category = category if category in CATEGORIES else ""
    values = {
        "category": category,
        "product_type": product_type if product_type in PRODUCT_TYPES.get(category, {}) else "",
        "unit": unit if unit in UNITS.get(category, {}) else "",
    }
    context = {"values": values, "errors": {}, "standalone": True}
    return Template(template_name="offers/_product_unit.html.jinja2", context=context)


ROUTES: list[ControllerRouterHandler] = [
    offer_list,
    offer_detail,
    producer_profile,
    Router(
        path="/",
        guards=[guards.producer],
        route_handlers=[
            my_offers,
            offer_new_page,
            offer_new_submit,
            offer_edit_page,
            offer_edit_submit,
            offer_status_submit,
            offer_form_options,
        ],
    ),
]
