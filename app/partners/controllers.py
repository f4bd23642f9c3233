"""Pages of program partners: staff add partners and follow reporting; partners keep their commitments, progress
updates (with evidence) and indicator values; staff approve or return them."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Response, Router, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.agenda.membership import organization_is_member
from app.agenda.services import STATUSES
from app.i18n import N_
from app.i18n import gettext as _
from app.partners import completeness as reporting
from app.partners import evidence, services, updates
from app.partners import report_section as _report_section  # noqa: F401 - registers the program report's section
from app.validation import FieldErrors, NotFound
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

_NOTICES = {
    "partner_added": N_("The organisation is now a partner of the program."),
    "partner_removed": N_("The partner was removed from the program."),
    "commitment_created": N_("The commitment was saved."),
    "commitment_saved": N_("The commitment was saved."),
    "update_saved": N_("The progress update was saved as a draft."),
    "submitted": N_("Submitted: staff will review it."),
    "approved": N_("Approved: it now counts in the program's reporting."),
    "returned": N_("Returned with your comment."),
    "value_saved": N_("The value was saved as a draft."),
}


def _flash(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    done = request.query_params.get("done")
    return [("success", _(_NOTICES[done]))] if done in _NOTICES else []


def _done(url: str, done: str, anchor: str = "") -> Redirect:
    return see_other(f"{url}?{urlencode({'done': done})}{anchor}")


def _form_state(
    request: Request[Any, Any, Any], values: dict[str, Any], errors: dict[str, str] | None
) -> dict[str, Any]:
    """A form page's entered values, its errors, and the notice of what was just done (none beside errors)."""
    return {"values": values, "errors": errors or {}, "flash": [] if errors else _flash(request)}


def _statuses() -> dict[str, str]:
    return {k: _(v) for k, v in STATUSES.items()}


# --- staff: partners and reporting ----------------------------------------------------------------------------------
async def _partners_page(
    request: Request[Any, Any, Any],
    program_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    program = await services.staff_program(request.user, program_id)
    context = {
        "program": program,
        "partners": await services.partners_of(program_id),
        "organizations": [("", _("Choose an organisation"))] + await services.organization_choices(),
        "roles": [("", _("Choose a role"))] + [(k, _(v)) for k, v in services.ROLES.items()],
        **_form_state(request, values or {}, errors),
    }
    return render(request, "partners/partners.html.jinja2", context, status_code=status)


@get("/staff/programs/{program_id:int}/partners", include_in_schema=False, name="staff_program_partners")
async def partners_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """The program's partner organisations with their roles; add or remove one."""
    return await _partners_page(request, program_id)


@post("/staff/programs/{program_id:int}/partners", include_in_schema=False)
async def partner_add(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.add_partner(request.user, program_id, data)
    except FieldErrors as exc:
        return await _partners_page(request, program_id, data, exc.errors, 422)
    return _done(f"/staff/programs/{program_id}/partners", "partner_added")


@post("/staff/partners/{partner_id:int}/remove", include_in_schema=False)
async def partner_remove(request: Request[Any, Any, Any], partner_id: FromPath[int]) -> Redirect:
    program_id = await services.remove_partner(request.user, partner_id)
    return _done(f"/staff/programs/{program_id}/partners", "partner_removed")


@get("/staff/programs/{program_id:int}/reporting", include_in_schema=False, name="staff_program_reporting")
async def reporting_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """Per partner and period: updates expected, received, and received on time."""
    program = await services.staff_program(request.user, program_id)
    periods, lines = await reporting.completeness(program_id)
    context = {
        "program": program,
        "periods": periods,
        "lines": lines,
        "grace_days": reporting.REPORTING_GRACE_DAYS,
        "cell_label": reporting.cell_label,
        "waiting": await updates.waiting_for_review(program_id),
    }
    return render(request, "partners/reporting.html.jinja2", context)


# --- commitments ----------------------------------------------------------------------------------------------------
async def _commitment_options(request: Request[Any, Any, Any], program_id: int, org_id: int | None) -> dict[str, Any]:
    indicators = await services.program_indicators(program_id)
    users = await services.user_choices(org_id) if org_id else []
    partners = await services.partners_of(program_id) if request.user.is_staff else []
    return {
        "indicator_options": [(str(i["id"]), i["name"]) for i in indicators],
        "status_options": [(k, _(v)) for k, v in services.COMMITMENT_STATUSES.items()],
        "user_options": [("", _("Nobody chosen: type a name"))] + users,
        "partner_options": [("", _("Choose a partner"))]
        + [(p["organization_ref"], p["organization_name"]) for p in partners],
    }


async def _program_page(
    request: Request[Any, Any, Any],
    program_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    user = request.user
    program = await services.partner_program(user, program_id)
    org_id = None if user.is_staff else user.organization_id
    served = await updates.served_reported_indicators(program_id, org_id) if org_id else []
    context = {
        **await _program_context(request, program_id, org_id, errors),
        "program": program,
        "commitments": await services.commitments_of(user, program_id),
        "values_rows": await updates.partner_values(user, program_id),
        "served_options": [("", _("Choose an indicator"))]
        + [(str(i["id"]), f"{i['name']} ({i['unit']})") for i in served],
        "values": values or services.commitment_form(None),
        # The results are for staff and members: a partner that is not a member gets no link to a page it cannot read.
        "reads_results": user.is_staff or await organization_is_member(program_id, user.organization_id),
    }
    return render(request, "partners/commitments.html.jinja2", context, status_code=status)


async def _program_context(
    request: Request[Any, Any, Any], program_id: int, org_id: int | None, errors: dict[str, str] | None
) -> dict[str, Any]:
    """What the program's commitments page and a commitment's page both show: the errors or the notice, the review
    statuses, the program's periods and indicator names, and the commitment form's choices."""
    return {
        **_form_state(request, {}, errors),
        "statuses": _statuses(),
        "period_options": [("", _("Choose a period"))] + [(p, p) for p in await updates.period_choices(program_id)],
        "indicator_names": {i["id"]: i["name"] for i in await services.program_indicators(program_id)},
        "is_staff": request.user.is_staff,
        **await _commitment_options(request, program_id, org_id),
    }


@get("/programs/{program_id:int}/commitments", include_in_schema=False, name="program_commitments")
async def commitments_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """The program's commitments (a partner's own; staff: all), a form for a new one, and reported values."""
    return await _program_page(request, program_id)


@post("/programs/{program_id:int}/commitments", include_in_schema=False)
async def commitment_create(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request, multi=("indicators",))
    try:
        commitment_id = await services.create_commitment(request.user, program_id, data)
    except FieldErrors as exc:
        return await _program_page(request, program_id, services.commitment_form(data), exc.errors, 422)
    return _done(f"/commitments/{commitment_id}", "commitment_created")


async def _commitment_page(
    request: Request[Any, Any, Any],
    commitment_id: int,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    user = request.user
    commitment = await services.get_commitment(user, commitment_id)
    program_id = int(commitment["program"])
    context = {
        **await _program_context(request, program_id, int(commitment["organization"]), errors),
        "commitment": commitment,
        "form": (values or {}).get("form") or services.commitment_form(commitment),
        "values": values or {},
        "updates": await updates.updates_of(commitment_id),
        "max_files": evidence.MAX_FILES_PER_UPDATE,
        "max_mb": evidence.MAX_EVIDENCE_BYTES // (1024 * 1024),
    }
    return render(request, "partners/commitment.html.jinja2", context, status_code=status)


@get("/commitments/{commitment_id:int}", include_in_schema=False, name="commitment")
async def commitment_page(request: Request[Any, Any, Any], commitment_id: FromPath[int]) -> Template:
    """A commitment: its fields, its progress updates with their workflow, and a form for a new update."""
    return await _commitment_page(request, commitment_id)


@post("/commitments/{commitment_id:int}", include_in_schema=False)
async def commitment_update(request: Request[Any, Any, Any], commitment_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request, multi=("indicators",))
    try:
        await services.update_commitment(request.user, commitment_id, data)
    except FieldErrors as exc:
        return await _commitment_page(request, commitment_id, {"form": services.commitment_form(data)}, exc.errors, 422)
    return _done(f"/commitments/{commitment_id}", "commitment_saved")


async def _files(request: Request[Any, Any, Any]) -> list[evidence.Upload]:
    form = await request.form()
    out = []
    for item in form.getall("files") if "files" in form else []:
        if isinstance(item, UploadFile) and item.filename:
            out.append(evidence.Upload(item.filename, await item.read()))
    return out


@post(
    "/commitments/{commitment_id:int}/updates",
    include_in_schema=False,
    request_max_body_size=evidence.UPLOAD_BODY_BYTES,
)
async def update_create(request: Request[Any, Any, Any], commitment_id: FromPath[int]) -> Template | Redirect:
    """A new progress update (with evidence links and files); 'submit' sends it for review at once."""
    data = await read_form(request)
    submit = data.get("action") == "submit"
    try:
        await updates.create_update(request.user, commitment_id, data, await _files(request), submit=submit)
    except FieldErrors as exc:
        return await _commitment_page(request, commitment_id, data, exc.errors, 422)
    return _done(f"/commitments/{commitment_id}", "submitted" if submit else "update_saved")


@post(
    "/progress-updates/{update_id:int}/correct",
    include_in_schema=False,
    request_max_body_size=evidence.UPLOAD_BODY_BYTES,
)
async def update_correct(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Template | Redirect:
    """Correct a draft or returned update (fields named ``narrative_{id}`` and so on); 'submit' resubmits it."""
    _row, commitment = await updates.get_update(request.user, update_id)
    data = await read_form(request)
    plain = {k.removesuffix(f"_{update_id}"): v for k, v in data.items()}
    submit = data.get("action") == "submit"
    try:
        await updates.correct_update(request.user, update_id, plain, await _files(request), submit=submit)
    except FieldErrors as exc:
        errors = {f"{k}_{update_id}": v for k, v in exc.errors.items()}
        return await _commitment_page(request, int(commitment["id"]), data, errors, 422)
    return _done(f"/commitments/{commitment['id']}", "submitted" if submit else "update_saved", f"#update-{update_id}")


_MOVED = {"submit": "submitted", "approve": "approved", "return": "returned"}


@post("/progress-updates/{update_id:int}/{action:str}", include_in_schema=False)
async def update_move(
    request: Request[Any, Any, Any], update_id: FromPath[int], action: FromPath[str]
) -> Template | Redirect:
    """Submit (partner), approve or return with a comment (staff) a progress update."""
    _row, commitment = await updates.get_update(request.user, update_id)
    data = await read_form(request)
    comment = str(data.get(f"comment_{update_id}", ""))
    try:
        await updates.move_update(request.user, update_id, action, comment)
    except FieldErrors as exc:
        errors = {f"comment_{update_id}" if k == "comment" else k: v for k, v in exc.errors.items()}
        return await _commitment_page(request, int(commitment["id"]), data, errors, 422)
    return _done(f"/commitments/{commitment['id']}", _MOVED.get(action, ""), f"#update-{update_id}")


@get("/evidence/{file_id:int}", include_in_schema=False)
async def evidence_download(request: Request[Any, Any, Any], file_id: FromPath[int]) -> Response[bytes]:
    """An evidence file, for staff and the update's partner users (as a download, never shown inline)."""
    row = await updates.evidence_file(request.user, file_id)
    path = evidence.path_of(row["stored_name"])
    if path is None:
        raise NotFound()
    name = str(row["filename"])
    # An ASCII name for every client, the real one (RFC 5987) for those that read it: headers carry no other bytes.
    plain = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    disposition = f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name, safe='')}"
    return Response(
        content=path.read_bytes(),
        media_type=row["content_type"],
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


# --- values of reported indicators ----------------------------------------------------------------------------------
@post("/programs/{program_id:int}/values", include_in_schema=False)
async def value_report(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    """A partner's value for a reported indicator its commitments serve (draft, or submitted at once)."""
    data = await read_form(request)
    submit = data.get("action") == "submit"
    try:
        value_id = await updates.report_value(request.user, program_id, data, submit=submit)
    except FieldErrors as exc:
        return await _program_page(request, program_id, data, exc.errors, 422)
    return _done(f"/programs/{program_id}/commitments", "submitted" if submit else "value_saved", f"#value-{value_id}")


@post("/partner-values/{value_id:int}/{action:str}", include_in_schema=False)
async def value_move(
    request: Request[Any, Any, Any], value_id: FromPath[int], action: FromPath[str]
) -> Template | Redirect:
    """Correct (and resubmit) or submit the organisation's own value; staff approve on the agenda's values page."""
    if action not in ("correct", "submit"):
        raise NotFound()
    data = await read_form(request)
    then_submit = action == "submit" or data.get("then") == "submit"
    try:
        if action == "correct":
            plain = {k.removesuffix(f"_{value_id}"): v for k, v in data.items()}
            program_id = await updates.correct_value(request.user, value_id, plain, submit=then_submit)
        else:
            program_id = await updates.submit_value(request.user, value_id)
    except FieldErrors as exc:
        program_id = await updates.value_program(request.user, value_id)
        errors = {f"{k}_{value_id}" if k in ("value", "note") else k: v for k, v in exc.errors.items()}
        return await _program_page(request, program_id, data, errors, 422)
    done = "submitted" if then_submit else "value_saved"
    return _done(f"/programs/{program_id}/commitments", done, f"#value-{value_id}")


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.staff],
        route_handlers=[partners_page, partner_add, partner_remove, reporting_page],
    ),
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            commitments_page,
            commitment_create,
            commitment_page,
            commitment_update,
            update_create,
            update_correct,
            update_move,
            evidence_download,
            value_report,
            value_move,
        ],
    ),
]
