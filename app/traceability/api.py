"""JSON API for latex traceability: a lot's derived claim, counts and checks."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from app.traceability.schemas import LotOut
from app.traceability.services import lot_for_user
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors


@get(
    "/api/v1/lots/{ref:str}",
    tags=["traceability"],
    summary="A lot's claim, counts and checks",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_lot(request: Request[Any, Any, Any], ref: FromPath[str]) -> LotOut:
    """The lot derived from its records as they are now: FSC claim and certified share, EUDR readiness, the counts of
    members, plots and deliveries behind it, and its checks. Staff, the lot's holder, the groups of its members and
    the collectors of its deliveries read every check message as derived; anyone else signed in reads them with
    smallholders' names replaced by their member codes."""
    return msgspec.convert(await lot_for_user(request.user, ref), LotOut)


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_lot]),
]
