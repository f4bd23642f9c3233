"""Who belongs to a program: the users of its member organisations.

An organisation is a member when the program names it (``program_organization``) or when its country, or its region
of a country, is one of the program's places (``program_region``; an empty region means the whole country). Both
questions are answered by one SQL statement each, never by filtering rows in Python.
"""

from __future__ import annotations

import time

from app.accounts.services import CurrentUser
from app.analytics.tables import Program
from app.bulletins.tables import ProgramPoster

_ORGANIZATIONS_OF_PROGRAM = """
SELECT o.id AS id FROM organization o
WHERE EXISTS (SELECT 1 FROM program_organization po WHERE po.program = {} AND po.organization = o.id)
   OR EXISTS (
        SELECT 1 FROM program_region pr
        WHERE pr.program = {} AND pr.country = o.country AND (pr.region = '' OR pr.region = o.region)
   )
ORDER BY o.id
"""

_PROGRAMS_OF_ORGANIZATION = """
SELECT po.program AS id FROM program_organization po WHERE po.organization = {}
UNION
SELECT pr.program AS id FROM program_region pr JOIN organization o ON o.id = {}
WHERE pr.country = o.country AND (pr.region = '' OR pr.region = o.region)
"""

_USERS_OF_PROGRAM = """
SELECT u.id AS id FROM account_user u
WHERE u.is_active = {} AND u.organization IN (
    SELECT o.id FROM organization o
    WHERE EXISTS (SELECT 1 FROM program_organization po WHERE po.program = {} AND po.organization = o.id)
       OR EXISTS (
            SELECT 1 FROM program_region pr
            WHERE pr.program = {} AND pr.country = o.country AND (pr.region = '' OR pr.region = o.region)
       )
)
ORDER BY u.id
"""


async def organization_ids_of_program(program_id: int) -> list[int]:
    """Ids of the organisations that belong to a program (named, or in one of its countries or regions)."""
    rows = await Program.raw(_ORGANIZATIONS_OF_PROGRAM, program_id, program_id)
    return [int(r["id"]) for r in rows]


async def member_user_ids(program_id: int) -> list[int]:
    """Ids of the active users of the program's member organisations."""
    rows = await Program.raw(_USERS_OF_PROGRAM, True, program_id, program_id)
    return [int(r["id"]) for r in rows]


async def program_ids_of_organization(organization_id: int | None) -> list[int]:
    if organization_id is None:
        return []
    rows = await Program.raw(_PROGRAMS_OF_ORGANIZATION, organization_id, organization_id)
    return sorted({int(r["id"]) for r in rows})


async def program_ids_of_user(user: CurrentUser) -> list[int]:
    """The programs a user belongs to through their organisation (staff: none by membership; they read all)."""
    return await program_ids_of_organization(user.organization_id)


async def readable_program_ids(user: CurrentUser) -> list[int] | None:
    """Programs whose updates the user reads: their organisation's and those they may post in; None for staff
    (every program)."""
    if user.is_staff:
        return None
    posting = await ProgramPoster.select(ProgramPoster.program).where(ProgramPoster.user == user.id)
    return sorted(set(await program_ids_of_user(user)) | {int(r["program"]) for r in posting})


#: (user id, e-mail) -> (monotonic time, whether they read at least one program): a short memory for the navigation
#: link (the e-mail too, so a database emptied and refilled, as in tests, never answers for a different user).
_NAV_CACHE: dict[tuple[int, str], tuple[float, bool]] = {}
NAV_TTL_S = 60.0
_NAV_CACHE_MAX = 10_000


async def has_programs(user: CurrentUser) -> bool:
    """Whether the navigation shows "Program updates" for this user: staff always; others when they read at least
    one program (remembered a minute per process, so most pages cost no query)."""
    if user.is_staff:
        return True
    moment = time.monotonic()
    key = (user.id, user.email)
    cached = _NAV_CACHE.get(key)
    if cached and moment - cached[0] < NAV_TTL_S:
        return cached[1]
    found = bool(await readable_program_ids(user))
    if len(_NAV_CACHE) >= _NAV_CACHE_MAX:
        _NAV_CACHE.clear()
    _NAV_CACHE[key] = (moment, found)
    return found


def forget_nav_cache() -> None:
    """Drop the remembered answers (tests; a program's members changed in this process)."""
    _NAV_CACHE.clear()
