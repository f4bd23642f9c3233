"""The lot page: a lot's derived claim, checks and origin, in detail for those allowed and at coarse level for
everyone else (signed-in users, and visitors following an offer the lot backs)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Router, get
from litestar.params import FromPath
from litestar.response import Template
from litestar.types import ControllerRouterHandler

from app.offers.services import lot_backs_listed_offer
from app.traceability.lot_view import lot_page
from app.validation import MAX_PAGE
from app.web.render import render


def _page_number(request: Request[Any, Any, Any], name: str) -> int:
    raw = request.query_params.get(name, "1")
    return min(int(raw), MAX_PAGE) if raw.isdigit() and int(raw) > 0 else 1


@get("/traceability/lots/{ref:str}", include_in_schema=False, name="lot_page")
async def lot_detail_page(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    """One lot: claim and how it was derived, EUDR readiness, counts, checks and origin map."""
    user = request.user
    public_ok = user is not None or await lot_backs_listed_offer(ref)
    pages = {name: _page_number(request, f"{name}_page") for name in ("members", "plots", "deliveries")}
    view = await lot_page(user, ref, pages, public_ok=public_ok)
    return render(request, "traceability/lot/page.html.jinja2", {"lot": view, "ref": ref})


# Open to visitors: the page itself decides between detail, the public view and 404.
ROUTES: list[ControllerRouterHandler] = [Router(path="/", route_handlers=[lot_detail_page])]
