"""Conversation pages: list, thread, contact buttons, deal/decline/report/block forms (the JSON API: api.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from litestar import Request, Router, get, post
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXTemplate
from litestar.response import Redirect, Template
from litestar.types import ControllerRouterHandler

from app.messaging import claims_pages, services
from app.messaging.claim_words import CLAIM_FIELDS, claim_rows, claim_values, claim_words
from app.messaging.due_diligence import available_lots
from app.notifications import services as notifications
from app.validation import FieldErrors, PermissionDenied, page_number
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

THREAD_PAGE = "messaging/thread.html.jinja2"
DEAL_PREVIEW = "messaging/_deal_preview.html.jinja2"
#: The deal form's fields: a problem with one of them opens the form again.
DEAL_FIELDS = {"quantity", "unit", "drc_percent", "unit_price", "currency", "date", "accept_price", *CLAIM_FIELDS}


async def _deal_form(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """A deal form's fields; the countries of harvest (a multi-select) as a list when the form has the field."""
    data = await read_form(request)
    form = await request.form()
    if "countries" in form:
        data["countries"] = [v for v in form.getall("countries") if isinstance(v, str) and v]
    return data


async def _thread_context(
    request: Request[Any, Any, Any],
    conversation_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    thread = await services.get_thread(request.user, conversation_id)
    if thread["side"]:  # a party opened it: its notifications about what the thread shows are read
        await notifications.mark_conversation_read(request.user, conversation_id)
    terms = await services.deal_terms(thread["conversation"])
    values = values or {}
    errors = errors or {}
    return {
        **thread,
        "reasons": await services.match_reasons(thread["conversation"], thread["side"]),
        "errors": errors,
        "values": values,
        "state_labels": services.EVENT_STATES,
        "decline_reasons": services.DECLINE_REASONS,
        "terms": terms,
        "history": services.history_lines(thread["events"]),
        "deal_figures": services.deal_figures,
        "claim_words": claim_words,
        "claim_rows": claim_rows,
        "claim_values": claim_values,
        "offer_price": services.offer_price_words(terms),
        # A deal form sent back with a problem shows its total and price warning as the live preview would.
        "deal_check": services.check_deal(terms, values, strict=False) if "unit_price" in values else None,
        "deal_open": bool(set(errors) & DEAL_FIELDS),
        "today": dt.date.today().isoformat(),
        # The buyer's due-diligence downloads, once a deal on an offer backed by lots is confirmed.
        "due_diligence_lots": await available_lots(
            request.user, thread["conversation"], bool(thread["confirmed_event_ids"])
        ),
    }


async def _thread_error(
    request: Request[Any, Any, Any],
    conversation_id: int,
    exc: FieldErrors,
    data: dict[str, Any],
    status_code: int = 422,
) -> Template:
    context = await _thread_context(request, conversation_id, errors=exc.errors, values=data)
    return render(request, THREAD_PAGE, context, status_code=status_code)


# --- pages -----------------------------------------------------------------------------------------------------
@get("/conversations", include_in_schema=False, name="conversation_list")
async def conversation_list(request: Request[Any, Any, Any]) -> Template:
    """The conversations of the user's organisation, latest activity first."""
    rows = await services.list_conversations(request.user)
    sent = page_number(request.query_params.get("sent"), 100)
    return render(request, "messaging/list.html.jinja2", {"rows": rows, "sent": sent})


@get("/conversations/reported", include_in_schema=False)
async def reported_list(request: Request[Any, Any, Any]) -> Template:
    """Threads a party reported, for staff review."""
    rows = await services.reported_conversations(request.user)
    return render(request, "messaging/reported.html.jinja2", {"rows": rows})


@get("/conversations/{conversation_id:int}", include_in_schema=False)
async def conversation_page(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template:
    """One thread with the offer, the request and the match reasons beside it (parties and staff only)."""
    return render(
        request,
        THREAD_PAGE,
        await _thread_context(request, conversation_id),
        fragment="messaging/_messages.html.jinja2",
    )


@post("/conversations/{conversation_id:int}/messages", include_in_schema=False)
async def message_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.send_message(request.user, conversation_id, data.get("body", ""))
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    except services.Blocked:
        # The thread page itself says who blocked whom; the typed text is not lost from view.
        return await _thread_error(request, conversation_id, FieldErrors({}), data, status_code=403)
    return see_other(f"/conversations/{conversation_id}#latest")


@post("/conversations/{conversation_id:int}/deal", include_in_schema=False)
async def deal_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await _deal_form(request)
    try:
        await services.record_deal(request.user, conversation_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/deal/preview", include_in_schema=False)
async def deal_preview(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template:
    """The deal form's total and price warning while the user types (htmx); nothing is recorded."""
    data = await read_form(request)
    check = await services.preview_deal(request.user, conversation_id, data)
    context = {"deal_check": check, "values": data, "errors": {}}
    return HTMXTemplate(template_name=DEAL_PREVIEW, context=context)


@post(
    "/conversations/{conversation_id:int}/events/{event_id:int}/confirm",
    include_in_schema=False,
)
async def deal_confirm(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], event_id: FromPath[int]
) -> Template | Redirect:
    try:
        await services.confirm_deal(request.user, event_id)
        # The "please confirm" notification of this deal has been answered.
        await notifications.mark_alert_read(request.user, f"event:{event_id}")
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, {})
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/events/{event_id:int}/correct", include_in_schema=False)
async def deal_correct(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], event_id: FromPath[int]
) -> Template | Redirect:
    data = await _deal_form(request)
    try:
        await services.correct_deal(request.user, event_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/decline", include_in_schema=False)
async def decline_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.decline(request.user, conversation_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/report", include_in_schema=False)
async def report_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.report_conversation(request.user, conversation_id, data.get("report_reason", ""))
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}?reported=1")


@post("/conversations/{conversation_id:int}/block", include_in_schema=False)
async def block_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Redirect:
    """Block (or, with unblock=1, unblock) the other organisation of this thread."""
    data = await read_form(request)
    thread = await services.get_thread(request.user, conversation_id)
    side, conversation = thread["side"], thread["conversation"]
    if side is None:
        raise PermissionDenied()
    other_ref = conversation["producer_ref"] if side == "buyer" else conversation["buyer_ref"]
    if data.get("unblock") == "1":
        await services.unblock_organization(request.user, other_ref)
    else:
        await services.block_organization(request.user, other_ref)
    return see_other(f"/conversations/{conversation_id}")


COMPOSE_PAGE = "messaging/compose.html.jinja2"
COMPOSE_BUNDLE_PAGE = "messaging/compose_bundle.html.jinja2"


async def _compose_page(
    request: Request[Any, Any, Any],
    ref: str,
    request_ref: str | None,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    opening = await services.compose(request.user, ref, request_ref)
    context = {"opening": opening, "request_ref": request_ref or "", "errors": errors or {}, "values": values or {}}
    return render(request, COMPOSE_PAGE, context, status_code=status_code)


@get("/offers/{ref:str}/contact", include_in_schema=False, name="offer_compose")
async def offer_compose(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Write to the offer's producer: a compose page (nothing is recorded until the message is sent); an existing
    conversation about the offer opens instead, unless the message would link it to a new request."""
    request_ref = request.query_params.get("request") or None
    opening = await services.compose(request.user, ref, request_ref)
    existing = opening.existing
    if existing and (request_ref is None or existing["match"] == opening.match_id):
        return see_other(f"/conversations/{existing['id']}#message-form")
    return await _compose_page(request, ref, request_ref)


@post("/offers/{ref:str}/contact", include_in_schema=False)
async def offer_contact(request: Request[Any, Any, Any], ref: FromPath[str]) -> Template | Redirect:
    """Send the first message to the offer's producer: the conversation starts with it."""
    data = await read_form(request)
    request_ref = data.get("request") or None
    if "body" not in data:  # a contact button of an older page: show the compose page, record nothing
        await services.compose(request.user, ref, request_ref)
        query = f"?{urlencode({'request': request_ref})}" if request_ref else ""
        return see_other(f"/offers/{quote(ref)}/contact{query}")
    try:
        conversation_id = await services.start_conversation(request.user, ref, request_ref, message=data["body"])
    except FieldErrors as exc:
        return await _compose_page(request, ref, request_ref, errors=exc.errors, values=data, status_code=422)
    return see_other(f"/conversations/{conversation_id}#latest")


async def _compose_bundle_page(
    request: Request[Any, Any, Any],
    ref: str,
    rank: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Template:
    bundle = await services.compose_bundle(request.user, ref, rank)
    context = {"bundle": bundle, "errors": errors or {}, "values": values or {}}
    return render(request, COMPOSE_BUNDLE_PAGE, context, status_code=status_code)


@get("/requests/{ref:str}/bundles/{rank:int}/contact", include_in_schema=False)
async def bundle_compose(request: Request[Any, Any, Any], ref: FromPath[str], rank: FromPath[int]) -> Template:
    """Write to every producer of a bundle at once (nothing is recorded until the message is sent)."""
    return await _compose_bundle_page(request, ref, rank)


@post("/requests/{ref:str}/bundles/{rank:int}/contact", include_in_schema=False)
async def bundle_contact(
    request: Request[Any, Any, Any], ref: FromPath[str], rank: FromPath[int]
) -> Template | Redirect:
    """Send one first message to every producer of a bundle: one linked conversation each."""
    data = await read_form(request)
    if "body" not in data:  # the group contact button of an older page
        await services.compose_bundle(request.user, ref, rank)
        return see_other(f"/requests/{quote(ref)}/bundles/{rank}/contact")
    try:
        ids = await services.start_bundle_conversations(request.user, ref, rank, message=data["body"])
    except FieldErrors as exc:
        return await _compose_bundle_page(request, ref, rank, errors=exc.errors, values=data, status_code=422)
    return see_other(f"/conversations?sent={len(ids)}")


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            conversation_list,
            conversation_page,
            message_submit,
            deal_submit,
            deal_preview,
            deal_confirm,
            decline_submit,
            report_submit,
            block_submit,
            *claims_pages.ROUTES,
        ],
    ),
    Router(path="/", guards=[guards.staff], route_handlers=[reported_list, deal_correct]),
    Router(
        path="/", guards=[guards.buyer], route_handlers=[offer_compose, offer_contact, bundle_compose, bundle_contact]
    ),
]
