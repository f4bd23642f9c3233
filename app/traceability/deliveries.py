"""Deliveries at the scale: who may record them, resolving the member a collector types, recording idempotently on
the client's ref (a phone that sends the same delivery twice, e.g. after being offline, never makes two), and the
day's deliveries with their totals.

A delivery's own fields are read by ``app.traceability.forms`` with the import's rules, so a delivery typed at the
scale and one imported in bulk are refused or stored alike."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine

from app.accounts.services import CurrentUser
from app.db import atomic, engine
from app.i18n import gettext as _
from app.traceability.links import linked_group_ids, picked
from app.traceability.model import FORMS
from app.traceability.roles import roles_of
from app.traceability.services import thresholds
from app.traceability.tables import Delivery, Member, Plot
from app.validation import Checker, NotFound

#: Members offered in the form's list (typing any other code or ref still works: it is resolved on the server).
MAX_SUGGESTIONS = 500


class DeliveryConflict(Exception):
    """The client ref is already a delivery with other content (or of another collector)."""

    def __init__(self, ref: str) -> None:
        super().__init__(ref)
        self.ref = ref
        self.message = _(
            "A different delivery was already saved under ref %(ref)s. Nothing was changed: record it again as a "
            "new delivery.",
            ref=ref,
        )


@dataclass(frozen=True)
class Collector:
    """The organisation a user records deliveries for."""

    id: int
    ref: str


async def collector_of(user: CurrentUser | None) -> Collector:
    """The user's organisation when it receives latex (a collector, or a group collecting for its members)."""
    if user is None or user.organization_id is None:
        raise NotFound()
    if not (await roles_of(user)).collector:
        raise NotFound()
    return Collector(id=user.organization_id, ref=user.organization_ref)


async def may_read_deliveries(user: CurrentUser | None) -> bool:
    """Staff read every collector's deliveries; a collector its own (anyone else: not found)."""
    if user is None:
        return False
    roles = await roles_of(user)
    return roles.staff or (roles.collector and user.organization_id is not None)


def new_client_ref() -> str:
    """A ref for a delivery whose page did not make one (JavaScript off)."""
    return str(uuid.uuid4())


# --- members and plots the form offers ------------------------------------------------------------------------------
async def suggestions(collector: Collector) -> tuple[list[dict[str, Any]], dict[str, list[list[str]]]]:
    """Members the form lists (code, name, ref) and each one's plots (ref, label), for the datalist and plot select."""
    members = (
        await Member.select(Member.id, Member.ref, Member.member_code, Member.name)
        .where(Member.group.is_in(await linked_group_ids(collector.id)))
        .order_by(Member.member_code)
        .limit(MAX_SUGGESTIONS)
    )
    plots: dict[str, list[list[str]]] = {}
    if members:
        rows = (
            await Plot.select(Plot.ref, Plot.area_ha, Plot.member.ref.as_alias("member_ref"))
            .where(Plot.member.is_in([m["id"] for m in members]))
            .order_by(Plot.ref)
        )
        for row in rows:
            plots.setdefault(row["member_ref"], []).append([row["ref"], _plot_label(row)])
    return [{k: m[k] for k in ("ref", "member_code", "name")} for m in members], plots


def _plot_label(row: dict[str, Any]) -> str:
    if row["area_ha"] is None:
        return str(row["ref"])
    return _("%(ref)s (%(area)s ha)", ref=row["ref"], area=round(float(row["area_ha"]), 2))


async def plots_of(member_id: int) -> list[list[str]]:
    """A member's plots as (ref, label) for the plot select."""
    rows = await Plot.select(Plot.ref, Plot.area_ha).where(Plot.member == member_id).order_by(Plot.ref)
    return [[r["ref"], _plot_label(r)] for r in rows]


async def resolve_member(collector: Collector, typed: str) -> dict[str, Any] | None:
    """The member a collector typed: a member ref, a member code, or a name (None when none or several match), among
    the members of the groups that linked the collector (``app.traceability.links``) and its own."""
    text = picked(typed)  # the list's "CODE · Name" picked as is
    if not text or len(text) > 200:
        return None
    columns = (Member.id, Member.ref, Member.member_code, Member.name, Member.group)
    # Only the groups that linked this collector: another group's members are not found, whatever is typed.
    groups = Member.group.is_in(await linked_group_ids(collector.id))
    name = text.replace("%", "").replace("_", "")
    # SQLite's LIKE already ignores ASCII case (and Piccolo warns on ILIKE there).
    by_name = Member.name.like(name) if isinstance(engine(), SQLiteEngine) else Member.name.ilike(name)
    for where in (Member.ref == text, Member.member_code == text, by_name):
        rows = await Member.select(*columns).where(where & groups).limit(2)
        if len(rows) == 1:
            return rows[0]
        if rows:
            return None  # the same code or name in two linked groups: the ref is needed
    return None


# --- recording ------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    """A delivery as stored, whether this request created it, and the warnings its values raise."""

    delivery: dict[str, Any]
    created: bool
    warnings: dict[str, str]


def drc_warning(form: str | None, drc: float | None) -> str | None:
    """Why a DRC is unusual for the form (stored all the same; the lot's checks flag it)."""
    if drc is None or form not in FORMS:
        return None
    limits = thresholds()
    low, high = limits.drc_field_latex if form == "field_latex" else limits.drc_cup_lump
    if low <= drc <= high:
        return None
    return _(
        "A DRC of %(drc)s %% is unusual for this form (usually %(low)s-%(high)s %%). "
        "It is saved and flagged: check the reading.",
        drc=drc,
        low=int(low),
        high=int(high),
    )


async def check_delivery_input(
    collector: Collector, raw: dict[str, Any], fields: dict[str, Any], field_errors: dict[str, str]
) -> dict[str, Any]:
    """Clean column values of a delivery typed at the scale: ``fields`` / ``field_errors`` are its own fields as
    ``app.traceability.forms.delivery_fields`` read them; the member and plot are resolved here (FieldErrors listing
    every problem)."""
    c = Checker(raw)
    for name, message in field_errors.items():
        c.fail(name, message)
    clean: dict[str, Any] = dict(fields)
    member = await resolve_member(collector, c.text("member", max_len=200))
    if member is None:
        if c.text("member", max_len=200):
            c.fail("member", _("No member with this code, name or ref. Check the member's card."))
        else:
            c.fail("member", _("This field is required."))
    clean["member"] = member["id"] if member else None
    clean["member_ref"] = member["ref"] if member else None
    plot_ref = c.text("plot", max_len=100)
    clean["plot"], clean["plot_ref"] = None, None
    if member is not None:
        plot = (
            await Plot.select(Plot.id, Plot.ref, Plot.member).where(Plot.ref == plot_ref).first() if plot_ref else None
        )
        if plot_ref and (plot is None or plot["member"] != member["id"]):
            c.fail("plot", _("Plot %(plot)s is not one of this member's plots.", plot=plot_ref))
        elif plot is None and await Plot.exists().where(Plot.member == member["id"]):
            c.fail("plot", _("Choose the plot the latex came from."))
        elif plot is not None:
            clean["plot"], clean["plot_ref"] = plot["id"], plot["ref"]
    c.raise_if_errors()
    return clean


_SAME = ("member", "plot", "date", "form", "wet_kg", "drc_percent", "dry_kg")


def _close(a: Any, b: Any) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int):
        return abs(float(a) - float(b)) < 1e-9
    return a == b


async def _stored(ref: str) -> dict[str, Any] | None:
    return (
        await Delivery.select(
            Delivery.all_columns(),
            Delivery.collector.ref.as_alias("collector_ref"),
            Delivery.member.ref.as_alias("member_ref"),
            Delivery.member.member_code.as_alias("member_code"),
            Delivery.member.name.as_alias("member_name"),
            Delivery.plot.ref.as_alias("plot_ref"),
        )
        .where(Delivery.ref == ref)
        .first()
    )


def _same(row: dict[str, Any], clean: dict[str, Any], collector: Collector) -> bool:
    return row["collector"] == collector.id and all(_close(row[k], clean[k]) for k in _SAME)


async def record_delivery(
    user: CurrentUser, raw: dict[str, Any], fields: dict[str, Any], field_errors: dict[str, str]
) -> Recorded:
    """Store a delivery under the client's ref; the same ref with the same content answers the stored one.

    Raises FieldErrors (bad input), DeliveryConflict (the ref holds another delivery), NotFound (not a collector)."""
    collector = await collector_of(user)
    clean = await check_delivery_input(collector, raw, fields, field_errors)
    ref = clean["ref"] or new_client_ref()
    warning = drc_warning(clean["form"], clean["drc_percent"])
    warnings = {"drc_percent": warning} if warning else {}
    values = {k: clean[k] for k in _SAME}
    try:
        async with atomic():
            existing = await _stored(ref)
            if existing is None:
                await Delivery.insert(Delivery(ref=ref, collector=collector.id, recorded_by=user.id, **values))
    except Exception:
        # Two sends of one delivery at once: the unique ref refused the second insert; answer with the first.
        existing = await _stored(ref)
        if existing is None:
            raise
    if existing is not None:
        if not _same(existing, clean, collector):
            raise DeliveryConflict(ref)
        return Recorded(delivery=existing, created=False, warnings=warnings)
    stored = await _stored(ref)
    assert stored is not None  # written just above
    return Recorded(delivery=stored, created=True, warnings=warnings)


def dry_of(row: dict[str, Any]) -> float:
    """Dry kg of a stored delivery: as recorded, or wet kg x DRC %."""
    if row["dry_kg"] is not None:
        return float(row["dry_kg"])
    return float(row["wet_kg"] or 0) * float(row["drc_percent"] or 0) / 100.0


async def delivery_for(user: CurrentUser | None, ref: str) -> dict[str, Any]:
    """One delivery for its collector (or staff); NotFound for anyone else."""
    if not await may_read_deliveries(user):
        raise NotFound()
    assert user is not None
    row = await _stored(ref)
    if row is None or not (user.is_staff or row["collector"] == user.organization_id):
        raise NotFound()
    return row


# --- the day's deliveries -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DayList:
    day: dt.date
    rows: list[dict[str, Any]]
    #: form -> dry kg, in FORMS order (forms with no delivery left out)
    totals: dict[str, float]
    total_dry_kg: float


async def deliveries_on(user: CurrentUser | None, day: dt.date) -> DayList:
    """The deliveries of the user's organisation on ``day`` (staff: every collector's), with dry kg by form."""
    if not await may_read_deliveries(user):
        raise NotFound()
    assert user is not None
    query = Delivery.select(
        Delivery.all_columns(),
        Delivery.collector.ref.as_alias("collector_ref"),
        Delivery.collector.name.as_alias("collector_name"),
        Delivery.member.ref.as_alias("member_ref"),
        Delivery.member.member_code.as_alias("member_code"),
        Delivery.member.name.as_alias("member_name"),
        Delivery.plot.ref.as_alias("plot_ref"),
    ).where(Delivery.date == day)
    if not user.is_staff:
        query = query.where(Delivery.collector == user.organization_id)
    rows = await query.order_by(Delivery.created_at, ascending=False).order_by(Delivery.id, ascending=False)
    totals: dict[str, float] = {}
    for row in rows:
        row["dry"] = dry_of(row)
    for form in FORMS:
        kg = sum(r["dry"] for r in rows if r["form"] == form)
        if any(r["form"] == form for r in rows):
            totals[form] = round(kg, 2)
    return DayList(day=day, rows=rows, totals=totals, total_dry_kg=round(sum(r["dry"] for r in rows), 2))
