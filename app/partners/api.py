"""``GET /api/v1/programs/{id}/commitments``: the partners' commitments in a program."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.types import ControllerRouterHandler

from app.partners import services
from app.partners.schemas import CommitmentOut
from app.web import guards
from app.web.api_support import SIGNED_IN, api_errors


@get(
    "/api/v1/programs/{program_id:int}/commitments",
    tags=["programs"],
    summary="Partners' commitments in a program",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_commitments(request: Request[Any, Any, Any], program_id: FromPath[int]) -> list[CommitmentOut]:
    """The program's commitments: staff see every partner's, a partner's users only their organisation's (read
    here; written on the site). Anyone else gets 404."""
    rows = await services.commitments_of(request.user, program_id)
    return [
        CommitmentOut(
            id=int(r["id"]),
            program=int(r["program"]),
            organization=int(r["organization"]),
            organization_name=r["organization_name"],
            title=r["title"],
            description=r["description"],
            responsible=r["responsible"] or "",
            start_date=r["start_date"],
            end_date=r["end_date"],
            status=r["status"],
            indicators=list(r["indicators"]),
        )
        for r in rows
    ]


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_commitments]),
]
