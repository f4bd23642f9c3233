"""Who reads a program's updates: the users of its member organisations (the membership rule itself is
``app.agenda.membership``'s; this module adds the posters staff allow and the navigation's short memory)."""

from __future__ import annotations

import time

from app.accounts.services import CurrentUser
from app.agenda import membership
from app.agenda.membership import member_user_ids, organization_ids_of_program
from app.bulletins.tables import ProgramPoster

__all__ = [
    "forget_nav_cache",
    "has_programs",
    "member_user_ids",
    "organization_ids_of_program",
    "program_ids_of_organization",
    "program_ids_of_user",
    "readable_program_ids",
]


async def program_ids_of_organization(organization_id: int | None) -> list[int]:
    """The organisation's programs, in id order (``app.agenda.membership``'s rule)."""
    return sorted(await membership.program_ids_of_organization(organization_id))


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
