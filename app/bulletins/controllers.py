"""Program updates pages: the list of the reader's programs' updates, one update with its comments, the update form
(post, edit, withdraw), comments (add, delete, hide) and, for staff, who may post in a program."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.bulletins import services
from app.i18n import N_
from app.i18n import gettext as _
from app.notifications.services import mark_alert_read
from app.validation import MAX_PAGE, FieldErrors, PermissionDenied
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

LIST_PAGE = "bulletins/page.html.jinja2"
LIST_FRAGMENT = "bulletins/_list.html.jinja2"
DETAIL_PAGE = "bulletins/update.html.jinja2"
FORM_PAGE = "bulletins/form.html.jinja2"
POSTERS_PAGE = "bulletins/posters.html.jinja2"

_NOTICES = {
    "posted": N_("Your update was posted; the program's participants are told."),
    "edited": N_("The update was saved."),
    "withdrawn": N_("The update was withdrawn: participants no longer see it."),
    "commented": N_("Your comment was added."),
    "deleted": N_("Your comment was deleted."),
    "hidden": N_("The comment is hidden from participants."),
    "poster-added": N_("The user may now post in this program."),
    "poster-removed": N_("The user may no longer post in this program."),
}


def _flash(request: Request[Any, Any, Any]) -> list[tuple[str, str]]:
    done = request.query_params.get("done")
    return [("success", _(_NOTICES[done]))] if done in _NOTICES else []


@get("/programs/updates", include_in_schema=False, name="program_updates")
async def updates_page(
    request: Request[Any, Any, Any], page: FromQuery[int] = 1, program: FromQuery[int | None] = None
) -> Template:
    """The updates of the reader's programs, newest first (one program's: 404 unless the reader belongs to it)."""
    if program is not None:
        await services.readable_program(request.user, program)
    page = min(max(page, 1), MAX_PAGE)
    rows, total = await services.list_updates(request.user, page=page, program_id=program)
    context = {
        "rows": rows,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // services.PAGE_SIZE)),
        "postable": await services.postable_programs(request.user),
        "program": program,
        "flash": _flash(request),
    }
    return render(request, LIST_PAGE, context, fragment=LIST_FRAGMENT)


def _form(
    request: Request[Any, Any, Any],
    action: str,
    values: dict[str, Any],
    errors: dict[str, str],
    programs: list[tuple[int, str]] | None,
    status: int = 200,
) -> Template:
    context = {"action": action, "values": values, "errors": errors, "programs": programs}
    return render(request, FORM_PAGE, context, status_code=status)


@get("/programs/updates/new", include_in_schema=False)
async def update_new(request: Request[Any, Any, Any], program: FromQuery[str] = "") -> Template:
    """The form to post an update (staff, and users allowed to post in a program)."""
    programs = await services.postable_programs(request.user)
    if not programs:
        raise PermissionDenied()
    values = services.form_values()
    values["program"] = program
    return _form(request, "/programs/updates", values, {}, programs)


@post("/programs/updates", include_in_schema=False)
async def update_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    data = await read_form(request)
    try:
        update_id = await services.post_update(request.user, data)
    except FieldErrors as exc:
        programs = await services.postable_programs(request.user)
        return _form(request, "/programs/updates", services.form_values(raw=data), exc.errors, programs, 422)
    return see_other(f"/programs/updates/{update_id}?" + urlencode({"done": "posted"}))


@get("/programs/updates/{update_id:int}", include_in_schema=False)
async def update_detail(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Template:
    """One update with its comments; opening it marks the reader's notification of it read."""
    update = await services.get_update(request.user, update_id)
    comments = await services.list_comments(request.user, update)
    await mark_alert_read(request.user, f"program-update:{update_id}")
    context = {"update": update, "comments": comments, "errors": {}, "comment": "", "flash": _flash(request)}
    return render(request, DETAIL_PAGE, context)


@get("/programs/updates/{update_id:int}/edit", include_in_schema=False)
async def update_edit(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Template:
    update = await services.editable_update(request.user, update_id)
    return _form(request, f"/programs/updates/{update_id}/edit", services.form_values(update), {}, None)


@post("/programs/updates/{update_id:int}/edit", include_in_schema=False)
async def update_save(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.edit_update(request.user, update_id, data)
    except FieldErrors as exc:
        action = f"/programs/updates/{update_id}/edit"
        return _form(request, action, services.form_values(raw=data), exc.errors, None, 422)
    return see_other(f"/programs/updates/{update_id}?" + urlencode({"done": "edited"}))


@post("/programs/updates/{update_id:int}/withdraw", include_in_schema=False)
async def update_withdraw(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Redirect:
    await services.withdraw_update(request.user, update_id)
    return see_other("/programs/updates?" + urlencode({"done": "withdrawn"}))


@post("/programs/updates/{update_id:int}/comments", include_in_schema=False)
async def comment_create(request: Request[Any, Any, Any], update_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        comment_id = await services.add_comment(request.user, update_id, data)
    except FieldErrors as exc:
        update = await services.get_update(request.user, update_id)
        comments = await services.list_comments(request.user, update)
        context = {"update": update, "comments": comments, "errors": exc.errors, "comment": data.get("body", "")}
        return render(request, DETAIL_PAGE, context, status_code=422)
    return see_other(f"/programs/updates/{update_id}?" + urlencode({"done": "commented"}) + f"#comment-{comment_id}")


@post("/programs/comments/{comment_id:int}/delete", include_in_schema=False)
async def comment_delete(request: Request[Any, Any, Any], comment_id: FromPath[int]) -> Redirect:
    update_id = await services.delete_comment(request.user, comment_id)
    return see_other(f"/programs/updates/{update_id}?" + urlencode({"done": "deleted"}) + "#comments")


@post("/programs/comments/{comment_id:int}/hide", include_in_schema=False)
async def comment_hide(request: Request[Any, Any, Any], comment_id: FromPath[int]) -> Redirect:
    update_id = await services.hide_comment(request.user, comment_id)
    return see_other(f"/programs/updates/{update_id}?" + urlencode({"done": "hidden"}) + "#comments")


# --- staff: who may post ---------------------------------------------------------------------------------------
async def _posters_page(
    request: Request[Any, Any, Any], program_id: int, errors: dict[str, str], email: str = "", status: int = 200
) -> Template:
    program = await services.program_with_posters(request.user, program_id)
    context = {"program": program, "errors": errors, "email": email, "flash": _flash(request)}
    return render(request, POSTERS_PAGE, context, status_code=status)


@get("/staff/programs/{program_id:int}/posters", include_in_schema=False)
async def posters_page(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template:
    """Who may post updates in a program besides staff."""
    return await _posters_page(request, program_id, {})


@post("/staff/programs/{program_id:int}/posters", include_in_schema=False)
async def poster_add(request: Request[Any, Any, Any], program_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.add_poster(request.user, program_id, data)
    except FieldErrors as exc:
        return await _posters_page(request, program_id, exc.errors, str(data.get("email") or ""), 422)
    return see_other(f"/staff/programs/{program_id}/posters?" + urlencode({"done": "poster-added"}))


@post("/staff/programs/{program_id:int}/posters/{user_id:int}/delete", include_in_schema=False)
async def poster_remove(request: Request[Any, Any, Any], program_id: FromPath[int], user_id: FromPath[int]) -> Redirect:
    await services.remove_poster(request.user, program_id, user_id)
    return see_other(f"/staff/programs/{program_id}/posters?" + urlencode({"done": "poster-removed"}))


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            updates_page,
            update_new,
            update_create,
            update_detail,
            update_edit,
            update_save,
            update_withdraw,
            comment_create,
            comment_delete,
            comment_hide,
        ],
    ),
    Router(path="/", guards=[guards.staff], route_handlers=[posters_page, poster_add, poster_remove]),
]
