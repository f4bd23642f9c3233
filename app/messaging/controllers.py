"""Conversations over HTTP: list, thread, contact buttons, deal/decline/report/block forms, and the JSON API."""

from __future__ import annotations

from typing import Any

from litestar import Request, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody
from litestar.response import Redirect, Template

from app.accounts.api import SIGNED_IN, ApiError, api_errors
from app.i18n import gettext as _
from app.messaging import services
from app.messaging.schemas import (
    ConversationIn,
    ConversationOut,
    MessageIn,
    MessageOut,
    ThreadOut,
    conversation_out,
    thread_out,
)
from app.validation import FieldErrors, PermissionDenied
from app.web import guards
from app.web.forms import read_form
from app.web.render import render, see_other

THREAD_PAGE = "messaging/thread.html.jinja2"
TAGS = ["conversations"]
_ERRORS_WITH_LIMIT = {
    **api_errors(401, 403, 404),
    429: ResponseSpec(
        data_container=ApiError, description="More than 20 messages from this user in the last 10 minutes."
    ),
}


async def _thread_context(
    request: Request[Any, Any, Any],
    conversation_id: int,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, Any] | None = None,
) -> dict[str, Any]:
    thread = await services.get_thread(request.user, conversation_id)
    return {
        **thread,
        "reasons": await services.match_reasons(thread["conversation"], thread["side"]),
        "errors": errors or {},
        "values": values or {},
        "state_labels": services.EVENT_STATES,
        "decline_reasons": services.DECLINE_REASONS,
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
@get("/conversations", include_in_schema=False, guards=[guards.signed_in], name="conversation_list")
async def conversation_list(request: Request[Any, Any, Any]) -> Template:
    """The conversations of the user's organisation, latest activity first."""
    rows = await services.list_conversations(request.user)
    return render(request, "messaging/list.html.jinja2", {"rows": rows})


@get("/conversations/reported", include_in_schema=False, guards=[guards.staff])
async def reported_list(request: Request[Any, Any, Any]) -> Template:
    """Threads a party reported, for staff review."""
    rows = await services.reported_conversations(request.user)
    return render(request, "messaging/reported.html.jinja2", {"rows": rows})


@get("/conversations/{conversation_id:int}", include_in_schema=False, guards=[guards.signed_in])
async def conversation_page(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template:
    """One thread with the offer, the request and the match reasons beside it (parties and staff only)."""
    return render(
        request,
        THREAD_PAGE,
        await _thread_context(request, conversation_id),
        fragment="messaging/_messages.html.jinja2",
    )


@post("/conversations/{conversation_id:int}/messages", include_in_schema=False, guards=[guards.signed_in])
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


@post("/conversations/{conversation_id:int}/deal", include_in_schema=False, guards=[guards.signed_in])
async def deal_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.record_deal(request.user, conversation_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post(
    "/conversations/{conversation_id:int}/events/{event_id:int}/confirm",
    include_in_schema=False,
    guards=[guards.signed_in],
)
async def deal_confirm(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], event_id: FromPath[int]
) -> Template | Redirect:
    try:
        await services.confirm_deal(request.user, event_id)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, {})
    return see_other(f"/conversations/{conversation_id}#events")


@post(
    "/conversations/{conversation_id:int}/events/{event_id:int}/correct", include_in_schema=False, guards=[guards.staff]
)
async def deal_correct(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], event_id: FromPath[int]
) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.correct_deal(request.user, event_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/decline", include_in_schema=False, guards=[guards.signed_in])
async def decline_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.decline(request.user, conversation_id, data)
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}#events")


@post("/conversations/{conversation_id:int}/report", include_in_schema=False, guards=[guards.signed_in])
async def report_submit(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> Template | Redirect:
    data = await read_form(request)
    try:
        await services.report_conversation(request.user, conversation_id, data.get("report_reason", ""))
    except FieldErrors as exc:
        return await _thread_error(request, conversation_id, exc, data)
    return see_other(f"/conversations/{conversation_id}?reported=1")


@post("/conversations/{conversation_id:int}/block", include_in_schema=False, guards=[guards.signed_in])
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


@post("/offers/{ref:str}/contact", include_in_schema=False, guards=[guards.buyer])
async def offer_contact(request: Request[Any, Any, Any], ref: FromPath[str]) -> Redirect:
    """Open (or reopen) the conversation with the offer's producer, optionally about one of the buyer's requests."""
    data = await read_form(request)
    conversation_id = await services.start_conversation(request.user, ref, data.get("request") or None)
    return see_other(f"/conversations/{conversation_id}")


@post("/requests/{ref:str}/bundles/{rank:int}/contact", include_in_schema=False, guards=[guards.buyer])
async def bundle_contact(request: Request[Any, Any, Any], ref: FromPath[str], rank: FromPath[int]) -> Redirect:
    """Contact every producer of a bundle at once: one linked conversation each."""
    ids = await services.start_bundle_conversations(request.user, ref, rank)
    return see_other(f"/conversations?opened={len(ids)}")


# --- JSON API --------------------------------------------------------------------------------------------------
@get(
    "/api/v1/conversations",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="List conversations",
    security=SIGNED_IN,
    responses=api_errors(401),
)
async def api_conversations(request: Request[Any, Any, Any]) -> list[ConversationOut]:
    """The conversations of the caller's organisation (staff: all), latest activity first."""
    return [conversation_out(r) for r in await services.list_conversations(request.user)]


@get(
    "/api/v1/conversations/{conversation_id:int}",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="Show a thread",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_conversation(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> ThreadOut:
    """One thread with its messages and recorded events (its two organisations and staff)."""
    return thread_out(await services.get_thread(request.user, conversation_id))


@post(
    "/api/v1/conversations",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="Contact a producer",
    security=SIGNED_IN,
    responses=_ERRORS_WITH_LIMIT,
)
async def api_conversation_create(request: Request[Any, Any, Any], data: JSONBody[ConversationIn]) -> ConversationOut:
    """Contact the producer of an offer (buyers), optionally about a request and with a first message."""
    if not data.offer:
        raise FieldErrors({"offer": _("This field is required.")})
    conversation_id = await services.start_conversation(request.user, data.offer, data.request or None)
    if data.message:
        await _send(request, conversation_id, data.message)
    thread = await services.get_thread(request.user, conversation_id)
    return conversation_out(thread["conversation"])


async def _send(request: Request[Any, Any, Any], conversation_id: int, body: Any) -> int:
    try:
        return await services.send_message(request.user, conversation_id, body)
    except services.RateLimited as exc:
        raise TooManyRequestsException(detail=exc.errors["body"]) from None


@post(
    "/api/v1/conversations/{conversation_id:int}/messages",
    guards=[guards.signed_in],
    tags=TAGS,
    summary="Send a message",
    security=SIGNED_IN,
    responses=_ERRORS_WITH_LIMIT,
)
async def api_message_create(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], data: JSONBody[MessageIn]
) -> MessageOut:
    """Post a plain-text message (at most 4000 characters; 20 per user per 10 minutes)."""
    message_id = await _send(request, conversation_id, data.body)
    thread = await services.get_thread(request.user, conversation_id)
    m = next(m for m in thread["messages"] if m["id"] == message_id)
    return MessageOut(
        id=m["id"],
        sender_organization=m["sender_organization_name"] or "",
        sender_name=m["sender_name"] or "",
        body=m["body"],
        created_at=m["created_at"],
    )


ROUTES = [
    conversation_list,
    reported_list,
    conversation_page,
    message_submit,
    deal_submit,
    deal_confirm,
    deal_correct,
    decline_submit,
    report_submit,
    block_submit,
    offer_contact,
    bundle_contact,
    api_conversations,
    api_conversation,
    api_conversation_create,
    api_message_create,
]
