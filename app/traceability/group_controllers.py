"""A group manager's pages: members (list, form, page), plots (form, page, map). Staff name the group: ``?group=REF``.

Who may is decided once per request by ``members.group_for`` (anyone but the group's users and staff: 404)."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Request, Router, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.i18n import gettext as _
from app.imports import member_sheets as member_upload
from app.traceability import members
from app.traceability.members import GroupScope
from app.validation import MAX_PAGE, FieldErrors, NotFound, page_number
from app.web import guards
from app.web.forms import read_form, region_choices, stale_choices, with_other_errors
from app.web.render import render, see_other
from app.web.too_large import deferred_page

MEMBER_FORM = "traceability/members/form.html.jinja2"
PLOT_FORM = "traceability/plots/form.html.jinja2"
#: The region list follows the country (app/web/forms.py): a list drawn for another country is not saved.
PLACE_CHOICES = (region_choices("country", "region"),)


def _url(scope: GroupScope, path: str, **params: str) -> str:
    """A path inside the group's pages, keeping a staff user's ``group`` parameter."""
    query = {**({"group": scope.ref} if scope.staff else {}), **{k: v for k, v in params.items() if v}}
    return f"{path}?{urlencode(query)}" if query else path


async def _scope(request: Request[Any, Any, Any]) -> GroupScope:
    return await members.group_for(request.user, request.query_params.get("group"))


def _base(scope: GroupScope) -> dict[str, Any]:
    return {"scope": scope, "group_query": scope.query()}


# --- members -------------------------------------------------------------------------------------------------------
@get("/members", name="trace_members")
async def members_list(request: Request[Any, Any, Any]) -> Template:
    """The group's members, 25 a page: search by code or name, filter by scope today (staff first choose a group)."""
    if request.user.is_staff and not request.query_params.get("group"):
        groups = await members.group_choices()
        return render(request, "traceability/members/groups.html.jinja2", {"groups": groups})
    scope = await _scope(request)
    q = request.query_params.get("q", "")[:100]
    in_out = request.query_params.get("scope", "")
    in_out = in_out if in_out in members.SCOPES else ""
    page = page_number(request.query_params.get("page"), MAX_PAGE) or 1
    found = await members.list_members(scope, q, in_out, page)
    query = urlencode(
        {k: v for k, v in {"group": scope.ref if scope.staff else "", "q": q, "scope": in_out}.items() if v}
    )
    return render(
        request,
        "traceability/members/list.html.jinja2",
        {**_base(scope), "found": found, "q": q, "in_out": in_out, "query": query},
        fragment="traceability/members/_results.html.jinja2",
    )


def _member_form(
    request: Request[Any, Any, Any], scope: GroupScope, values: dict[str, Any], errors: dict[str, str], ref: str = ""
) -> Template:
    action = _url(scope, f"/traceability/members/{ref}/edit" if ref else "/traceability/members/new")
    return render(
        request,
        MEMBER_FORM,
        {**_base(scope), "values": values, "errors": errors, "ref": ref, "action": action},
        status_code=422 if errors else 200,
    )


async def _submit_member(request: Request[Any, Any, Any], scope: GroupScope, ref: str | None) -> Template | Redirect:
    data = await read_form(request)
    stale = stale_choices(data, PLACE_CHOICES)
    try:
        if stale:
            raise FieldErrors(with_other_errors(members.check_member, data, stale))
        saved = await members.save_member(scope, data, ref)
    except FieldErrors as exc:
        return _member_form(request, scope, data, exc.errors, ref or "")
    return see_other(_url(scope, f"/traceability/members/{saved}", saved="1"))


@get("/members/new", name="trace_member_new")
async def member_new(request: Request[Any, Any, Any]) -> Template:
    scope = await _scope(request)
    return _member_form(request, scope, {}, {})


@post("/members/new")
async def member_create(request: Request[Any, Any, Any]) -> Template | Redirect:
    """Add a member to the group."""
    return await _submit_member(request, await _scope(request), None)


UPLOAD_PAGE = "traceability/members/upload.html.jinja2"
#: The file's own limit is checked with a clear message; the body may be a little larger (the form around it).
UPLOAD_BODY_BYTES = member_upload.MAX_UPLOAD_BYTES + 1024 * 1024


@get("/members/upload", name="trace_members_upload")
async def upload_page(request: Request[Any, Any, Any]) -> Template:
    scope = await _scope(request)
    return render(request, UPLOAD_PAGE, {**_base(scope), "action": _url(scope, "/traceability/members/upload")})


async def _upload_too_large(request: Request[Any, Any, Any], file_name: str | None) -> Template | None:
    """The upload page saying the file is over the limit (None for anyone who may not see the group's page)."""
    try:
        scope = await _scope(request)
    except NotFound:
        return None
    context: dict[str, Any] = {**_base(scope), "action": _url(scope, "/traceability/members/upload")}
    mb = member_upload.MAX_UPLOAD_BYTES // (1024 * 1024)
    context["error"] = (
        _("%(name)s is larger than %(mb)s MB: split it into smaller files.", name=file_name, mb=mb)
        if file_name
        else member_upload.too_large().message
    )
    return render(request, UPLOAD_PAGE, context, status_code=413)


@post(
    "/members/upload",
    name="trace_members_upload_submit",
    request_max_body_size=UPLOAD_BODY_BYTES,
    exception_handlers={RequestEntityTooLarge: deferred_page(_upload_too_large)},
)
async def upload_submit(
    request: Request[Any, Any, Any],
    data: Annotated[dict[str, Any], Body(media_type=RequestEncodingType.MULTI_PART)],
) -> Template:
    """Check a sheet of members or a GeoJSON of plots ('preview'), or write it when it has no problem ('import')."""
    scope = await _scope(request)
    context: dict[str, Any] = {**_base(scope), "action": _url(scope, "/traceability/members/upload")}
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        context["error"] = _("Choose a .csv or .xlsx sheet of members, or a .geojson file of plots.")
        return render(request, UPLOAD_PAGE, context, status_code=422)
    try:
        found = member_upload.read_upload(upload.filename, await upload.read())
    except member_upload.UploadRefused as exc:
        context["error"] = exc.message
        return render(request, UPLOAD_PAGE, context, status_code=422)
    context["kind"] = found.kind
    if data.get("action") == "import":
        summary, problems = await member_upload.import_upload(scope, found)
        context["summary"] = summary
    else:
        _doc, _labels, problems = await member_upload.check_upload(scope, found)
        context["ready"] = len(found.items) if not problems else 0
    context["problems"] = problems
    return render(request, UPLOAD_PAGE, context, status_code=422 if problems else 200)


@get("/members/{ref:str}", name="trace_member")
async def member_page(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    """The member with its plots and their checks."""
    scope = await _scope(request)
    member = await members.get_member(scope, ref)
    plots = await members.member_plots(member["id"])
    return render(
        request, "traceability/members/detail.html.jinja2", {**_base(scope), "member": member, "plots": plots}
    )


@get("/members/{ref:str}/edit")
async def member_edit(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    scope = await _scope(request)
    member = await members.get_member(scope, ref)
    return _member_form(request, scope, member, {}, ref)


@post("/members/{ref:str}/edit")
async def member_update(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Save a member's changes (its lots are derived again)."""
    scope = await _scope(request)
    await members.get_member(scope, ref)
    return await _submit_member(request, scope, ref)


# --- plots ---------------------------------------------------------------------------------------------------------
def _plot_form(
    request: Request[Any, Any, Any],
    scope: GroupScope,
    member: dict[str, Any],
    values: dict[str, Any],
    errors: dict[str, str],
    ref: str = "",
) -> Template:
    action = (
        _url(scope, f"/traceability/plots/{ref}/edit")
        if ref
        else _url(scope, "/traceability/plots/new", member=member["ref"])
    )
    context = {**_base(scope), "member": member, "values": values, "errors": errors, "ref": ref, "action": action}
    return render(request, PLOT_FORM, context, status_code=422 if errors else 200)


@get("/plots/new", name="trace_plot_new")
async def plot_new(request: Request[Any, Any, Any], member: FromQuery[str] = "") -> Template | Redirect:
    scope = await _scope(request)
    if not member:
        return see_other(_url(scope, "/traceability/members"))  # a plot is added from its member's page
    owner = await members.get_member(scope, member)
    return _plot_form(request, scope, owner, {"country": owner["country"]}, {})


@post("/plots/new")
async def plot_create(request: Request[Any, Any, Any], member: FromQuery[str] = "") -> Template | Redirect:
    """Add a plot to a member; its checks are derived before the plot is shown."""
    scope = await _scope(request)
    owner = await members.get_member(scope, member)
    data = await read_form(request)
    try:
        ref = await members.save_plot(scope, data, member_ref=owner["ref"])
    except FieldErrors as exc:
        return _plot_form(request, scope, owner, data, exc.errors)
    return see_other(_url(scope, f"/traceability/plots/{ref}", saved="1"))


@get("/plots/map", name="trace_plots_map")
async def plots_map(request: Request[Any, Any, Any]) -> Template:
    """Every plot of the group on the map, coloured by its worst check, with the same plots in a table."""
    scope = await _scope(request)
    plots = await members.group_plots(scope)
    features = members.map_features(plots, lambda ref: _url(scope, f"/traceability/plots/{ref}"))
    return render(request, "traceability/plots/map.html.jinja2", {**_base(scope), "plots": plots, "features": features})


@get("/plots/{ref:str}", name="trace_plot")
async def plot_page(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    """One plot with its checks."""
    scope = await _scope(request)
    plot = await members.get_plot(scope, ref)
    return render(request, "traceability/plots/detail.html.jinja2", {**_base(scope), "plot": plot})


async def _plot_owner(scope: GroupScope, plot: dict[str, Any]) -> dict[str, Any]:
    return await members.get_member(scope, plot["member_ref"])


@get("/plots/{ref:str}/edit")
async def plot_edit(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template:
    scope = await _scope(request)
    plot = await members.get_plot(scope, ref)
    owner = await _plot_owner(scope, plot)
    return _plot_form(request, scope, owner, members.plot_form_values(plot), {}, ref)


@post("/plots/{ref:str}/edit")
async def plot_update(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Save a plot's changes; its checks and the lots it feeds are derived again."""
    scope = await _scope(request)
    plot = await members.get_plot(scope, ref)
    owner = await _plot_owner(scope, plot)
    data = await read_form(request)
    try:
        await members.save_plot(scope, data, ref=ref)
    except FieldErrors as exc:
        return _plot_form(request, scope, owner, data, exc.errors, ref)
    return see_other(_url(scope, f"/traceability/plots/{ref}", saved="1"))


HANDLERS: list[ControllerRouterHandler] = [
    members_list,
    upload_page,
    upload_submit,
    member_new,
    member_create,
    member_page,
    member_edit,
    member_update,
    plot_new,
    plot_create,
    plots_map,
    plot_page,
    plot_edit,
    plot_update,
]

ROUTES: list[ControllerRouterHandler] = [
    Router(path="/traceability", guards=[guards.signed_in], route_handlers=HANDLERS, include_in_schema=False),
]
