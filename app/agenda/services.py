"""The common agenda's rules: who may see and change a program's indicators, their targets and reported values."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from app.accounts.services import CurrentUser
from app.accounts.tables import Organization
from app.agenda import measures, periods, review
from app.agenda.membership import organization_is_member
from app.agenda.review import STATUSES, TRANSITIONS  # noqa: F401 - the review statuses, as the pages have read them here
from app.agenda.tables import Indicator, IndicatorTarget, ReportedValue, ReportedValueStep
from app.analytics.tables import Program
from app.clock import now
from app.db import Row, atomic
from app.i18n import N_, get_locale
from app.i18n import gettext as _
from app.places import is_country
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied
from app.vocab import CATEGORIES, LEGAL_FORMS

log = logging.getLogger("forestmatch.agenda")

LANGUAGES = ("es", "en", "pt")
DIRECTIONS = {"increase": N_("Higher is better"), "decrease": N_("Lower is better")}
SOURCES = {"computed": N_("Computed from ForestMatch records"), "reported": N_("Reported by partners")}
DISAGGREGATIONS = {
    "": N_("None"),
    "country": N_("Country"),
    "legal_form": N_("Legal form"),
    "category": N_("Product family"),
}
#: Called after a reported value moved, with (value id, action, who moved it): other packages append theirs (the
#: partners package tells the reporting organisation when staff approve or return its value).
MOVE_HOOKS: list[Callable[[int, str, CurrentUser], Awaitable[None]]] = []
MAX_TARGET_ROWS = 40
MAX_INDICATORS = 60
EMPTY_TARGET_ROWS = 3


def _staff(user: CurrentUser) -> None:
    if not user.is_staff:
        raise PermissionDenied()


def localized(row: dict[str, Any], field: str, locale: str | None = None) -> str:
    """``field`` ('name' or 'definition') in the reader's language, else English, Spanish, Portuguese."""
    lang = (locale or get_locale()).split("_")[0]
    for code in (lang, "en", "es", "pt"):
        text = row.get(f"{field}_{code}") or ""
        if text:
            return str(text)
    return ""


# --- reading --------------------------------------------------------------------------------------------------------
async def program_for(user: CurrentUser, program_id: int) -> Row:
    """The program, for staff and users of its member organisations; NotFound for everyone else."""
    row = await Program.select(Program.id, Program.name, Program.description).where(Program.id == program_id).first()
    if row is None:
        raise NotFound()
    if not user.is_staff and not await organization_is_member(program_id, user.organization_id):
        raise NotFound()
    return Row(row)


async def staff_program(user: CurrentUser, program_id: int) -> Row:
    _staff(user)
    return await program_for(user, program_id)


async def indicators_of(program_id: int) -> list[Row]:
    """The program's indicators in their order, each with its targets (oldest period first)."""
    rows = await Indicator.select().where(Indicator.program == program_id).order_by(Indicator.position)
    rows = sorted(rows, key=lambda r: (r["position"], r["id"]))
    ids = [r["id"] for r in rows]
    targets = (
        await IndicatorTarget.select()
        .where(IndicatorTarget.indicator.is_in(ids))
        .order_by(IndicatorTarget.period_start)
        if ids
        else []
    )
    out = []
    for r in rows:
        own = [t for t in targets if t["indicator"] == r["id"]]
        own.sort(key=lambda t: (periods.of_row(t).start, periods.of_row(t).end))
        out.append(Row(r, name=localized(r, "name"), definition=localized(r, "definition"), targets=own))
    return out


async def get_indicator(user: CurrentUser, indicator_id: int) -> Row:
    """One indicator with its targets (staff)."""
    _staff(user)
    row = await Indicator.select().where(Indicator.id == indicator_id).first()
    if row is None:
        raise NotFound()
    targets = await IndicatorTarget.select().where(IndicatorTarget.indicator == indicator_id)
    targets.sort(key=lambda t: (periods.of_row(t).start, periods.of_row(t).end))
    return Row(row, name=localized(row, "name"), definition=localized(row, "definition"), targets=targets)


# --- indicators -----------------------------------------------------------------------------------------------------
def form_values(row: dict[str, Any] | None) -> dict[str, Any]:
    """What the indicator form shows: the stored indicator, or the values just entered, with target rows."""
    row = dict(row or {})
    values: dict[str, Any] = {k: row.get(k, "") for k in _FIELDS}
    values["direction"] = row.get("direction") or "increase"
    values["source"] = row.get("source") or "computed"
    baseline = row.get("baseline_value")
    values["baseline_value"] = (
        "" if baseline is None else (f"{baseline:g}" if isinstance(baseline, float) else baseline)
    )
    values["baseline_date"] = "" if row.get("baseline_date") is None else str(row.get("baseline_date"))
    targets: list[tuple[str, str]] = []
    if "targets" in row:
        for t in row["targets"]:
            targets.append((periods.of_row(t).label, f"{t['value']:g}"))
    else:
        for i in range(MAX_TARGET_ROWS):
            p, v = str(row.get(f"target_period_{i}", "")), str(row.get(f"target_value_{i}", ""))
            if p.strip() or v.strip():
                targets.append((p, v))
    values["targets"] = targets + [("", "")] * EMPTY_TARGET_ROWS
    return values


_FIELDS = (
    *(f"{field}_{lang}" for field in ("name", "definition") for lang in LANGUAGES),
    "unit",
    "direction",
    "source",
    "measure",
    "disaggregation",
)


def _clean(raw: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[periods.Period, float]]]:
    c = Checker(raw)
    data: dict[str, Any] = {}
    for lang in LANGUAGES:
        data[f"name_{lang}"] = c.text(f"name_{lang}", max_len=200)
        data[f"definition_{lang}"] = c.text(f"definition_{lang}", max_len=2000)
    if not any(data[f"name_{lang}"] for lang in LANGUAGES) and not any(f"name_{x}" in c.errors for x in LANGUAGES):
        c.fail("name_en", _("Name the indicator in at least one language."))
    data["direction"] = c.choice("direction", DIRECTIONS, required=True, default="increase")
    data["source"] = c.choice("source", SOURCES, required=True, default="computed")
    data["disaggregation"] = c.choice("disaggregation", DISAGGREGATIONS, default="")
    data["measure"] = ""
    unit = c.text("unit", max_len=40)
    if data["source"] == "computed":
        key = c.text("measure", max_len=60)
        if not key:
            c.fail("measure", _("Choose what the indicator is computed from."))
        elif key not in measures.MEASURES:
            c.fail("measure", _("Choose a measure from the list."))
            key = ""
        data["measure"] = key
        if key:
            measure = measures.MEASURES[key]
            unit = unit or measure.unit
            if data["disaggregation"] and data["disaggregation"] not in measure.dimensions:
                c.fail("disaggregation", _("This measure cannot be broken down this way; choose another or none."))
    elif data["source"] == "reported" and not unit and "unit" not in c.errors:
        c.fail("unit", _("Say what the values count, for example hectares or people."))
    data["unit"] = unit
    data["baseline_value"] = c.number("baseline_value", minimum=-1e12)
    data["baseline_date"] = c.date("baseline_date")
    if data["baseline_value"] is not None and data["baseline_date"] is None and "baseline_date" not in c.errors:
        c.fail("baseline_date", _("Give the date the baseline was measured."))
    if data["baseline_date"] is not None and data["baseline_value"] is None and "baseline_value" not in c.errors:
        c.fail("baseline_value", _("Give the baseline's value, or leave both baseline fields empty."))
    targets: list[tuple[periods.Period, float]] = []
    seen: set[periods.Period] = set()
    for i in range(MAX_TARGET_ROWS):
        label, value = str(raw.get(f"target_period_{i}", "")).strip(), str(raw.get(f"target_value_{i}", "")).strip()
        if not label and not value:
            continue
        period = periods.parse(label)
        if period is None:
            c.fail(f"target_period_{i}", _("Enter a quarter such as 2026-Q3 or a year such as 2026."))
        elif period in seen:
            c.fail(f"target_period_{i}", _("This period already has a target above."))
        number = c.number(f"target_value_{i}", required=True, minimum=-1e12)
        if period is not None and number is not None and period not in seen:
            targets.append((period, number))
        if period is not None:
            seen.add(period)
    c.raise_if_errors()
    return data, sorted(targets)


async def _write_targets(indicator_id: int, targets: list[tuple[periods.Period, float]]) -> None:
    await IndicatorTarget.delete().where(IndicatorTarget.indicator == indicator_id)
    if targets:
        await IndicatorTarget.insert(
            *[
                IndicatorTarget(
                    indicator=indicator_id, period_kind=p.kind, period_start=p.start, period_end=p.end, value=v
                )
                for p, v in targets
            ]
        )


async def create_indicator(user: CurrentUser, program_id: int, raw: dict[str, Any]) -> int:
    """A new indicator of the program with its baseline and targets; FieldErrors when something is wrong."""
    await staff_program(user, program_id)
    data, targets = _clean(raw)
    async with atomic():
        count = await Indicator.count().where(Indicator.program == program_id)
        if count >= MAX_INDICATORS:
            raise FieldErrors({"name_en": _("A program may have at most %(n)s indicators.", n=MAX_INDICATORS)}, raw)
        rows = await Indicator.insert(Indicator(program=program_id, position=count + 1, **data)).returning(Indicator.id)
        indicator_id = int(rows[0]["id"])
        await _write_targets(indicator_id, targets)
    return indicator_id


async def update_indicator(user: CurrentUser, indicator_id: int, raw: dict[str, Any]) -> int:
    """Save an indicator's fields, baseline and targets (the target rows replace the stored ones)."""
    row = await get_indicator(user, indicator_id)
    data, targets = _clean(raw)
    if data["source"] != row["source"] and await ReportedValue.exists().where(ReportedValue.indicator == indicator_id):
        raise FieldErrors({"source": _("Values were reported for this indicator: it stays reported.")}, raw)
    async with atomic():
        changes: dict[Any, Any] = {**data, Indicator.updated_at: now()}
        await Indicator.update(changes).where(Indicator.id == indicator_id)
        await _write_targets(indicator_id, targets)
    return int(row["program"])


async def delete_indicator(user: CurrentUser, indicator_id: int) -> int:
    """Delete an indicator with its targets and reported values; returns its program's id."""
    row = await get_indicator(user, indicator_id)
    async with atomic():
        await Indicator.delete().where(Indicator.id == indicator_id)
    return int(row["program"])


# --- reported values ------------------------------------------------------------------------------------------------
def _dimension_ok(disaggregation: str, value: str) -> bool:
    if disaggregation == "country":
        return is_country(value)
    if disaggregation == "legal_form":
        return value in LEGAL_FORMS
    if disaggregation == "category":
        return value in CATEGORIES
    return value == ""


async def _clean_value(indicator: dict[str, Any], raw: dict[str, Any]) -> dict[str, Any]:
    c = Checker(raw)
    period = periods.parse(str(raw.get("period", "")))
    if period is None:
        c.fail("period", _("Enter a quarter such as 2026-Q3 or a year such as 2026."))
    dimension = c.text("dimension", max_len=60)
    if indicator["disaggregation"] in ("country",):
        dimension = dimension.upper()
    if dimension and not indicator["disaggregation"]:
        c.fail("dimension", _("This indicator is not broken down: leave this empty."))
    elif dimension and not _dimension_ok(indicator["disaggregation"], dimension):
        c.fail("dimension", _("Not a value of this breakdown; leave it empty for the total."))
    value = c.number("value", required=True, minimum=-1e12)
    note = c.text("note", max_len=2000)
    org_id = None
    ref = c.text("organization", max_len=40)
    if ref:
        org = await Organization.select(Organization.id).where(Organization.ref == ref).first()
        if org is None:
            c.fail("organization", _("No organisation with the reference: %(refs)s.", refs=ref))
        else:
            org_id = int(org["id"])
    c.raise_if_errors()
    assert period is not None
    return {
        "period_kind": period.kind,
        "period_start": period.start,
        "period_end": period.end,
        "dimension": dimension,
        "value": value,
        "note": note,
        "organization": org_id,
    }


async def create_reported_value(user: CurrentUser, indicator_id: int, raw: dict[str, Any]) -> int:
    """A draft value of a reported indicator (staff for now); FieldErrors when something is wrong."""
    indicator = await get_indicator(user, indicator_id)
    if indicator["source"] != "reported":
        raise FieldErrors({"value": _("This indicator is computed from the records; it takes no reported values.")})
    data = await _clean_value(indicator, raw)
    async with atomic():
        rows = await ReportedValue.insert(
            ReportedValue(indicator=indicator_id, status="draft", created_by=user.id, **data)
        ).returning(ReportedValue.id)
        value_id = int(rows[0]["id"])
        await ReportedValueStep.insert(
            ReportedValueStep(reported_value=value_id, status="draft", value=data["value"], by_user=user.id)
        )
    return value_id


async def _value(user: CurrentUser, value_id: int) -> Row:
    _staff(user)
    row = await ReportedValue.select().where(ReportedValue.id == value_id).first()
    if row is None:
        raise NotFound()
    return Row(row)


async def correct_reported_value(user: CurrentUser, value_id: int, raw: dict[str, Any]) -> int:
    """Change a draft or returned value (period, breakdown, number, note); returns the indicator's id."""
    row = await _value(user, value_id)
    indicator = await get_indicator(user, int(row["indicator"]))
    if row["status"] not in ("draft", "returned"):
        raise FieldErrors({"value": _("Only a draft or a returned value can be changed.")}, raw)
    data = await _clean_value(indicator, raw)
    await apply_value_correction(value_id, row["status"], user.id, data, raw)
    return int(row["indicator"])


async def apply_value_correction(
    value_id: int, status: str, user_id: int, data: dict[str, Any], raw: dict[str, Any]
) -> None:
    """Write a draft or returned value's checked fields and its step (the value kept in its status), unless someone
    moved it meanwhile (FieldErrors, with the form ``raw``); the caller has checked who may."""
    async with atomic():
        changed = (
            await ReportedValue.update(dict(data))
            .where((ReportedValue.id == value_id) & ReportedValue.status.is_in(["draft", "returned"]))
            .returning(ReportedValue.id)
        )
        if not changed:
            raise FieldErrors({"value": _("Only a draft or a returned value can be changed.")}, raw)
        await ReportedValueStep.insert(
            ReportedValueStep(reported_value=value_id, status=status, value=data["value"], by_user=user_id)
        )


async def apply_value_move(value_id: int, status: str, user_id: int, action: str, comment: str = "") -> None:
    """Move a reported value now in ``status`` by the review rules (``app.agenda.review``), recording who and when;
    the caller has checked that the user may (staff here, the reporting partner in ``app.partners.updates``)."""
    sources, target, comment = review.check_move(
        action, status, comment, N_("This value is %(status)s: it cannot be moved that way.")
    )
    moment = now()
    changes: dict[Any, Any] = {ReportedValue.status: target}
    changes.update(review.who_and_when(ReportedValue, action, user_id, moment))
    changes[ReportedValue.comment] = comment if action == "return" else ""
    await review.record_move(
        ReportedValue,
        ReportedValueStep,
        "reported_value",
        value_id,
        sources,
        changes,
        {"status": target, "comment": comment, "by_user": user_id, "at": moment},
        N_("This value was changed meanwhile; look at it again."),
    )


async def move_reported_value(user: CurrentUser, value_id: int, action: str, comment: str = "") -> int:
    """Submit, approve or return (with a comment) a reported value; returns the indicator's id."""
    row = await _value(user, value_id)
    await apply_value_move(value_id, row["status"], user.id, action, comment)
    for hook in MOVE_HOOKS:
        try:
            await hook(value_id, action, user)
        except Exception:  # the move is saved; a failed notification must not turn it into an error page
            log.exception("after-move hook failed for reported value %s", value_id)
    return int(row["indicator"])


async def reported_values(user: CurrentUser, indicator_id: int) -> list[Row]:
    """The indicator's reported values, newest period first, each with its steps (who, when, what)."""
    await get_indicator(user, indicator_id)
    rows = await ReportedValue.select(
        *ReportedValue.all_columns(), ReportedValue.organization.name.as_alias("organization_name")
    ).where(ReportedValue.indicator == indicator_id)
    steps = await review.steps_of(ReportedValueStep, "reported_value", [r["id"] for r in rows])
    out = []
    for r in sorted(rows, key=lambda r: (periods.of_row(r), r["dimension"], r["id"]), reverse=True):
        out.append(Row(r, period=periods.of_row(r).label, steps=steps.get(r["id"], [])))
    return out


def approved_sums(rows: list[dict[str, Any]]) -> dict[tuple[dt.date, dt.date], dict[str, float]]:
    """Approved values added up per period and breakdown value (several partners' values for one period add up)."""
    out: dict[tuple[dt.date, dt.date], dict[str, float]] = {}
    for r in rows:
        if r["status"] != "approved":
            continue
        p = periods.of_row(r)
        bucket = out.setdefault((p.start, p.end), {})
        bucket[r["dimension"]] = bucket.get(r["dimension"], 0.0) + float(r["value"])
    return out


async def reported_value(user: CurrentUser, value_id: int) -> Row:
    """One reported value with its period label (staff)."""
    row = await _value(user, value_id)
    return Row(row, period=periods.of_row(row).label)
