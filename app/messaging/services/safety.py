"""Safety: blocking an organisation and reporting a thread to staff."""

from __future__ import annotations

from typing import Any

from app.accounts.services import CurrentUser, get_organization
from app.clock import now
from app.db import atomic
from app.messaging.services.core import (
    _CONVERSATION_COLUMNS,
    _party,
)
from app.messaging.tables import Conversation, OrganizationBlock
from app.validation import Checker, PermissionDenied


# --- safety: blocks and reports --------------------------------------------------------------------------------
async def _org_id(ref: str) -> int:
    return int((await get_organization(ref))["id"])


async def block_organization(user: CurrentUser, org_ref: str) -> None:
    """Stop messages between the user's organisation and another one (both directions)."""
    if user.is_staff or user.organization_id is None:
        raise PermissionDenied()
    other = await _org_id(org_ref)
    if other == user.organization_id:
        raise PermissionDenied()
    key = f"{user.organization_id}:{other}"
    async with atomic():
        if not await OrganizationBlock.exists().where(OrganizationBlock.pair_key == key):
            await OrganizationBlock(blocker=user.organization_id, blocked=other, pair_key=key, created_at=now()).save()


async def unblock_organization(user: CurrentUser, org_ref: str) -> None:
    """Lift a block the user's organisation set (a block set by the other side stays)."""
    if user.organization_id is None:
        raise PermissionDenied()
    other = await _org_id(org_ref)
    async with atomic():
        await OrganizationBlock.delete().where(OrganizationBlock.pair_key == f"{user.organization_id}:{other}")


async def report_conversation(user: CurrentUser, conversation_id: int, reason: Any) -> None:
    """A party flags a thread for staff review."""
    await _party(user, conversation_id)
    c = Checker({"report_reason": reason})
    text = c.text("report_reason", required=True, max_len=1000)
    c.raise_if_errors()
    async with atomic():
        await Conversation.update(
            {Conversation.reported_at: now(), Conversation.reported_by: user.id, Conversation.report_reason: text}
        ).where(Conversation.id == conversation_id)


async def reported_conversations(user: CurrentUser) -> list[dict[str, Any]]:
    """Threads a party reported, newest report first (staff only)."""
    if not user.is_staff:
        raise PermissionDenied()
    return (
        await Conversation.select(*_CONVERSATION_COLUMNS)
        .where(Conversation.reported_at.is_not_null())
        .order_by(Conversation.reported_at, ascending=False)
    )
