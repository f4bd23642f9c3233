"""The conversations JSON API (/api/v1/conversations...): list, read, start with a first message, write, record a
deal. The pages are in controllers.py; both call the same services."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Router, get, post
from litestar.exceptions import TooManyRequestsException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from app.i18n import gettext as _
from app.messaging import services
from app.messaging.schemas import (
    ClaimOut,
    ConversationIn,
    ConversationOut,
    DealIn,
    EventOut,
    MessageIn,
    MessageOut,
    ThreadOut,
    conversation_out,
    thread_out,
)
from app.messaging.services import claims
from app.notifications import services as notifications
from app.validation import FieldErrors
from app.web import guards
from app.web.api_support import SIGNED_IN, ApiError, api_errors

TAGS = ["conversations"]
_ERRORS_WITH_LIMIT = {
    **api_errors(401, 403, 404),
    429: ResponseSpec(
        data_container=ApiError, description="More than 20 messages from this user in the last 10 minutes."
    ),
}


@get(
    "/api/v1/conversations",
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
    tags=TAGS,
    summary="Show a thread",
    security=SIGNED_IN,
    responses=api_errors(401, 404),
)
async def api_conversation(request: Request[Any, Any, Any], conversation_id: FromPath[int]) -> ThreadOut:
    """One thread with its messages and recorded events (its two organisations and staff); the caller's
    notifications about its messages are marked read."""
    thread = await services.get_thread(request.user, conversation_id)
    if thread["side"]:
        await notifications.mark_conversation_read(request.user, conversation_id)
    return thread_out(thread)


@post(
    "/api/v1/conversations",
    tags=TAGS,
    summary="Contact a producer",
    security=SIGNED_IN,
    responses=_ERRORS_WITH_LIMIT,
)
async def api_conversation_create(request: Request[Any, Any, Any], data: JSONBody[ConversationIn]) -> ConversationOut:
    """Contact the producer of an offer (buyers) with a first message, optionally about one of the buyer's requests:
    the conversation starts with the message (an existing conversation about the offer gets it instead)."""
    errors = {}
    if not data.offer:
        errors["offer"] = _("This field is required.")
    if not (data.message or "").strip():
        errors["message"] = _("Write the first message: a conversation starts with it.")
    if errors:
        raise FieldErrors(errors)
    try:
        conversation_id = await services.start_conversation(
            request.user, data.offer or "", data.request or None, message=data.message
        )
    except services.RateLimited as exc:
        raise TooManyRequestsException(detail=exc.errors["body"]) from None
    except FieldErrors as exc:
        raise FieldErrors({"message" if k == "body" else k: v for k, v in exc.errors.items()}) from None
    thread = await services.get_thread(request.user, conversation_id)
    return conversation_out(thread["conversation"])


async def _send(request: Request[Any, Any, Any], conversation_id: int, body: Any) -> int:
    try:
        return await services.send_message(request.user, conversation_id, body)
    except services.RateLimited as exc:
        raise TooManyRequestsException(detail=exc.errors["body"]) from None


@post(
    "/api/v1/conversations/{conversation_id:int}/messages",
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


@post(
    "/api/v1/conversations/{conversation_id:int}/deals",
    tags=TAGS,
    summary="Record a deal",
    security=SIGNED_IN,
    responses=api_errors(401, 403, 404),
)
async def api_deal_create(
    request: Request[Any, Any, Any], conversation_id: FromPath[int], data: JSONBody[DealIn]
) -> EventOut:
    """Record a closed deal in a conversation (either party); the other side confirms it in the thread."""
    event_id = await services.record_deal(request.user, conversation_id, data.raw())
    thread = await services.get_thread(request.user, conversation_id)
    return next(e for e in thread_out(thread).events if e.id == event_id)


@get(
    "/api/v1/claims",
    tags=["claims"],
    summary="Confirmed FSC claims",
    security=SIGNED_IN,
    responses=api_errors(400, 401, 403, 404),
)
async def api_claims(
    request: Request[Any, Any, Any],
    date_from: Annotated[str | None, QueryParameter(name="from", description="First deal date, YYYY-MM-DD.")] = None,
    date_to: Annotated[str | None, QueryParameter(name="to", description="Last deal date, YYYY-MM-DD.")] = None,
    organization: Annotated[
        str | None, QueryParameter(description="Staff only: whose claims (organisation ref).")
    ] = None,
) -> list[ClaimOut]:
    """The caller's organisation's deals with an FSC claim that the other side confirmed, with a deal date from
    ``from`` to ``to`` (both included), by date: what its certification audit reads."""
    period = await claims.claims_period(request.user, {"from": date_from, "to": date_to, "organization": organization})
    return [ClaimOut(**vars(row)) for row in await claims.confirmed_claims(period)]


ROUTES: list[ControllerRouterHandler] = [
    Router(
        path="/",
        guards=[guards.signed_in],
        route_handlers=[
            api_conversations,
            api_conversation,
            api_conversation_create,
            api_message_create,
            api_deal_create,
            api_claims,
        ],
    ),
]
