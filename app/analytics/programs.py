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
from app.places import collation_key, country_name, is_country, place_name, region_country
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied

MAX_MEMBERS = 500
_SPLIT = re.compile(r"[\s,;]+")


def _staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDenied()


def _codes(raw: Any) -> list[str]:
    if isinstance(raw, list):
        raw = " ".join(str(x) for x in raw)
    return [c for c in _SPLIT.split(str(raw or "").strip()) if c]


def _place(code: str) -> tuple[str, str] | None:
    """(country, region) for a known country ('MX') or region ('MX-DUR') code; None for anything else."""
    code = code.strip().upper()
    if is_country(code):
        return code, ""
    home = region_country(code)
    return (home, code) if home else None


def place_label(code: str) -> str:
    """A program place in words: 'Durango, México' or 'Guatemala' (an unknown code as given)."""
    found = _place(code)
    return place_name(*found) if found else code


def named_places(codes: Any) -> list[tuple[str, str]]:
    """(code, name) of each distinct place, sorted by name in the reader's language."""
    unique = dict.fromkeys(c.upper() for c in _codes(codes))
    return sorted(((c, place_label(c)) for c in unique), key=lambda pair: collation_key(pair[1]))


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
        out.append(Row(p, regions=[name for _code, name in named_places(codes)], organization_count=count))
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
    bad = [code[:12] for code in _codes(raw.get("regions")) if _place(code) is None]
    if bad:
        c.fail(
            "regions",
            _("Not a country or region we know: %(codes)s. Choose places from the list.", codes=", ".join(bad)),
        )
    for code in dict.fromkeys(x.upper() for x in _codes(raw.get("regions"))):
        found = _place(code)
        if found:
            places.append(found)
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
    """What the form shows: the entered texts, and the places as (code, name) pairs."""
    values = {k: raw.get(k, "") for k in ("name", "description", "organizations", "place_country")}
    values["places"] = named_places(raw.get("regions"))
    return values


def edit_places(raw: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The form after "Add place" or "Remove" (nothing is saved): the picked country or region joins the list, or
    the named code leaves it. Returns the form values and any message for the picker."""
    codes = [c.upper() for c in _codes(raw.get("regions"))]
    errors: dict[str, str] = {}
    removed = str(raw.get("remove_place") or "").strip().upper()
    picked_country = str(raw.get("place_country") or "").strip().upper()
    picked_region = str(raw.get("place_region") or "").strip().upper()
    drawn_for = str(raw.get("place_region_choices_for") or "").strip().upper()
    after = dict(raw, place_region="")
    if removed:
        codes = [c for c in codes if c != removed]
    elif not is_country(picked_country):
        errors["place_country"] = _("Choose a country from the list.")
    elif drawn_for != picked_country:
        # Without JavaScript the region list on screen belonged to another country: show this country's list.
        errors["place_region"] = _(
            "Now choose a region of %(country)s, or none for the whole country, and add it.",
            country=country_name(picked_country),
        )
    else:
        code = picked_region or picked_country
        found = _place(code)
        if found is None or found[0] != picked_country:
            errors["place_region"] = _("Choose a region of %(country)s.", country=country_name(picked_country))
        else:
            codes.append(code)
            after["place_country"] = ""
    after["regions"] = codes
    return form_values(after), errors


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
