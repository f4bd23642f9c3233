"""Builders for the program updates tests: programs with named members or places, and users in them."""

from __future__ import annotations

from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.analytics.tables import Program, ProgramOrganization, ProgramRegion
from app.bulletins import services
from app.bulletins.membership import forget_nav_cache
from app.bulletins.tables import ProgramPoster
from tests.factories import make_user


async def make_program(name: str, *, orgs: list[CurrentUser] = (), places: list[tuple[str, str]] = ()) -> int:  # type: ignore[assignment]
    """A program naming the organisations of ``orgs`` and the (country, region) ``places``."""
    forget_nav_cache()
    program = Program(name=name, description="")
    await program.save()
    for user in orgs:
        await ProgramOrganization(program=program.id, organization=user.organization_id).save()
    for country, region in places:
        await ProgramRegion(program=program.id, country=country, region=region).save()
    return int(program.id)


async def user_in(country: str, region: str = "", role: str = "producer") -> CurrentUser:
    """A user whose organisation sits in ``country`` (and ``region``)."""
    user = await make_user(role, country=country)
    await Organization.update({Organization.region: region}).where(Organization.id == user.organization_id)
    return user


async def allow_poster(program_id: int, user: CurrentUser) -> None:
    await ProgramPoster(program=program_id, user=user.id).save()
    forget_nav_cache()


async def post(user: CurrentUser, program_id: int, **values: Any) -> int:
    raw = {"program": str(program_id), "title": "Taller de manejo forestal", "body": "Les invitamos.\n\nHabrá café."}
    return await services.post_update(user, {**raw, **values})
