"""JSON API: the public list of producer organisations (one organisation's profile is in controllers.py)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Router, get, put
from litestar.params import FromPath, JSONBody
from litestar.types import ControllerRouterHandler

from app.accounts import services
from app.accounts.schemas import MeOut, OrganizationIn, OrganizationOut, organization_out
from app.accounts.visibility import get_visible_organization, list_visible_organizations
from app.vocab import COUNTRY_RE, LEGAL_FORMS, ORG_KINDS
from app.web import guards
from app.web.api_support import PUBLIC, SIGNED_IN, Page, api_errors
from app.web.api_types import code, vocab

PER_PAGE = 20


# Kept beside its handler: accounts/schemas.py belongs to the organisation-profile API.
class OrganizationSummaryOut(msgspec.Struct):
    ref: str
    name: str
    #: producer, buyer or both; "program" is the backbone organisation staff belong to.
    kind: Annotated[str, vocab([*ORG_KINDS, "program"])]
    legal_form: Annotated[str, vocab(["", *LEGAL_FORMS])]
    country: Annotated[str, code(COUNTRY_RE, "MX", allow_empty=True)]
    region: str


class OrganizationPage(msgspec.Struct):
    items: list[OrganizationSummaryOut]
    page: int
    per_page: int
    total: int


@get(
    "/api/v1/organizations",
    tags=["organizations"],
    summary="List organisations",
    security=PUBLIC,
    responses=api_errors(),
)
async def api_organizations(request: Request[Any, Any, Any], page: Page = 1) -> OrganizationPage:
    """Active producer organisations by name, 20 a page; no sign-in needed. Staff see every organisation."""
    rows, total = await list_visible_organizations(request.user, page=page, per_page=PER_PAGE)
    items = [
        OrganizationSummaryOut(
            ref=r["ref"],
            name=r["name"],
            kind=r["kind"],
            legal_form=r["legal_form"],
            country=r["country"],
            region=r["region"],
        )
        for r in rows
    ]
    return OrganizationPage(items=items, page=page, per_page=PER_PAGE, total=total)


@get(
    "/api/v1/me",
    tags=["accounts"],
    summary="Who am I",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_me(request: Request[Any, Any, Any]) -> MeOut:
    """The signed-in user and organisation."""
    u = request.user
    return MeOut(email=u.email, name=u.name, role=u.role, organization=u.organization_ref, locale=u.locale)


@get(
    "/api/v1/organizations/{ref:str}",
    tags=["organizations"],
    summary="Show an organisation",
    security=PUBLIC,
    responses=api_errors(404),
)
async def api_organization(request: Request[Any, Any, Any], ref: FromPath[str]) -> OrganizationOut:
    """The profile of an active producer organisation (no sign-in needed); members also read their own, staff any.
    Other organisations answer 404."""
    return organization_out(await get_visible_organization(request.user, ref), with_contact=False)


@put(
    "/api/v1/organizations/{ref:str}",
    guards=[guards.signed_in],
    tags=["organizations"],
    summary="Edit an organisation",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_organization_update(
    request: Request[Any, Any, Any], ref: FromPath[str], data: JSONBody[OrganizationIn]
) -> OrganizationOut:
    """Update an organisation profile (its own members or staff)."""
    org = await get_visible_organization(request.user, ref)
    await services.update_organization(request.user, org["id"], msgspec.structs.asdict(data))
    return organization_out(await services.get_organization(ref), with_contact=True)


# Editing keeps its guard on the handler: it shares a path with the public read, and Litestar cannot split one
# path between the application and a router.
ROUTES: list[ControllerRouterHandler] = [
    api_organizations,
    api_organization,
    api_organization_update,
    Router(path="/", guards=[guards.signed_in], route_handlers=[api_me]),
]
