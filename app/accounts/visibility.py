"""Who may see an organisation: the public rule for organisation profiles, defined once.

A producer organisation (kind ``producer`` or ``both``) that is active has a public profile: its page, its entry in
the public organisation list and ``GET /api/v1/organizations/{ref}``. Buyers' organisations and deactivated ones are
seen only by their own members and staff (everyone else gets "not found", so their refs reveal nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.accounts.services import CurrentUser, get_organization, list_organizations
from app.accounts.tables import Organization
from app.validation import NotFound

#: Organisation kinds that sell (and so have a public profile).
PRODUCER_KINDS: tuple[str, ...] = ("producer", "both")


def public_condition() -> Any:
    """The rule as an ORM condition on ``Organization``."""
    return Organization.kind.is_in(list(PRODUCER_KINDS)) & (Organization.is_active == True)  # noqa: E712


def is_public(org: Mapping[str, Any]) -> bool:
    """The same rule on one organisation row."""
    return org["kind"] in PRODUCER_KINDS and bool(org["is_active"])


def may_see(user: CurrentUser | None, org: Mapping[str, Any]) -> bool:
    """Public profiles for everyone; any organisation for its own members and staff."""
    return is_public(org) or (user is not None and (user.is_staff or user.organization_id == org["id"]))


async def get_visible_organization(user: CurrentUser | None, ref: str) -> dict[str, Any]:
    """The organisation if this user may see it (NotFound otherwise)."""
    org = await get_organization(ref)
    if not may_see(user, org):
        raise NotFound()
    return org


async def list_visible_organizations(
    user: CurrentUser | None, *, page: int, per_page: int
) -> tuple[list[dict[str, Any]], int]:
    """The organisations this user may list, one page and the total: active producers by name for everyone,
    every organisation for staff (the staff list of ``app.accounts.services``)."""
    if user is not None and user.is_staff:
        return await list_organizations(user, page=page, per_page=per_page)
    where = public_condition()
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
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, total
