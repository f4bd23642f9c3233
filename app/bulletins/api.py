"""``GET /api/v1/programs/{id}/updates``: a program's updates as JSON (its members, its posters and staff)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from app.bulletins import services
from app.bulletins.schemas import ProgramUpdatePageOut, update_out
from app.web import guards
from app.web.api_support import SIGNED_IN, Page, api_errors


@get(
    "/api/v1/programs/{program_id:int}/updates",
    tags=["programs"],
    summary="A program's updates",
    security=SIGNED_IN,
    responses=api_errors(404),
)
async def api_program_updates(
    request: Request[Any, Any, Any], program_id: FromPath[int], page: Page = 1
) -> ProgramUpdatePageOut:
    """The program's updates, newest first, with their comment counts (withdrawn updates left out). A program the
    caller does not belong to is not found."""
    await services.readable_program(request.user, program_id)
    rows, total = await services.list_updates(request.user, page=page, program_id=program_id)
    return ProgramUpdatePageOut(
        items=[update_out(r) for r in rows], total=total, page=page, per_page=services.PAGE_SIZE
    )


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_program_updates]),
]
