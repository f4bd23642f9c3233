"""Programs: staff create, edit and delete the groupings of regions and organisations the dashboard filters by."""

from __future__ import annotations

import re
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.analytics.tables import Program, ProgramOrganization, ProgramRegion
from app.clock import now
from app.db import Row, atomic
from app.i18n import gettext as _
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import COUNTRY_RE, REGION_RE

MAX_MEMBERS = 500
_SPLIT = re.compile(r"[\s,;]+")


def _staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDenied()


def _codes(raw: Any) -> list[str]:
    if isinstance(raw, list):
        raw = " ".join(str(x) for x in raw)
    return [c for c in _SPLIT.split(str(raw or "").strip()) if c]


async def list_programs(user: CurrentUser) -> list[Row]:
    """Every program with its member counts, by name."""
    _staff(user)
    programs = await Program.select().order_by(Program.name)
    regions = await ProgramRegion.select(ProgramRegion.program, ProgramRegion.country, ProgramRegion.region)
    members = await ProgramOrganization.select(ProgramOrganization.program)
    out = []
    for p in programs:
        codes = [r["region"] or r["country"] for r in regions if r["program"] == p["id"]]
        count = sum(1 for m in members if m["program"] == p["id"])
        out.append(Row(p, regions=sorted(codes), organization_count=count))
    return out


async def program_choices() -> list[tuple[int, str]]:
    """(id, name) of every program, for the dashboard's filter."""
    return [(r["id"], r["name"]) for r in await Program.select(Program.id, Program.name).order_by(Program.name)]


async def get_program(user: CurrentUser, program_id: int) -> Row:
    """A program with its regions (as codes) and member organisation refs, for the edit form."""
    _staff(user)
    row = await Program.select().where(Program.id == program_id).first()
    if not row:
        raise NotFound()
    regions = await ProgramRegion.select().where(ProgramRegion.program == program_id)
    orgs = await ProgramOrganization.select(
        ProgramOrganization.organization.ref.as_alias("ref"), ProgramOrganization.organization.name.as_alias("name")
    ).where(ProgramOrganization.program == program_id)
    return Row(
        row,
        regions=" ".join(sorted(r["region"] or r["country"] for r in regions)),
        organizations=" ".join(sorted(o["ref"] for o in orgs)),
        organization_names=sorted(o["name"] for o in orgs),
    )


async def _clean(
    raw: dict[str, Any], program_id: int | None
) -> tuple[dict[str, Any], list[tuple[str, str]], list[int]]:
    c = Checker(raw)
    name = c.text("name", required=True, max_len=120)
    description = c.text("description", max_len=2000)
    places: list[tuple[str, str]] = []
    bad = [
        code
        for code in _codes(raw.get("regions"))
        if not (COUNTRY_RE.match(code.upper()) or REGION_RE.match(code.upper()))
    ]
    if bad:
        c.fail(
            "regions",
            _("Not a country or region code: %(codes)s. Use codes such as MX or MX-DUR.", codes=", ".join(bad)),
        )
    for code in dict.fromkeys(x.upper() for x in _codes(raw.get("regions"))):
        if REGION_RE.match(code):
            places.append((code[:2], code))
        elif COUNTRY_RE.match(code):
            places.append((code, ""))
    refs = list(dict.fromkeys(_codes(raw.get("organizations"))))
    org_ids: list[int] = []
    if refs:
        found = {
            r["ref"]: r["id"]
            for r in await Organization.select(Organization.id, Organization.ref).where(Organization.ref.is_in(refs))
        }
        missing = [r for r in refs if r not in found]
        if missing:
            c.fail("organizations", _("No organisation with the reference: %(refs)s.", refs=", ".join(missing)))
        org_ids = [found[r] for r in refs if r in found]
    if len(places) + len(org_ids) > MAX_MEMBERS:
        c.fail("regions", _("A program may list at most %(n)s regions and organisations.", n=MAX_MEMBERS))
    if name and not (places or org_ids) and "regions" not in c.errors and "organizations" not in c.errors:
        c.fail("regions", _("Name at least one region or organisation."))
    if name:
        clash = Program.select(Program.id).where(Program.name == name)
        if program_id is not None:
            clash = clash.where(Program.id != program_id)
        if await clash.first():
            c.fail("name", _("Another program already has this name."))
    c.raise_if_errors()
    return {"name": name, "description": description}, places, org_ids


async def _members(program_id: int, places: list[tuple[str, str]], org_ids: list[int]) -> None:
    await ProgramRegion.delete().where(ProgramRegion.program == program_id)
    await ProgramOrganization.delete().where(ProgramOrganization.program == program_id)
    if places:
        await ProgramRegion.insert(
            *[ProgramRegion(program=program_id, country=country, region=region) for country, region in places]
        )
    if org_ids:
        await ProgramOrganization.insert(*[ProgramOrganization(program=program_id, organization=o) for o in org_ids])


async def create_program(user: CurrentUser, raw: dict[str, Any]) -> int:
    """A new program from a name, region/country codes and organisation refs (all or nothing)."""
    _staff(user)
    values, places, org_ids = await _clean(raw, None)
    async with atomic():
        program = Program(name=values["name"], description=values["description"], created_at=now(), updated_at=now())
        await program.save()
        await _members(int(program.id), places, org_ids)
    return int(program.id)


async def update_program(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> None:
    """Replace a program's name, description and members."""
    await get_program(user, program_id)
    values, places, org_ids = await _clean(raw, program_id)
    async with atomic():
        await Program.update(
            {Program.name: values["name"], Program.description: values["description"], Program.updated_at: now()}
        ).where(Program.id == program_id)
        await _members(program_id, places, org_ids)


async def delete_program(user: CurrentUser, program_id: int) -> None:
    """Remove a program and its membership (the records it grouped are untouched)."""
    await get_program(user, program_id)
    async with atomic():
        await ProgramRegion.delete().where(ProgramRegion.program == program_id)
        await ProgramOrganization.delete().where(ProgramOrganization.program == program_id)
        await Program.delete().where(Program.id == program_id)


def form_values(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: raw.get(k, "") for k in ("name", "description", "regions", "organizations")}


__all__ = [
    "FieldErrors",
    "create_program",
    "delete_program",
    "form_values",
    "get_program",
    "list_programs",
    "program_choices",
    "update_program",
]
