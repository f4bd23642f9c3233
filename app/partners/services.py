"""Partners of a program and their commitments: who may see and change what.

A partner user (a user of a partner organisation) sees and edits only its own organisation's commitments; staff see
and edit all; anyone else gets NotFound for the program's partner pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization, User
from app.agenda import periods
from app.agenda.services import localized
from app.agenda.tables import Indicator, IndicatorTarget
from app.analytics.tables import Program
from app.clock import now
from app.db import Row, atomic
from app.i18n import N_
from app.i18n import gettext as _
from app.partners.tables import Commitment, CommitmentIndicator, Partner
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied

ROLES = {
    "ngo": N_("NGO"),
    "government": N_("Government agency"),
    "buyer": N_("Buyer"),
    "producer_association": N_("Producer association"),
    "certification_body": N_("Certification body"),
    "other": N_("Other"),
}
COMMITMENT_STATUSES = {
    "planned": N_("Planned"),
    "under_way": N_("Under way"),
    "done": N_("Done"),
    "dropped": N_("Dropped"),
}
MAX_COMMITMENTS = 200


def _staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDenied()


async def _program(program_id: int) -> Row:
    row = await Program.select(Program.id, Program.name).where(Program.id == program_id).first()
    if row is None:
        raise NotFound()
    return Row(row)


async def is_partner(program_id: int, org_id: int | None) -> bool:
    """Whether the organisation is a partner of the program."""
    if org_id is None:
        return False
    return await Partner.exists().where((Partner.program == program_id) & (Partner.organization == org_id))


async def partner_program(user: CurrentUser, program_id: int) -> Row:
    """The program for staff and its partner users; NotFound for everyone else."""
    program = await _program(program_id)
    if not user.is_staff and not await is_partner(program_id, user.organization_id):
        raise NotFound()
    return program


async def staff_program(user: CurrentUser, program_id: int) -> Row:
    _staff(user)
    return await _program(program_id)


async def partner_programs(org_id: int | None) -> list[Row]:
    """(id, name, role) of the programs the organisation is a partner of."""
    if org_id is None:
        return []
    rows = await Partner.select(
        Partner.program.as_alias("id"), Partner.program.name.as_alias("name"), Partner.role
    ).where(Partner.organization == org_id)
    return [Row(r) for r in sorted(rows, key=lambda r: r["name"])]


# --- partners -------------------------------------------------------------------------------------------------------
async def partners_of(program_id: int) -> list[Row]:
    """The program's partners, by organisation name."""
    rows = await Partner.select(
        Partner.id,
        Partner.organization,
        Partner.role,
        Partner.created_at,
        Partner.organization.name.as_alias("organization_name"),
        Partner.organization.ref.as_alias("organization_ref"),
    ).where(Partner.program == program_id)
    return [
        Row(r, role_label=_(ROLES.get(r["role"], r["role"])))
        for r in sorted(rows, key=lambda r: r["organization_name"].lower())
    ]


async def add_partner(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> int:
    """Make an existing organisation (by its reference) a partner of the program with a role (staff)."""
    await staff_program(user, program_id)
    c = Checker(raw)
    ref = c.text("organization", required=True, max_len=100)
    role = c.choice("role", ROLES, required=True)
    org = None
    if ref:
        org = await Organization.select(Organization.id).where(Organization.ref == ref).first()
        if org is None:
            c.fail("organization", _("No organisation with the reference: %(refs)s.", refs=ref))
    c.raise_if_errors()
    assert org is not None
    async with atomic():
        if await is_partner(program_id, int(org["id"])):
            raise FieldErrors({"organization": _("This organisation is already a partner of the program.")}, raw)
        rows = await Partner.insert(
            Partner(program=program_id, organization=int(org["id"]), role=role, added_by=user.id)
        ).returning(Partner.id)
    return int(rows[0]["id"])


async def remove_partner(user: CurrentUser, partner_id: int) -> int:
    """Remove a partner from its program (its commitments stay, hidden from its users); returns the program id."""
    _staff(user)
    row = await Partner.select(Partner.program).where(Partner.id == partner_id).first()
    if row is None:
        raise NotFound()
    async with atomic():
        await Partner.delete().where(Partner.id == partner_id)
    return int(row["program"])


async def organization_choices() -> list[tuple[str, str]]:
    """(ref, name) of every organisation, by name (staff pick a partner from them)."""
    rows = await Organization.select(Organization.ref, Organization.name).order_by(Organization.name)
    return [(r["ref"], r["name"]) for r in rows]


# --- program data the forms need ------------------------------------------------------------------------------------
async def program_indicators(program_id: int) -> list[Row]:
    """The program's indicators (id, localised name, source, unit), in their order."""
    rows = await Indicator.select(
        Indicator.id,
        Indicator.source,
        Indicator.unit,
        Indicator.position,
        Indicator.name_es,
        Indicator.name_en,
        Indicator.name_pt,
    ).where(Indicator.program == program_id)
    rows.sort(key=lambda r: (r["position"], r["id"]))
    return [Row(id=r["id"], source=r["source"], unit=r["unit"], name=localized(r, "name")) for r in rows]


async def program_periods(program_id: int) -> list[periods.Period]:
    """The program's reporting periods: every period one of its indicators has a target for, oldest first."""
    rows = await IndicatorTarget.select(
        IndicatorTarget.period_kind, IndicatorTarget.period_start, IndicatorTarget.period_end
    ).where(IndicatorTarget.indicator.program == program_id)
    return sorted({periods.of_row(r) for r in rows})


# --- commitments ----------------------------------------------------------------------------------------------------
def _commitment_filter(user: CurrentUser, program_id: int) -> Any:
    where: Any = Commitment.program == program_id
    if not user.is_staff:
        where &= Commitment.organization == user.organization_id
    return where


async def commitments_of(user: CurrentUser, program_id: int) -> list[Row]:
    """The program's commitments the user may see (staff: all; partner users: their organisation's)."""
    await partner_program(user, program_id)
    rows = await Commitment.select(
        *Commitment.all_columns(),
        Commitment.organization.name.as_alias("organization_name"),
        Commitment.responsible_user.name.as_alias("responsible_user_name"),
    ).where(_commitment_filter(user, program_id))
    return await _with_indicators(sorted(rows, key=lambda r: (r["organization_name"], r["start_date"], r["id"])))


async def _with_indicators(rows: list[dict[str, Any]]) -> list[Row]:
    ids = [r["id"] for r in rows]
    links = (
        await CommitmentIndicator.select(CommitmentIndicator.commitment, CommitmentIndicator.indicator).where(
            CommitmentIndicator.commitment.is_in(ids)
        )
        if ids
        else []
    )
    out = []
    for r in rows:
        served = sorted(int(link["indicator"]) for link in links if link["commitment"] == r["id"])
        responsible = r.get("responsible_user_name") or r["responsible_name"]
        status_label = _(COMMITMENT_STATUSES.get(r["status"], r["status"]))
        out.append(Row(r, indicators=served, responsible=responsible, status_label=status_label))
    return out


async def get_commitment(user: CurrentUser, commitment_id: int) -> Row:
    """One commitment for staff, or for a user of its organisation while it is a partner; NotFound otherwise."""
    row = (
        await Commitment.select(
            *Commitment.all_columns(),
            Commitment.organization.name.as_alias("organization_name"),
            Commitment.responsible_user.name.as_alias("responsible_user_name"),
            Commitment.program.name.as_alias("program_name"),
        )
        .where(Commitment.id == commitment_id)
        .first()
    )
    if row is None:
        raise NotFound()
    if not user.is_staff and (
        row["organization"] != user.organization_id or not await is_partner(int(row["program"]), user.organization_id)
    ):
        raise NotFound()
    return (await _with_indicators([row]))[0]


async def _responsible_users(org_id: int) -> dict[str, int]:
    rows = await User.select(User.id).where((User.organization == org_id) & (User.is_active == True))  # noqa: E712
    return {str(r["id"]): int(r["id"]) for r in rows}


async def user_choices(org_id: int) -> list[tuple[str, str]]:
    """(id, name or e-mail) of the organisation's active users (who may be made responsible for a commitment)."""
    rows = await User.select(User.id, User.name, User.email).where(
        (User.organization == org_id) & (User.is_active == True)  # noqa: E712
    )
    return [(str(r["id"]), r["name"] or r["email"]) for r in sorted(rows, key=lambda r: r["id"])]


async def _clean(program_id: int, org_id: int, raw: dict[str, Any]) -> tuple[dict[str, Any], list[int]]:
    c = Checker(raw)
    data: dict[str, Any] = {
        "title": c.text("title", required=True, max_len=200),
        "description": c.text("description", max_len=4000),
        "responsible_name": c.text("responsible_name", max_len=200),
        "status": c.choice("status", COMMITMENT_STATUSES, required=True, default="planned"),
    }
    start, end = c.date_window("start_date", "end_date")
    data["start_date"], data["end_date"] = start, end
    users = await _responsible_users(org_id)
    chosen = str(raw.get("responsible_user") or "").strip()
    data["responsible_user"] = None
    if chosen:
        if chosen not in users:
            c.fail("responsible_user", _("Choose a person of the partner organisation, or type a name."))
        else:
            data["responsible_user"] = users[chosen]
    if not data["responsible_name"] and not chosen and "responsible_name" not in c.errors:
        c.fail("responsible_name", _("Say who is responsible: a name, or a person of the organisation."))
    allowed = {str(i["id"]): int(i["id"]) for i in await program_indicators(program_id)}
    picked = raw.get("indicators") or []
    if isinstance(picked, str):
        picked = [picked]
    indicator_ids: list[int] = []
    for value in picked[:100]:
        if str(value) not in allowed:
            c.fail("indicators", _("Choose indicators of this program."))
            break
        indicator_ids.append(allowed[str(value)])
    if not indicator_ids and "indicators" not in c.errors:
        c.fail("indicators", _("Choose at least one indicator the activity serves."))
    c.raise_if_errors()
    return data, sorted(set(indicator_ids))


async def _organization_for(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> int:
    """The partner a new commitment belongs to: the user's organisation, or the one staff chose."""
    if not user.is_staff:
        assert user.organization_id is not None
        return user.organization_id
    ref = str(raw.get("organization") or "").strip()
    partner = (
        await Partner.select(Partner.organization)
        .where((Partner.program == program_id) & (Partner.organization.ref == ref))
        .first()
        if ref
        else None
    )
    if partner is None:
        raise FieldErrors({"organization": _("Choose one of the program's partners.")}, raw)
    return int(partner["organization"])


async def create_commitment(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> int:
    """A new commitment of the user's organisation (staff: of the partner chosen); FieldErrors when wrong."""
    await partner_program(user, program_id)
    org_id = await _organization_for(user, program_id, raw)
    data, indicator_ids = await _clean(program_id, org_id, raw)
    async with atomic():
        count = await Commitment.count().where(Commitment.program == program_id)
        if count >= MAX_COMMITMENTS:
            raise FieldErrors({"title": _("A program may have at most %(n)s commitments.", n=MAX_COMMITMENTS)}, raw)
        rows = await Commitment.insert(
            Commitment(program=program_id, organization=org_id, created_by=user.id, **data)
        ).returning(Commitment.id)
        commitment_id = int(rows[0]["id"])
        await _write_indicators(commitment_id, indicator_ids)
    return commitment_id


async def _write_indicators(commitment_id: int, indicator_ids: list[int]) -> None:
    await CommitmentIndicator.delete().where(CommitmentIndicator.commitment == commitment_id)
    if indicator_ids:
        await CommitmentIndicator.insert(
            *[CommitmentIndicator(commitment=commitment_id, indicator=i) for i in indicator_ids]
        )


async def update_commitment(user: CurrentUser, commitment_id: int, raw: dict[str, Any]) -> int:
    """Save a commitment's fields and indicators; returns its program's id."""
    row = await get_commitment(user, commitment_id)
    data, indicator_ids = await _clean(int(row["program"]), int(row["organization"]), raw)
    async with atomic():
        changes: dict[Any, Any] = {**data, Commitment.updated_at: now()}
        await Commitment.update(changes).where(Commitment.id == commitment_id)
        await _write_indicators(commitment_id, indicator_ids)
    return int(row["program"])


def commitment_form(row: dict[str, Any] | None) -> dict[str, Any]:
    """What the commitment form shows: the stored commitment or the values just entered."""
    row = dict(row or {})
    values = {k: row.get(k) or "" for k in ("title", "description", "responsible_name", "organization")}
    values["status"] = row.get("status") or "planned"
    for key in ("start_date", "end_date"):
        value = row.get(key)
        values[key] = value.isoformat() if isinstance(value, dt.date) else str(value or "")
    user = row.get("responsible_user")
    values["responsible_user"] = "" if user in (None, "") else str(user)
    indicators = row.get("indicators") or []
    values["indicators"] = [str(i) for i in ([indicators] if isinstance(indicators, str) else indicators)]
    return values


def active_in(row: dict[str, Any], period: periods.Period) -> bool:
    """Whether a commitment runs during the period and is not dropped (so an update is expected for it)."""
    start, end = row["start_date"], row["end_date"]
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    if isinstance(end, str):
        end = dt.date.fromisoformat(end)
    return row["status"] != "dropped" and start <= period.end and end >= period.start
