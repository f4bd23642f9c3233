"""Who belongs to a program: the one place that says it (the agenda, the partners, the program updates and the
demo all ask here).

An organisation is a member when the program names it (``program_organization``) or when its country, or its region
of a country, is one of the program's places (``program_region``; an empty region means the whole country). Each
question is one SQL statement built from the dashboard's program filter (``app.analytics.conditions.in_program``),
so a program's members are the organisations whose trade the dashboard counts for it; nothing is filtered in Python.
"""

from __future__ import annotations

from app.analytics.conditions import in_program
from app.analytics.tables import Program

#: The programs whose places hold the organisation ``{}`` or that name it (the rule asked the other way round).
_PROGRAMS_OF_ORGANIZATION = """
SELECT po.program AS id FROM program_organization po WHERE po.organization = {}
UNION
SELECT pr.program AS id FROM program_region pr JOIN organization o ON o.id = {}
WHERE pr.country = o.country AND (pr.region = '' OR pr.region = o.region)
"""


def _organizations_of_program(program_id: int) -> tuple[str, list[int]]:
    member = in_program("o", program_id)
    return f"SELECT o.id AS id FROM organization o WHERE {member.sql}", list(member.args)


async def organization_ids_of_program(program_id: int) -> list[int]:
    """Ids of the organisations that belong to a program (named, or in one of its countries or regions)."""
    query, args = _organizations_of_program(program_id)
    rows = await Program.raw(query + " ORDER BY o.id", *args)
    return [int(r["id"]) for r in rows]


async def member_user_ids(program_id: int) -> list[int]:
    """Ids of the active users of the program's member organisations."""
    query, args = _organizations_of_program(program_id)
    rows = await Program.raw(
        f"SELECT u.id AS id FROM account_user u WHERE u.is_active = {{}} AND u.organization IN ({query}) ORDER BY u.id",
        True,
        *args,
    )
    return [int(r["id"]) for r in rows]


async def program_ids_of_organization(org_id: int | None) -> set[int]:
    """Ids of the programs this organisation is a member of (none for no organisation)."""
    if org_id is None:
        return set()
    rows = await Program.raw(_PROGRAMS_OF_ORGANIZATION, org_id, org_id)
    return {int(r["id"]) for r in rows}


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
