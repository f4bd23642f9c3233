"""JSON API for sourcing requests: buyers post and manage what they want to buy."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request, Router, get, post, put
from litestar.params import FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from app.accounts.services import CurrentUser
from app.sourcing import services
from app.sourcing.schemas import RequestIn, RequestOut, RequestPage, RequestStatusIn, request_out
from app.validation import Checker, FieldErrors
from app.vocab import REQUEST_STATUSES
from app.web import guards
from app.web.api_support import SIGNED_IN, Page, api_errors

PER_PAGE = 20
TAGS = ["sourcing requests"]
_DELIVERY_FIELDS = ("country", "region", "place", "lat", "lon")


def _rename(errors: dict[str, str], data: RequestIn) -> dict[str, str]:
    """Name delivery errors after the fields the caller sent (``delivery.country`` when the object was used)."""
    if data.delivery is None:
        return errors
    nested = {f"delivery_{k}": f"delivery.{k}" for k in _DELIVERY_FIELDS if getattr(data.delivery, k) is not None}
    return {nested.get(k, k): v for k, v in errors.items()}


async def _validated(data: RequestIn, write: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]) -> dict[str, Any]:
    raw = data.raw()
    try:
        return await write(raw)
    except FieldErrors as exc:
        raise FieldErrors(_rename(exc.errors, data), raw) from None


@get(
    "/api/v1/requests",
    tags=TAGS,
    summary="List sourcing requests",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_requests(request: Request[Any, Any, Any], page: Page = 1) -> RequestPage:
    """Your organisation's sourcing requests, most recently changed first (staff: every organisation's)."""
    rows, total = await services.list_requests_page(request.user, page=page, per_page=PER_PAGE)
    return RequestPage(items=[request_out(r) for r in rows], page=page, per_page=PER_PAGE, total=total)


@post(
    "/api/v1/requests",
    guards=[guards.buyer],  # on top of the router's signed_in
    tags=TAGS,
    summary="Post a sourcing request",
    security=SIGNED_IN,
    responses=api_errors(401, 403),
)
async def api_request_create(request: Request[Any, Any, Any], data: JSONBody[RequestIn]) -> RequestOut:
    """Post what your organisation wants to buy (buyers). The delivery place is the import format's ``delivery``
    object or flat ``delivery_*`` fields."""
    user: CurrentUser = request.user
    return request_out(await _validated(data, lambda raw: services.create_request(user, raw)))


@get(
    "/api/v1/requests/{ref:str}",
    tags=TAGS,
    summary="Show a sourcing request",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_request(request: Request[Any, Any, Any], ref: FromPath[str]) -> RequestOut:
    """One sourcing request, for whoever may read it; others get 404.

    Your organisation's requests (staff: any) in full. A producer organisation reads an open request one of its
    active offers fits, and any request it has a conversation about, without the buyer's private fields:
    ``target_price`` is null and ``delivery.lat`` / ``delivery.lon`` are null (the place, region and country stay).
    """
    return request_out((await services.request_for_reader(request.user, ref)).row)


@put(
    "/api/v1/requests/{ref:str}",
    tags=TAGS,
    summary="Edit a sourcing request",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_request_update(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[RequestIn]
) -> RequestOut:
    """Replace a request's fields (buyers of the owning organisation)."""
    user: CurrentUser = request.user
    await services.get_request_for(user, ref)
    return request_out(await _validated(data, lambda raw: services.update_request(user, ref, raw)))


@post(
    "/api/v1/requests/{ref:str}/status",
    tags=TAGS,
    status_code=200,
    summary="Close or re-open a sourcing request",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_request_status(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[RequestStatusIn]
) -> RequestOut:
    """Set ``status`` to open or closed (buyers of the owning organisation). Requests are closed, not deleted."""
    user: CurrentUser = request.user
    await services.get_request_for(user, ref)
    c = Checker({"status": data.status})
    status = c.choice("status", REQUEST_STATUSES, required=True)
    c.raise_if_errors()
    return request_out(await services.set_request_status(user, ref, status))


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[api_requests, api_request_create, api_request, api_request_update, api_request_status],
    ),
]
