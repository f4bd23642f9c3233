"""Traceability pages: the hub that leads each organisation to the parts it uses, and the buyer's due-diligence
downloads after a confirmed deal (the GeoJSON file of a lot, the printable origin summary)."""

from __future__ import annotations

import json
from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.response import Response, Template
from litestar.types import ControllerRouterHandler

from app.messaging import due_diligence
from app.traceability.roles import roles_of
from app.traceability.services import LotHasErrors
from app.validation import NotFound, page_number
from app.web import guards
from app.web.render import render


@get("/traceability", include_in_schema=False, name="traceability_hub")
async def hub(request: Request[Any, Any, Any]) -> Template:
    """Links to members and plots (groups), deliveries and lots (collectors), and the claims of confirmed deals."""
    return render(request, "traceability/hub.html.jinja2", {"roles": await roles_of(request.user)})


@get("/conversations/{conversation_id:int}/lots/{lot_ref:str}/due-diligence.geojson", include_in_schema=False)
async def dds_download(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], lot_ref: FromPath[str]
) -> Response[bytes] | Template:
    """A lot's due-diligence GeoJSON file for the buyer of a confirmed deal (``?part=2`` for the second of several);
    refused with the lot's error checks while it has any."""
    part = page_number(request.query_params.get("part") or "1", 1000)
    try:
        files = await due_diligence.lot_files(request.user, conversation_id, lot_ref)
    except LotHasErrors as exc:
        context = {
            "lot": lot_ref,
            "conversation_id": conversation_id,
            "messages": await due_diligence.refused_messages(lot_ref, exc),
        }
        return render(request, "traceability/dds_refused.html.jinja2", context, status_code=409)
    if part is None or part > len(files):
        raise NotFound()
    name = lot_ref if len(files) == 1 else f"{lot_ref}-{part}"
    return Response(
        content=json.dumps(files[part - 1], ensure_ascii=False).encode(),
        media_type="application/geo+json",
        headers={"Content-Disposition": f'attachment; filename="dds-{name}.geojson"'},
    )


@get("/conversations/{conversation_id:int}/origin-summary", include_in_schema=False)
async def origin_summary(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template:
    """A one-page, print-ready origin summary of the offer's lots for the buyer of a confirmed deal."""
    summary = await due_diligence.origin_summary(request.user, conversation_id)
    return render(request, "traceability/origin_summary.html.jinja2", summary)


ROUTES: list[ControllerRouterHandler] = [
    Router(path="/", guards=[guards.signed_in], route_handlers=[hub, dds_download, origin_summary]),
]
