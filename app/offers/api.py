"""JSON API for offers: public browsing, publishing and editing by producers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from litestar import Request, Router, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from app.accounts.services import CurrentUser
from app.i18n import gettext as _
from app.offers import services
from app.offers.schemas import OfferIn, OfferOut, OfferPage, OfferStatusIn, offer_out
from app.validation import Checker, FieldErrors
from app.vocab import ALL_PRODUCT_TYPES, CATEGORIES, CLAIMS, COUNTRY_RE, OFFER_STATUSES
from app.web import guards
from app.web.api_support import PUBLIC, SIGNED_IN, Page, api_errors
from app.web.api_types import code_query, vocab_query

TAGS = ["offers"]
NO_DELETE = (
    "Offers are never deleted: a buyer may be talking about one, and the program measures what was offered. "
    'There is no DELETE; close an offer with POST /api/v1/offers/{ref}/status and {"status": "closed"}.'
)
_NESTED_PRICE = {"price_amount": "price.amount", "price_currency": "price.currency"}


def _raw_offer(data: OfferIn) -> dict[str, Any]:
    """The service's raw dict; a nested price must be per the offer's unit (the service stores it that way)."""
    raw = data.raw()
    if data.price is not None and data.price.per is not None and data.price.per != data.unit:
        errors = {"price.per": _("The price must be per the offer's unit (%(unit)s).", unit=data.unit or "")}
        try:
            services.check_offer(raw)
        except FieldErrors as exc:
            errors = {**_rename(exc.errors, data), **errors}
        raise FieldErrors(errors, raw)
    return raw


def _rename(errors: dict[str, str], data: OfferIn) -> dict[str, str]:
    """Name price errors after the fields the caller sent (``price.amount`` when the nested object was used)."""
    if data.price is None:
        return errors
    flat_sent = {"price_amount": data.price_amount is not None, "price_currency": data.price_currency is not None}
    return {(_NESTED_PRICE[k] if k in _NESTED_PRICE and not flat_sent[k] else k): v for k, v in errors.items()}


async def _validated(data: OfferIn, write: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    raw = _raw_offer(data)
    try:
        return await write(raw)
    except FieldErrors as exc:
        raise FieldErrors(_rename(exc.errors, data), raw) from None


@get("/api/v1/offers", tags=TAGS, summary="Browse offers", security=PUBLIC, responses=api_errors())
async def api_offers(
    category: Annotated[str | None, vocab_query(CATEGORIES)] = None,
    product_type: Annotated[str | None, vocab_query(ALL_PRODUCT_TYPES)] = None,
    claim: Annotated[str | None, vocab_query(CLAIMS)] = None,
    country: Annotated[str | None, code_query(COUNTRY_RE, "MX")] = None,
    page: Page = 1,
) -> OfferPage:
    """Listed offers (as ``GET /api/v1/offers/{ref}`` shows them to anyone), newest first, 20 a page; no sign-in
    needed. Filters: ``category``
    (timber, latex), ``product_type``, ``claim`` (e.g. "FSC 100%"), ``country`` (ISO 3166-1, e.g. MX)."""
    query = {"category": category, "product_type": product_type, "claim": claim, "country": country}
    filters = services.OfferFilters.from_query({k: v for k, v in query.items() if v is not None})
    if filters.errors:
        raise FieldErrors(filters.errors)
    filters.page = page
    rows, total = await services.list_public_offer_rows(filters, per_page=services.PER_PAGE)
    return OfferPage(items=[offer_out(r) for r in rows], page=page, per_page=services.PER_PAGE, total=total)


@post(
    "/api/v1/offers",
    guards=[guards.producer],
    tags=TAGS,
    summary="Publish an offer",
    security=SIGNED_IN,
    responses=api_errors(401, 403),
    description="Publish an offer under one of your organisation's valid certificates (producers); the certificate "
    "must cover the product type. The price is flat (price_amount, price_currency) or the import format's "
    '{"amount", "currency", "per"} object. ' + NO_DELETE,
)
async def api_offer_create(request: Request[Any, Any, Any], data: JSONBody[OfferIn]) -> OfferOut:
    """Publish an offer under one of the organisation's valid certificates."""
    user: CurrentUser = request.user
    return offer_out(await _validated(data, lambda raw: services.create_offer(user, raw)))


@get("/api/v1/offers/{ref:str}", tags=TAGS, summary="Show an offer", security=PUBLIC, responses=api_errors(404))
async def api_offer(request: Request[Any, Any, Any], ref: FromPath[str]) -> OfferOut:
    """A listed offer (active, of an active organisation, under a valid certificate that has not expired and covers
    its product type), for anyone; any offer for its own producer and staff. Anything else answers 404."""
    return offer_out(await services.get_visible_offer(request.user, ref))


@put(
    "/api/v1/offers/{ref:str}",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="Edit an offer",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
    description="Replace an offer's fields (producers of the owning organisation); the certificate rules are "
    "checked again. " + NO_DELETE,
)
async def api_offer_update(request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[OfferIn]) -> OfferOut:
    """Replace an offer's fields (owner only)."""
    user: CurrentUser = request.user
    await services.get_visible_offer(user, ref)
    return offer_out(await _validated(data, lambda raw: services.update_offer(user, ref, raw)))


@post(
    "/api/v1/offers/{ref:str}/status",
    tags=TAGS,
    status_code=200,
    summary="Pause, re-activate or close an offer",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
    description="Set status to active, paused or closed (producers of the owning organisation); re-activating "
    "needs a valid certificate. " + NO_DELETE,
)
async def api_offer_status(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[OfferStatusIn]
) -> OfferOut:
    """Set an offer's status (owner only)."""
    user: CurrentUser = request.user
    await services.get_visible_offer(user, ref)
    c = Checker({"status": data.status})
    status = c.choice("status", OFFER_STATUSES, required=True)
    c.raise_if_errors()
    return offer_out(await services.set_offer_status(user, ref, status))


# Creating and editing keep their guards on the handler: they share a path with a public read, and Litestar
# cannot split one path between the application and a router.
ROUTES: list[ControllerRouterHandler] = [
    api_offers,
    api_offer_create,
    api_offer,
    api_offer_update,
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_offer_status]),
]
