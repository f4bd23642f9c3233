"""What an organisation does in latex traceability: a group manages members and plots; a collector (or a group
collecting for its own members) records deliveries and holds lots."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.services import CurrentUser
from app.certificates.tables import Certificate


@dataclass(frozen=True)
class TraceRoles:
    group: bool
    collector: bool
    staff: bool


async def holds_group_certificate(org_id: int) -> bool:
    """Whether the organisation holds a group certificate (it manages members, and collects for them)."""
    return await Certificate.exists().where(
        (Certificate.organization == org_id) & (Certificate.is_group == True)  # noqa: E712 - SQL
    )


async def roles_of(user: CurrentUser) -> TraceRoles:
    """The traceability parts this user's organisation may use (staff: all of them)."""
    if user.is_staff:
        return TraceRoles(group=True, collector=True, staff=True)
    if user.organization_id is None:
        return TraceRoles(group=False, collector=False, staff=False)
    group = await holds_group_certificate(user.organization_id)
    return TraceRoles(group=group, collector=group or user.organization_kind == "collector", staff=False)
