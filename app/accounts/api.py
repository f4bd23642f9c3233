"""JSON API: the public list of producer organisations (one organisation's profile is in controllers.py)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter

from app.accounts import services
from app.accounts.tables import Organization
from app.validation import MAX_PAGE

PER_PAGE = 20
PRODUCER_KINDS = ("producer", "both")
#: Who may call an operation: signed-in (session cookie + x-csrftoken, or Bearer token), or also anonymous.
SIGNED_IN: list[dict[str, list[str]]] = [{"token": []}]
#: A page number in list endpoints (pages beyond the last are empty; the bound keeps offsets sane).
Page = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE, description="Page number, from 1.")]
PUBLIC: list[dict[str, list[str]]] = [{}, {"token": []}]


# --- the error shape every /api/v1 operation answers with (built by app/web/errors.py) ---------------------------
class FieldMessage(msgspec.Struct):
    field: str
    message: str


class ApiError(msgspec.Struct):
    status_code: int
    detail: str
    #: One entry per invalid field (400 only); nested objects are named like ``price.amount``.
    errors: list[FieldMessage] | None = None


_ERROR_TEXT = {
    400: "Some fields are not valid: one message per field in errors.",
    401: "Not signed in, or the API token is unknown or revoked.",
    403: "The account's role or organisation may not do this (or the CSRF header is missing).",
    404: "No such record, or not visible to this account.",
}


def api_errors(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers an operation can give (400 always: malformed input)."""
    return {code: ResponseSpec(data_container=ApiError, description=_ERROR_TEXT[code]) for code in (400, *codes)}


# Kept beside its handler: accounts/schemas.py belongs to the organisation-profile API.
class OrganizationSummaryOut(msgspec.Struct):
    ref: str
    name: str
    kind: str
    legal_form: str
    country: str
    region: str


class OrganizationPage(msgspec.Struct):
    items: list[OrganizationSummaryOut]
    page: int
    per_page: int
    total: int


async def _public_producers(page: int) -> tuple[list[dict[str, Any]], int]:
    """Active producer organisations by name (the services' organisation list is the staff-only one)."""
    where = (Organization.kind.is_in(list(PRODUCER_KINDS))) & (Organization.is_active == True)  # noqa: E712
    total = await Organization.count().where(where)
    rows = await (
        Organization.select(
            Organization.ref,
            Organization.name,
            Organization.kind,
            Organization.legal_form,
            Organization.country,
            Organization.region,
        )
        .where(where)
        .order_by(Organization.name)
        .order_by(Organization.ref)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    return rows, total


@get(
    "/api/v1/organizations",
    tags=["organizations"],
    summary="List organisations",
    security=PUBLIC,
    responses=api_errors(),
)
async def api_organizations(request: Request[Any, Any, Any], page: Page = 1) -> OrganizationPage:
    """Active producer organisations by name, 20 a page; no sign-in needed. Staff see every organisation."""
    user: services.CurrentUser | None = request.user
    if user is not None and user.is_staff:
        rows, total = await services.list_organizations(user, page=page, per_page=PER_PAGE)
    else:
        rows, total = await _public_producers(page)
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


ROUTES = [api_organizations]
