"""What a dashboard shows of conversations and the match funnel: threads waiting for our reply, unseen matches."""

from __future__ import annotations

from typing import Any

from app.matching.tables import Match
from app.messaging.services.core import _CONVERSATION_COLUMNS
from app.messaging.tables import Conversation

RECENT_THREADS = 50

_LAST_SENDERS = """
SELECT m.conversation AS conversation, m.sender_organization AS sender
FROM message m
WHERE m.conversation IN ({ids})
  AND m.id = (SELECT MAX(m2.id) FROM message m2 WHERE m2.conversation = m.conversation)
"""

_UNSEEN = """
SELECT r.id AS request, COUNT(*) AS unseen
FROM match m
JOIN sourcing_request r ON r.id = m.request
WHERE r.organization = {} AND r.status = 'open' AND m.status = 'recommended'
  AND NOT EXISTS (SELECT 1 FROM match_event e WHERE e.match = m.id AND e.state = 'viewed')
GROUP BY r.id
"""


async def awaiting_reply(org_id: int) -> list[dict[str, Any]]:
    """The organisation's recently active threads whose latest message came from the other side, newest first."""
    rows = (
        await Conversation.select(*_CONVERSATION_COLUMNS)
        .where((Conversation.buyer_organization == org_id) | (Conversation.producer_organization == org_id))
        .order_by(Conversation.last_message_at, ascending=False)
        .limit(RECENT_THREADS)
    )
    if not rows:
        return []
    ids = ", ".join(str(int(r["id"])) for r in rows)  # ints from our own query: safe to inline
    senders = {r["conversation"]: r["sender"] for r in await Conversation.raw(_LAST_SENDERS.format(ids=ids))}
    waiting = []
    for row in rows:
        sender = senders.get(row["id"])
        if sender is not None and sender != org_id:
            is_buyer = row["buyer_organization"] == org_id
            row["other_name"] = row["producer_name"] if is_buyer else row["buyer_name"]
            waiting.append(row)
    return waiting


async def unseen_recommendations(org_id: int) -> dict[int, int]:
    """Per open request of a buyer organisation: how many current recommendations nobody there has seen yet."""
    return {int(r["request"]): int(r["unseen"]) for r in await Match.raw(_UNSEEN, org_id)}
