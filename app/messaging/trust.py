"""Trust signals shown on a producer's public profile, computed from recorded conversations and deal events.

Definitions (the same for every producer, over the last 12 months):
- response rate: share of conversations buyers opened with the producer in which the producer has written back;
- median reply time: from the conversation's opening to the producer's first message, over answered conversations;
- deals closed: deals recorded in a conversation with the producer and confirmed by the other side, dated in the
  window (a staff correction replaces the recorded figures, including the date).
Nothing is read from counters: everything is derived from Conversation, Message and MatchEvent rows.
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from app.clock import now
from app.messaging.tables import Conversation, MatchEvent, Message

WINDOW = dt.timedelta(days=365)
#: Below this many conversations a rate says more about chance than about the producer: we say so instead.
MIN_CONVERSATIONS = 3


@dataclass(frozen=True)
class TrustSignals:
    conversations: int
    answered: int
    median_reply: dt.timedelta | None
    confirmed_deals: int

    @property
    def response_rate(self) -> float | None:
        """Answered share in [0, 1], or None while there are too few conversations to say."""
        if self.conversations < MIN_CONVERSATIONS:
            return None
        return self.answered / self.conversations


async def _reply_delays(org_id: int, since: dt.datetime) -> tuple[int, list[dt.timedelta]]:
    conversations = await Conversation.select(Conversation.id, Conversation.created_at).where(
        (Conversation.producer_organization == org_id) & (Conversation.created_at >= since)
    )
    if not conversations:
        return 0, []
    opened = {c["id"]: c["created_at"] for c in conversations}
    first_reply: dict[int, dt.datetime] = {}
    replies = await Message.select(Message.conversation, Message.created_at).where(
        (Message.sender_organization == org_id) & Message.conversation.is_in(list(opened))
    )
    for r in replies:
        at = r["created_at"]
        if r["conversation"] not in first_reply or at < first_reply[r["conversation"]]:
            first_reply[r["conversation"]] = at
    return len(opened), [max(at - opened[cid], dt.timedelta(0)) for cid, at in first_reply.items()]


def _confirmed_deal_dates(events: list[dict[str, Any]]) -> list[dt.date]:
    """The effective date of each confirmed deal among one producer's deal events (corrections applied)."""
    confirmed = {e["details"].get("event_id") for e in events if e["state"] == "deal_confirmed"}
    dates = []
    for deal in (e for e in events if e["state"] == "deal_closed"):
        versions = [deal] + sorted(
            (e for e in events if e["state"] == "corrected" and e["details"].get("corrects") == deal["id"]),
            key=lambda e: (e["at"], e["id"]),
        )
        if not any(v["id"] in confirmed for v in versions):
            continue
        latest = versions[-1]
        try:
            dates.append(dt.date.fromisoformat(latest["details"]["date"]))
        except (KeyError, TypeError, ValueError):
            continue
    return dates


async def producer_trust(org_id: int) -> TrustSignals:
    """Response rate, median reply time and confirmed deals of one producer organisation over 12 months."""
    moment = now()
    since = moment - WINDOW
    conversations, delays = await _reply_delays(org_id, since)
    events = (
        await MatchEvent.select(MatchEvent.id, MatchEvent.state, MatchEvent.at, MatchEvent.details)
        .where(
            (MatchEvent.conversation.producer_organization == org_id)
            & MatchEvent.state.is_in(["deal_closed", "deal_confirmed", "corrected"])
        )
        .output(load_json=True)
    )
    first_day = since.date()
    deals = sum(1 for d in _confirmed_deal_dates(events) if first_day <= d <= moment.date())
    return TrustSignals(
        conversations=conversations,
        answered=len(delays),
        median_reply=statistics.median(delays) if delays else None,
        confirmed_deals=deals,
    )
