"""Progress updates on commitments and the values partners report on the program's reported indicators.

Both move draft -> submitted -> approved, or submitted -> returned (with staff's comment) -> corrected -> submitted;
who and when is recorded at each step. Partners submit; only staff approve or return. Staff are told when a partner
submits, the partner's users when staff approve or return (in-app, through ``app.notifications``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from app.accounts.services import CurrentUser
from app.accounts.tables import User
from app.agenda import periods, review
from app.agenda import services as agenda
from app.agenda.review import TRANSITIONS
from app.agenda.tables import Indicator, ReportedValue, ReportedValueStep
from app.clock import now
from app.db import Row, atomic
from app.i18n import N_
from app.i18n import gettext as _
from app.notifications.services import Alert, deliver
from app.partners import evidence
from app.partners.services import get_commitment, partner_program, program_indicators, program_periods
from app.partners.tables import Commitment, CommitmentIndicator, EvidenceFile, ProgressUpdate, ProgressUpdateStep
from app.validation import Checker, FieldErrors, NotFound, PermissionDenied

MAX_LINKS = 5


# --- notifications --------------------------------------------------------------------------------------------------
async def _staff_ids() -> list[int]:
    rows = await User.select(User.id).where((User.role == "staff") & (User.is_active == True))  # noqa: E712
    return [int(r["id"]) for r in rows]


async def _org_user_ids(org_id: int | None) -> list[int]:
    if org_id is None:
        return []
    rows = await User.select(User.id).where((User.organization == org_id) & (User.is_active == True))  # noqa: E712
    return [int(r["id"]) for r in rows]


async def _tell(kind: str, key: str, params: dict[str, Any], link: str, recipients: list[int]) -> None:
    await deliver(Alert(kind=kind, key=key, params=params, link=link), recipients)


# --- periods and links ----------------------------------------------------------------------------------------------
async def period_choices(program_id: int) -> list[str]:
    """The labels of the periods updates are given for (the program's target periods)."""
    return [p.label for p in await program_periods(program_id)]


async def _period(c: Checker, program_id: int, raw: dict[str, Any]) -> periods.Period | None:
    period = periods.parse(str(raw.get("period") or ""))
    allowed = await program_periods(program_id)
    if period is None or (allowed and period not in allowed):
        c.fail("period", _("Choose one of the program's periods."))
        return None
    return period


def _links(c: Checker, raw: dict[str, Any]) -> str:
    lines = [line.strip() for line in str(raw.get("links") or "").splitlines() if line.strip()]
    if len(lines) > MAX_LINKS:
        c.fail("links", _("Give at most %(n)s links.", n=MAX_LINKS))
        return ""
    for line in lines:
        parts = urlsplit(line)
        if parts.scheme != "https" or not parts.netloc or len(line) > 500 or " " in line:
            c.fail("links", _("Each link must start with https:// (one a line): %(link)s", link=line[:80]))
            return ""
    return "\n".join(lines)


# --- progress updates -----------------------------------------------------------------------------------------------
async def updates_of(commitment_id: int) -> list[Row]:
    """A commitment's updates, newest period first, each with its steps (who, when, why) and evidence files."""
    rows = await ProgressUpdate.select().where(ProgressUpdate.commitment == commitment_id)
    ids = [r["id"] for r in rows]
    steps = await review.steps_of(ProgressUpdateStep, "progress_update", ids)
    files = (
        await EvidenceFile.select(
            EvidenceFile.id, EvidenceFile.progress_update, EvidenceFile.filename, EvidenceFile.size
        ).where(EvidenceFile.progress_update.is_in(ids))
        if ids
        else []
    )
    out = []
    for r in sorted(rows, key=lambda r: (periods.of_row(r), r["id"]), reverse=True):
        own_steps = steps.get(r["id"], [])
        own_files = sorted((f for f in files if f["progress_update"] == r["id"]), key=lambda f: f["id"])
        out.append(
            Row(
                r,
                period=periods.of_row(r).label,
                steps=own_steps,
                files=own_files,
                link_list=[x for x in r["links"].split("\n") if x],
            )
        )
    return out


async def get_update(user: CurrentUser, update_id: int) -> tuple[Row, Row]:
    """(update, its commitment) for staff or the commitment's partner users; NotFound otherwise."""
    row = await ProgressUpdate.select().where(ProgressUpdate.id == update_id).first()
    if row is None:
        raise NotFound()
    commitment = await get_commitment(user, int(row["commitment"]))
    return Row(row, period=periods.of_row(row).label), commitment


def _clean_update(c: Checker, raw: dict[str, Any]) -> dict[Any, Any]:
    return {
        "narrative": c.text("narrative", required=True, max_len=4000),
        "value": c.number("value", minimum=-1e12),
        "links": _links(c, raw),
    }


async def create_update(
    user: CurrentUser,
    commitment_id: int,
    raw: dict[str, Any],
    uploads: list[evidence.Upload],
    submit: bool = False,
    notify: bool = True,
) -> int:
    """A progress update (draft, or submitted at once) on a commitment for one of the program's periods.
    ``notify=False`` tells nobody (the demo loads past history)."""
    commitment = await get_commitment(user, commitment_id)
    c = Checker(raw)
    period = await _period(c, int(commitment["program"]), raw)
    data = _clean_update(c, raw)
    problem = evidence.check(uploads)
    if problem:
        c.fail("files", problem)
    if period is not None and await ProgressUpdate.exists().where(
        (ProgressUpdate.commitment == commitment_id)
        & (ProgressUpdate.period_start == period.start)
        & (ProgressUpdate.period_end == period.end)
    ):
        c.fail("period", _("This commitment has an update for this period already: correct that one."))
    c.raise_if_errors()
    assert period is not None
    moment = now()
    stored = [(evidence.clean_name(u.filename), len(u.content), *evidence.store(u)) for u in uploads]
    async with atomic():
        rows = await ProgressUpdate.insert(
            ProgressUpdate(
                commitment=commitment_id,
                period_kind=period.kind,
                period_start=period.start,
                period_end=period.end,
                created_by=user.id,
                created_at=moment,
                status="draft",
                **data,
            )
        ).returning(ProgressUpdate.id)
        update_id = int(rows[0]["id"])
        await ProgressUpdateStep.insert(ProgressUpdateStep(progress_update=update_id, status="draft", by_user=user.id))
        await _save_files(update_id, stored, user)
    if submit:
        await move_update(user, update_id, "submit", notify=notify)
    return update_id


async def _save_files(update_id: int, stored: list[tuple[str, int, str, str]], user: CurrentUser) -> None:
    for filename, size, stored_name, content_type in stored:
        await EvidenceFile.insert(
            EvidenceFile(
                progress_update=update_id,
                filename=filename,
                stored_name=stored_name,
                content_type=content_type,
                size=size,
                uploaded_by=user.id,
            )
        )


async def correct_update(
    user: CurrentUser,
    update_id: int,
    raw: dict[str, Any],
    uploads: list[evidence.Upload],
    submit: bool = False,
    notify: bool = True,
) -> int:
    """Change a draft or returned update (narrative, value, links, more files); returns the commitment's id."""
    row, commitment = await get_update(user, update_id)
    c = Checker(raw)
    data = _clean_update(c, raw)
    if row["status"] not in ("draft", "returned"):
        c.fail("narrative", _("Only a draft or a returned update can be changed."))
    already = await EvidenceFile.count().where(EvidenceFile.progress_update == update_id)
    problem = evidence.check(uploads, already)
    if problem:
        c.fail("files", problem)
    c.raise_if_errors()
    stored = [(evidence.clean_name(u.filename), len(u.content), *evidence.store(u)) for u in uploads]
    async with atomic():
        changed = (
            await ProgressUpdate.update(data)
            .where((ProgressUpdate.id == update_id) & ProgressUpdate.status.is_in(["draft", "returned"]))
            .returning(ProgressUpdate.id)
        )
        if not changed:
            raise FieldErrors({"narrative": _("Only a draft or a returned update can be changed.")}, raw)
        await ProgressUpdateStep.insert(
            ProgressUpdateStep(progress_update=update_id, status=row["status"], by_user=user.id)
        )
        await _save_files(update_id, stored, user)
    if submit:
        await move_update(user, update_id, "submit", notify=notify)
    return int(commitment["id"])


async def move_update(user: CurrentUser, update_id: int, action: str, comment: str = "", notify: bool = True) -> int:
    """Submit (partner or staff), approve or return with a comment (staff only) an update; returns the commitment id."""
    row, commitment = await get_update(user, update_id)
    if action in ("approve", "return") and not user.is_staff and action in TRANSITIONS:
        raise PermissionDenied()
    sources, target, comment = review.check_move(
        action, row["status"], comment, N_("This update is %(status)s: it cannot be moved that way.")
    )
    moment = now()
    changes: dict[Any, Any] = {ProgressUpdate.status: target, ProgressUpdate.comment: comment}
    changes.update(review.who_and_when(ProgressUpdate, action, user.id, moment))
    if action == "submit" and row["first_submitted_at"] is None:
        changes[ProgressUpdate.first_submitted_at] = moment
    step_id = await review.record_move(
        ProgressUpdate,
        ProgressUpdateStep,
        "progress_update",
        update_id,
        sources,
        changes,
        {"status": target, "comment": comment, "by_user": user.id, "at": moment},
        N_("This update was changed meanwhile; look at it again."),
    )
    if not notify:
        return int(commitment["id"])
    params = {
        "org": commitment["organization_name"],
        "title": commitment["title"],
        "period": row["period"],
        "program": commitment["program_name"],
        "comment": comment,
    }
    link = f"/commitments/{commitment['id']}#update-{update_id}"
    key = f"partner-update-step:{step_id}"
    if action == "submit":
        await _tell("partner_submitted", key, params, link, await _staff_ids())
    else:
        recipients = await _org_user_ids(int(commitment["organization"]))
        await _tell("partner_approved" if action == "approve" else "partner_returned", key, params, link, recipients)
    return int(commitment["id"])


async def evidence_file(user: CurrentUser, file_id: int) -> Row:
    """An evidence file's row, for staff and the update's partner users; NotFound otherwise."""
    row = await EvidenceFile.select().where(EvidenceFile.id == file_id).first()
    if row is None:
        raise NotFound()
    await get_update(user, int(row["progress_update"]))
    return Row(row)


# --- values of reported indicators ----------------------------------------------------------------------------------
async def served_reported_indicators(program_id: int, org_id: int) -> list[Row]:
    """The program's reported indicators the organisation's commitments serve (not dropped), in their order."""
    links = await CommitmentIndicator.select(CommitmentIndicator.indicator).where(
        (CommitmentIndicator.commitment.program == program_id)
        & (CommitmentIndicator.commitment.organization == org_id)
        & (CommitmentIndicator.commitment.status != "dropped")
    )
    served = {int(r["indicator"]) for r in links}
    return [i for i in await program_indicators(program_id) if i["source"] == "reported" and i["id"] in served]


async def partner_values(user: CurrentUser, program_id: int, org_id: int | None = None) -> list[Row]:
    """Values partners reported on the program's indicators (partner users: their organisation's only), with steps."""
    await partner_program(user, program_id)
    where = (ReportedValue.indicator.program == program_id) & ReportedValue.organization.is_not_null()
    if not user.is_staff:
        where &= ReportedValue.organization == user.organization_id
    elif org_id is not None:
        where &= ReportedValue.organization == org_id
    rows = await ReportedValue.select(
        *ReportedValue.all_columns(), ReportedValue.organization.name.as_alias("organization_name")
    ).where(where)
    names = {i["id"]: i for i in await program_indicators(program_id)}
    steps = await review.steps_of(ReportedValueStep, "reported_value", [r["id"] for r in rows])
    out = []
    for r in sorted(rows, key=lambda r: (periods.of_row(r), r["id"]), reverse=True):
        indicator = names.get(r["indicator"])
        own = steps.get(r["id"], [])
        out.append(
            Row(
                r,
                period=periods.of_row(r).label,
                indicator_name=indicator["name"] if indicator else "",
                unit=indicator["unit"] if indicator else "",
                steps=own,
            )
        )
    return out


async def _own_value(user: CurrentUser, value_id: int) -> Row:
    row = (
        await ReportedValue.select(*ReportedValue.all_columns(), ReportedValue.indicator.program.as_alias("program"))
        .where(ReportedValue.id == value_id)
        .first()
    )
    if row is None or row["organization"] is None:
        raise NotFound()
    await partner_program(user, int(row["program"]))
    if not user.is_staff and row["organization"] != user.organization_id:
        raise NotFound()
    return Row(row, period=periods.of_row(row).label)


async def value_program(user: CurrentUser, value_id: int) -> int:
    """The program of a value the user may see (its organisation's, or any for staff)."""
    return int((await _own_value(user, value_id))["program"])


def _clean_value(c: Checker) -> dict[Any, Any]:
    return {"value": c.number("value", required=True, minimum=-1e12), "note": c.text("note", max_len=2000)}


async def report_value(user: CurrentUser, program_id: int, raw: dict[str, Any], submit: bool = False) -> int:
    """A partner's value for one of the reported indicators its commitments serve, for one of the program's periods
    (draft, or submitted at once); the value belongs to the user's organisation."""
    await partner_program(user, program_id)
    if user.is_staff or user.organization_id is None:
        raise PermissionDenied()  # staff enter values on the agenda's own pages
    c = Checker(raw)
    served = {str(i["id"]): int(i["id"]) for i in await served_reported_indicators(program_id, user.organization_id)}
    indicator_id = served.get(str(raw.get("indicator") or "").strip())
    if indicator_id is None:
        c.fail("indicator", _("Choose a reported indicator your commitments serve."))
    period = await _period(c, program_id, raw)
    data = _clean_value(c)
    if (
        indicator_id is not None
        and period is not None
        and await ReportedValue.exists().where(
            (ReportedValue.indicator == indicator_id)
            & (ReportedValue.organization == user.organization_id)
            & (ReportedValue.period_start == period.start)
            & (ReportedValue.period_end == period.end)
            & (ReportedValue.dimension == "")
        )
    ):
        c.fail("period", _("Your organisation reported this indicator for this period already: correct that value."))
    c.raise_if_errors()
    assert period is not None and indicator_id is not None
    async with atomic():
        rows = await ReportedValue.insert(
            ReportedValue(
                indicator=indicator_id,
                period_kind=period.kind,
                period_start=period.start,
                period_end=period.end,
                dimension="",
                status="draft",
                organization=user.organization_id,
                created_by=user.id,
                **data,
            )
        ).returning(ReportedValue.id)
        value_id = int(rows[0]["id"])
        await ReportedValueStep.insert(
            ReportedValueStep(reported_value=value_id, status="draft", value=data["value"], by_user=user.id)
        )
    if submit:
        await submit_value(user, value_id)
    return value_id


async def correct_value(user: CurrentUser, value_id: int, raw: dict[str, Any], submit: bool = False) -> int:
    """Change a draft or returned value of the user's organisation (number and note); returns the program's id."""
    row = await _own_value(user, value_id)
    c = Checker(raw)
    data = _clean_value(c)
    if row["status"] not in ("draft", "returned"):
        c.fail("value", _("Only a draft or a returned value can be changed."))
    c.raise_if_errors()
    await agenda.apply_value_correction(value_id, row["status"], user.id, data, raw)
    if submit:
        await submit_value(user, value_id)
    return int(row["program"])


async def submit_value(user: CurrentUser, value_id: int) -> int:
    """Submit a draft or returned value of the user's organisation; staff are told. Returns the program's id."""
    row = await _own_value(user, value_id)
    await agenda.apply_value_move(value_id, row["status"], user.id, "submit")
    await _value_moved(value_id, "submit", user)
    return int(row["program"])


async def _value_moved(value_id: int, action: str, user: CurrentUser) -> None:
    """Tell staff that a partner submitted a value, or the partner that staff approved or returned it."""
    row = (
        await ReportedValue.select(
            ReportedValue.id,
            ReportedValue.indicator,
            ReportedValue.organization,
            ReportedValue.comment,
            ReportedValue.period_kind,
            ReportedValue.period_start,
            ReportedValue.period_end,
            ReportedValue.organization.name.as_alias("org"),
            ReportedValue.indicator.program.as_alias("program_id"),
            ReportedValue.indicator.program.name.as_alias("program"),  # type: ignore[union-attr]
        )
        .where(ReportedValue.id == value_id)
        .first()
    )
    if row is None or row["organization"] is None or action not in ("submit", "approve", "return"):
        return
    indicator = await Indicator.select().where(Indicator.id == row["indicator"]).first()
    step = (
        await ReportedValueStep.select(ReportedValueStep.id)
        .where(ReportedValueStep.reported_value == value_id)
        .order_by(ReportedValueStep.id, ascending=False)
        .first()
    )
    params = {
        "org": row["org"],
        "title": agenda.localized(indicator or {}, "name"),
        "period": periods.of_row(row).label,
        "program": row["program"],
        "comment": row["comment"],
    }
    key = f"reported-value-step:{step['id'] if step else value_id}"
    if action == "submit":
        link = f"/staff/agenda/indicators/{row['indicator']}/values"
        await _tell("partner_submitted", key, params, link, await _staff_ids())
    else:
        link = f"/programs/{row['program_id']}/commitments#value-{value_id}"
        kind = "partner_approved" if action == "approve" else "partner_returned"
        await _tell(kind, key, params, link, await _org_user_ids(int(row["organization"])))


# Staff approve and return partners' values on the agenda's own pages: the partner hears of it through this hook.
if _value_moved not in agenda.MOVE_HOOKS:
    agenda.MOVE_HOOKS.append(_value_moved)


async def commitment_program(commitment_id: int) -> int:
    row = await Commitment.select(Commitment.program).where(Commitment.id == commitment_id).first()
    if row is None:
        raise NotFound()
    return int(row["program"])


async def waiting_for_review(program_id: int) -> list[Row]:
    """Partners' submitted progress updates and values in the program, oldest submission first, with where to
    review each (staff)."""
    submitted = await ProgressUpdate.select(
        ProgressUpdate.id,
        ProgressUpdate.commitment,
        ProgressUpdate.period_kind,
        ProgressUpdate.period_start,
        ProgressUpdate.period_end,
        ProgressUpdate.submitted_at,
        ProgressUpdate.commitment.title.as_alias("title"),
        ProgressUpdate.commitment.organization.name.as_alias("organization_name"),  # type: ignore[union-attr]
    ).where((ProgressUpdate.commitment.program == program_id) & (ProgressUpdate.status == "submitted"))
    rows = [
        Row(
            kind="update",
            id=r["id"],
            title=r["title"],
            organization_name=r["organization_name"],
            period=periods.of_row(r).label,
            submitted_at=r["submitted_at"],
            link=f"/commitments/{r['commitment']}#update-{r['id']}",
        )
        for r in submitted
    ]
    names = {i["id"]: i["name"] for i in await program_indicators(program_id)}
    values = await ReportedValue.select(
        ReportedValue.id,
        ReportedValue.indicator,
        ReportedValue.period_kind,
        ReportedValue.period_start,
        ReportedValue.period_end,
        ReportedValue.submitted_at,
        ReportedValue.organization.name.as_alias("organization_name"),
    ).where(
        (ReportedValue.indicator.program == program_id)
        & ReportedValue.organization.is_not_null()
        & (ReportedValue.status == "submitted")
    )
    rows += [
        Row(
            kind="value",
            id=r["id"],
            title=names.get(r["indicator"], ""),
            organization_name=r["organization_name"],
            period=periods.of_row(r).label,
            submitted_at=r["submitted_at"],
            link=f"/staff/agenda/indicators/{r['indicator']}/values",
        )
        for r in values
    ]
    return sorted(rows, key=lambda r: (str(r["submitted_at"]), r["kind"], r["id"]))
