"""Organisations: profile checks, refs, editing a profile, reading one, and the staff list."""

from __future__ import annotations

import re
import secrets
from typing import TYPE_CHECKING, Any

from app.accounts.tables import Organization
from app.clock import now
from app.db import atomic
from app.events import record_change
from app.i18n import N_
from app.places import check_place
from app.validation import MAX_NAME, MAX_TEXT, Checker, NotFound, PermissionDenied
from app.vocab import LEGAL_FORMS, ORG_KINDS, fold

if TYPE_CHECKING:  # users imports slugify and unique_ref from here
    from app.accounts.services.users import CurrentUser


def slugify(text: str) -> str:

    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:60] or "org"


def check_organization(raw: dict[str, Any], *, allow_program: bool = False) -> dict[str, Any]:
    """Validate organisation profile fields; raises FieldErrors."""
    c = Checker(raw)
    kinds = {**ORG_KINDS, **({"program": N_("Program backbone")} if allow_program else {})}
    clean: dict[str, Any] = {
        "name": c.name("name", required=True, max_len=MAX_NAME),
        "kind": c.choice("kind", kinds, required=True),
        "legal_form": c.choice("legal_form", LEGAL_FORMS),
        "locality": c.name("locality", max_len=120),
        "contact_email": c.email("contact_email"),
        "description": c.text("description", max_len=MAX_TEXT),
        "languages": c.text_list("languages", max_items=10, max_len=10),
    }
    clean["country"], clean["region"] = check_place(c, "country", "region")
    clean["lat"], clean["lon"] = c.lat_lon("lat", "lon")
    c.raise_if_errors()
    return clean


def check_profile(raw: dict[str, Any]) -> dict[str, Any]:
    """``check_organization`` as the profile page edits it (the program's own organisation included)."""
    return check_organization(raw, allow_program=True)


async def unique_ref(table: Any, base: str) -> str:
    """A ref not used yet in ``table``, derived from ``base``."""
    ref = base
    while await table.exists().where(table.ref == ref):
        ref = f"{base}-{secrets.token_hex(3)}"
    return ref


async def update_organization(user: CurrentUser, org_id: int, raw: dict[str, Any]) -> None:
    """Edit an organisation profile: members of that organisation or staff only."""
    if not (user.is_staff or user.organization_id == org_id):
        raise PermissionDenied()
    current = await Organization.select(Organization.kind).where(Organization.id == org_id).first()
    if not current:
        raise NotFound()
    raw = {**raw, "kind": current["kind"]}  # the kind decides roles; it is not edited from the profile
    clean = check_organization(raw, allow_program=True)
    clean.pop("kind")
    async with atomic():
        await Organization.update({**clean, Organization.updated_at: now()}).where(Organization.id == org_id)
        ref = await Organization.select(Organization.ref).where(Organization.id == org_id).first()
        await record_change("organization", ref["ref"])


async def get_organization(ref: str) -> dict[str, Any]:
    row = await Organization.select().where(Organization.ref == ref).output(load_json=True).first()
    if not row:
        raise NotFound()
    return row


async def get_organization_by_id(org_id: int) -> dict[str, Any]:
    row = await Organization.select().where(Organization.id == org_id).output(load_json=True).first()
    if not row:
        raise NotFound()
    return row


async def list_organizations(
    staff: CurrentUser, *, page: int = 1, per_page: int = 50
) -> tuple[list[dict[str, Any]], int]:
    if not staff.is_staff:
        raise PermissionDenied()
    total = await Organization.count()
    rows = await (
        Organization.select(
            Organization.id,
            Organization.ref,
            Organization.name,
            Organization.kind,
            Organization.legal_form,
            Organization.country,
            Organization.region,
            Organization.is_active,
            Organization.created_at,
        )
        .order_by(Organization.name)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    return rows, total
