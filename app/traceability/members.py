"""A group's members and plots as its managers and staff keep them: who may, listing, reading and saving (the same
field rules as the bulk import, ``app.traceability.fields``), then deriving again what a change touches."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.clock import now
from app.db import atomic
from app.i18n import gettext as _
from app.traceability.engine import localized_message
from app.traceability.fields import check_member, check_plot
from app.traceability.graph import check_from_json
from app.traceability.roles import holds_group_certificate
from app.traceability.services import recompute_for
from app.traceability.tables import Member, Plot
from app.validation import FieldErrors, NotFound

PER_PAGE = 25
SCOPES = ("in", "out")
SEVERITY_RANK = {"error": 2, "warning": 1}


@dataclass(frozen=True)
class GroupScope:
    """The group whose members a request manages."""

    id: int
    ref: str
    name: str
    #: Staff pass the group's ref in every URL (``?group=REF``); a group's own users do not.
    staff: bool

    def query(self) -> str:
        """The query string that keeps a staff user in this group ("" for the group's own users)."""
        return f"group={self.ref}" if self.staff else ""


async def group_for(user: CurrentUser | None, group_ref: str | None = None) -> GroupScope:
    """The group this user manages: staff name it by ref, a producer's own group organisation; NotFound otherwise."""
    if user is None:
        raise NotFound()
    if user.is_staff:
        if not group_ref:
            raise NotFound()
        org = (
            await Organization.select(Organization.id, Organization.ref, Organization.name)
            .where(Organization.ref == group_ref.strip()[:100])
            .first()
        )
    else:
        if user.role != "producer" or user.organization_id is None:
            raise NotFound()
        org = (
            await Organization.select(Organization.id, Organization.ref, Organization.name)
            .where(Organization.id == user.organization_id)
            .first()
        )
        if org is not None and group_ref and group_ref.strip() != org["ref"]:
            raise NotFound()  # a group manager sees no other group, and is told nothing about it
    if org is None or not await holds_group_certificate(org["id"]):
        raise NotFound()
    return GroupScope(id=org["id"], ref=org["ref"], name=org["name"], staff=user.is_staff)


# --- reading -------------------------------------------------------------------------------------------------------
def worst(checks: list[dict[str, Any]] | None) -> str:
    """``error``, ``warning`` or "" (no check): the badge a plot or a member carries."""
    rank = max((SEVERITY_RANK.get(c.get("severity", ""), 0) for c in checks or []), default=0)
    return {2: "error", 1: "warning"}.get(rank, "")


def shown_checks(checks: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Stored checks worded in the reader's language, errors first."""
    found = [check_from_json(c) for c in checks or []]
    found.sort(key=lambda c: (-SEVERITY_RANK.get(c.severity, 0), c.code, c.ref))
    return [{"code": c.code, "severity": c.severity, "ref": c.ref, "message": localized_message(c)} for c in found]


def in_scope(row: dict[str, Any], today: dt.date) -> bool:
    """Inside the certificate's scope on ``today``."""
    start, end = row.get("certified_from"), row.get("certified_to")
    return start is not None and start <= today and (end is None or end >= today)


@dataclass
class MemberPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int


async def list_members(scope: GroupScope, q: str = "", in_out: str = "", page: int = 1) -> MemberPage:
    """One page of the group's members by code, filtered by a search text and by scope today."""
    today = now().date()
    where: Any = Member.group == scope.id
    text = q.strip()[:100]
    if text:
        pattern = "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
        # SQLite has no ILIKE; its LIKE already ignores ASCII case.
        sqlite = Member._meta.db.engine_type == "sqlite"
        name, code = (
            (Member.name.like, Member.member_code.like) if sqlite else (Member.name.ilike, Member.member_code.ilike)
        )
        where = where & (name(pattern) | code(pattern))
    if in_out == "in":
        where = (
            where
            & Member.certified_from.is_not_null()
            & (Member.certified_from <= today)
            & (Member.certified_to.is_null() | (Member.certified_to >= today))
        )
    elif in_out == "out":
        where = where & (
            Member.certified_from.is_null() | (Member.certified_from > today) | (Member.certified_to < today)
        )
    total = await Member.count().where(where)
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = (
        await Member.select(
            Member.id,
            Member.ref,
            Member.member_code,
            Member.name,
            Member.country,
            Member.region,
            Member.locality,
            Member.certified_from,
            Member.certified_to,
        )
        .where(where)
        .order_by(Member.member_code)
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    )
    ids = [r["id"] for r in rows]
    plots = (
        await Plot.select(Plot.member, Plot.checks).where(Plot.member.is_in(ids)).output(load_json=True) if ids else []
    )
    for row in rows:
        mine = [p for p in plots if p["member"] == row["id"]]
        row["plots"] = len(mine)
        row["worst"] = worst([c for p in mine for c in p["checks"] or []])
        row["in_scope"] = in_scope(row, today)
    return MemberPage(rows=rows, total=total, page=page, pages=pages)


async def get_member(scope: GroupScope, ref: str) -> dict[str, Any]:
    """A member of this group (NotFound for any other ref)."""
    row = await Member.select().where((Member.ref == ref) & (Member.group == scope.id)).first()
    if row is None:
        raise NotFound()
    row["in_scope"] = in_scope(row, now().date())
    return row


def _plot_view(row: dict[str, Any]) -> dict[str, Any]:
    geometry = row["geometry"] or {}
    view = {**row, "checks": shown_checks(row["checks"]), "worst": worst(row["checks"])}
    view["kind"] = geometry.get("type", "")
    return view


async def member_plots(member_id: int) -> list[dict[str, Any]]:
    """The member's plots with their checks worded for the reader."""
    rows = await Plot.select().where(Plot.member == member_id).order_by(Plot.ref).output(load_json=True)
    return [_plot_view(r) for r in rows]


async def get_plot(scope: GroupScope, ref: str) -> dict[str, Any]:
    """A plot of this group's members, with its member's ref, code and name (NotFound for any other ref)."""
    row = (
        await Plot.select(
            *Plot.all_columns(),
            Plot.member.ref.as_alias("member_ref"),
            Plot.member.member_code.as_alias("member_code"),
            Plot.member.name.as_alias("member_name"),
        )
        .where((Plot.ref == ref) & (Plot.member.group == scope.id))
        .output(load_json=True)
        .first()
    )
    if row is None:
        raise NotFound()
    return _plot_view(row)


async def group_plots(scope: GroupScope) -> list[dict[str, Any]]:
    """Every plot of the group's members (the map and its table)."""
    rows = (
        await Plot.select(
            *Plot.all_columns(),
            Plot.member.ref.as_alias("member_ref"),
            Plot.member.member_code.as_alias("member_code"),
        )
        .where(Plot.member.group == scope.id)
        .order_by(Plot.ref)
        .output(load_json=True)
    )
    return [_plot_view(r) for r in rows]


# --- saving members --------------------------------------------------------------------------------------------------
def _new_ref(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


async def save_member(scope: GroupScope, data: dict[str, Any], ref: str | None = None) -> str:
    """Create (``ref`` None) or update a member from form strings; FieldErrors lists every problem, nothing written."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    try:
        clean = check_member(data)
    except FieldErrors as exc:
        errors = dict(exc.errors)
    code = str(data.get("member_code") or "").strip()
    if code and "member_code" not in errors:
        other = await Member.select(Member.ref).where((Member.group == scope.id) & (Member.member_code == code)).first()
        if other is not None and other["ref"] != ref:
            errors["member_code"] = _(
                "Member code %(code)s is already used by another member of this group.", code=code
            )
    if errors:
        raise FieldErrors(errors)
    async with atomic():
        if ref is None:
            ref = _new_ref("m")
            await Member.insert(Member(ref=ref, group=scope.id, **clean))
        else:
            await Member.update({**{getattr(Member, k): v for k, v in clean.items()}, Member.updated_at: now()}).where(
                (Member.ref == ref) & (Member.group == scope.id)
            )
    await recompute_for(members=[ref])  # a changed scope or consent changes the lots the member's latex went into
    return ref


# --- saving plots ----------------------------------------------------------------------------------------------------
def _coordinate(raw: Any, limit: float, name: str, errors: dict[str, str]) -> float | None:
    text = str(raw or "").strip().replace(",", ".")
    if not text:
        errors[name] = _("This field is required.")
        return None
    try:
        value = float(text)
    except ValueError:
        errors[name] = _("Enter a number.")
        return None
    if not -limit <= value <= limit:
        errors[name] = _("Enter a number from %(low)s to %(high)s.", low=-int(limit), high=int(limit))
        return None
    return value


def _outline(text: str, errors: dict[str, str]) -> Any:
    """The pasted GeoJSON: a geometry, or a Feature's geometry (what GIS tools export); None when it is not JSON."""
    try:
        value = json.loads(text)
    except ValueError:
        errors["geometry"] = _("The outline is not valid GeoJSON: paste a Polygon, e.g. from a GPS or GIS export.")
        return None
    if isinstance(value, dict) and value.get("type") == "Feature":
        value = value.get("geometry")
    return value


def plot_geometry(data: dict[str, Any], errors: dict[str, str]) -> tuple[Any, str]:
    """The plot's geometry from the form (a point typed or picked, or an outline pasted) and the field it came from."""
    outline = str(data.get("geometry") or "").strip()
    has_point = bool(str(data.get("lat") or "").strip() or str(data.get("lon") or "").strip())
    if outline and has_point:
        errors["geometry"] = _("Give a map point or an outline, not both: empty one of them.")
        return None, "geometry"
    if outline:
        return _outline(outline, errors), "geometry"
    if not has_point:
        errors["lat"] = _("Set the plot's point on the map (or type it), or paste its outline below.")
        return None, "lat"
    lat = _coordinate(data.get("lat"), 90, "lat", errors)
    lon = _coordinate(data.get("lon"), 180, "lon", errors)
    if lat is None or lon is None:
        return None, "lat"
    return {"type": "Point", "coordinates": [lon, lat]}, "lat"


def check_plot_form(data: dict[str, Any]) -> dict[str, Any]:
    """The plot form's strings as clean plot values (import rules); FieldErrors names the form's own fields."""
    errors: dict[str, str] = {}
    geometry, source = plot_geometry(data, errors)
    year_text = str(data.get("planted_year") or "").strip()
    year: Any = int(year_text) if year_text.isascii() and year_text.isdigit() and len(year_text) <= 4 else year_text
    raw = {
        "geometry": geometry,
        "area_ha": data.get("area_ha"),
        "planted_year": year or None,
        "country": data.get("country"),
    }
    try:
        clean = check_plot(raw)
    except FieldErrors as exc:
        clean = {}
        for name, message in exc.errors.items():
            if name == "geometry":
                if "geometry" not in errors and source not in errors:
                    errors[source] = message
            elif name == "area_ha" and geometry and geometry.get("type") == "Point" and not data.get("area_ha"):
                errors[name] = _("A plot given as a point needs its area in hectares.")
            else:
                errors[name] = message
    if errors:
        raise FieldErrors(errors)
    return clean


async def save_plot(scope: GroupScope, data: dict[str, Any], *, member_ref: str = "", ref: str | None = None) -> str:
    """Create a plot for a member of this group (or update one), then check it again and derive touched lots."""
    if ref is None:
        member = await get_member(scope, member_ref)
    else:
        await get_plot(scope, ref)  # another group's plot is not found, whatever the form says
    clean = check_plot_form(data)
    async with atomic():
        if ref is None:
            ref = _new_ref("p")
            await Plot.insert(Plot(ref=ref, member=member["id"], **clean))
        else:
            await Plot.update({**{getattr(Plot, k): v for k, v in clean.items()}, Plot.updated_at: now()}).where(
                Plot.ref == ref
            )
    await recompute_for(plots=[ref])  # checks the plot's country again, then derives the lots it feeds
    return ref


def plot_form_values(plot: dict[str, Any]) -> dict[str, Any]:
    """A stored plot as the form's strings (a point in the lat/lon fields, an outline as GeoJSON text)."""
    geometry = plot["geometry"] or {}
    values: dict[str, Any] = {
        "area_ha": "" if plot["area_ha"] is None else f"{plot['area_ha']:g}",
        "planted_year": plot["planted_year"] or "",
        "country": plot["country"],
        "lat": "",
        "lon": "",
        "geometry": "",
    }
    coordinates = geometry.get("coordinates")
    if geometry.get("type") == "Point" and isinstance(coordinates, list) and len(coordinates) >= 2:
        values["lon"], values["lat"] = coordinates[0], coordinates[1]
    elif geometry:
        values["geometry"] = json.dumps(geometry)
    return values


def map_features(plots: list[dict[str, Any]], url: Any) -> dict[str, Any]:
    """The plots as a GeoJSON FeatureCollection for the map (``url(ref)`` is each plot's page)."""
    features = [
        {
            "type": "Feature",
            "geometry": p["geometry"],
            "properties": {"ref": p["ref"], "member": p["member_code"], "worst": p["worst"], "url": url(p["ref"])},
        }
        for p in plots
        if (p["geometry"] or {}).get("type") in ("Point", "Polygon")
    ]
    return {"type": "FeatureCollection", "features": features}


async def group_choices() -> list[dict[str, Any]]:
    """Every organisation holding a group certificate (staff choose the group they work on)."""
    ids = await Certificate.select(Certificate.organization).where(Certificate.is_group == True)  # noqa: E712 - SQL
    wanted = sorted({row["organization"] for row in ids})
    if not wanted:
        return []
    return (
        await Organization.select(Organization.ref, Organization.name)
        .where(Organization.id.is_in(wanted))
        .order_by(Organization.name)
    )
