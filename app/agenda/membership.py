"""Who belongs to a program: organisations it names, and organisations whose country (or region) it covers.

The same rule as the dashboard's program filter (``app.analytics.conditions.in_program``), asked the other way round.
"""

from __future__ import annotations

from app.accounts.tables import Organization
from app.analytics.tables import Program, ProgramOrganization, ProgramRegion


async def program_ids_of_organization(org_id: int | None) -> set[int]:
    """Ids of the programs this organisation is a member of (none for no organisation)."""
    if org_id is None:
        return set()
    org = await Organization.select(Organization.country, Organization.region).where(Organization.id == org_id).first()
    if org is None:
        return set()
    named = await ProgramOrganization.select(ProgramOrganization.program).where(
        ProgramOrganization.organization == org_id
    )
    ids = {int(r["program"]) for r in named}
    if org["country"]:
        regions = await ProgramRegion.select(ProgramRegion.program, ProgramRegion.region).where(
            ProgramRegion.country == org["country"]
        )
        ids |= {int(r["program"]) for r in regions if r["region"] in ("", org["region"])}
    return ids


async def organization_is_member(program_id: int, org_id: int | None) -> bool:
    """Whether the organisation is a member of the program."""
    return program_id in await program_ids_of_organization(org_id)


async def programs_of_organization(org_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the organisation's programs, by name (for links from its dashboard)."""
    ids = await program_ids_of_organization(org_id)
    if not ids:
        return []
    rows = await Program.select(Program.id, Program.name).where(Program.id.is_in(sorted(ids))).order_by(Program.name)
    return [(int(r["id"]), r["name"]) for r in rows]
