"""Conversations between buyers and producers, and the append-only events a match goes through up to a deal.

Only the two organisations in a thread and staff may read it; only the two organisations may write in it.
Every state change (contacted, replied, negotiating, deal closed/confirmed/corrected, declined) is a new
``MatchEvent`` row with who and when; nothing is updated in place, so the history can always be replayed.

Split by concern: ``core`` (limits, state names, party checks, the event writer), ``threads`` (the first
message that opens a conversation, messages, reading), ``deals`` (record, confirm, correct, decline), ``safety``
(block, report).
"""

from __future__ import annotations

from app.messaging.deal_words import deal_figures, history_lines
from app.messaging.services.core import (
    DEAL_STATES,
    DECLINE_REASONS,
    EVENT_STATES,
    MAX_BODY,
    RATE_LIMIT_MESSAGES,
    RATE_LIMIT_WINDOW,
    Blocked,
    RateLimited,
    get_conversation_for,
    is_blocked,
    side_of,
)
from app.messaging.services.deals import (
    DealCheck,
    DealTerms,
    check_deal,
    confirm_deal,
    correct_deal,
    deal_terms,
    decline,
    offer_price_words,
    preview_deal,
    record_deal,
)
from app.messaging.services.safety import (
    block_organization,
    report_conversation,
    reported_conversations,
    unblock_organization,
)
from app.messaging.services.threads import (
    BundleOpening,
    Opening,
    compose,
    compose_bundle,
    get_thread,
    list_conversations,
    match_reasons,
    organization_name,
    send_message,
    start_bundle_conversations,
    start_conversation,
)

__all__ = [
    "DEAL_STATES",
    "DECLINE_REASONS",
    "EVENT_STATES",
    "MAX_BODY",
    "RATE_LIMIT_MESSAGES",
    "RATE_LIMIT_WINDOW",
    "Blocked",
    "DealCheck",
    "DealTerms",
    "BundleOpening",
    "Opening",
    "RateLimited",
    "block_organization",
    "compose",
    "compose_bundle",
    "check_deal",
    "confirm_deal",
    "correct_deal",
    "deal_figures",
    "deal_terms",
    "decline",
    "get_conversation_for",
    "get_thread",
    "history_lines",
    "is_blocked",
    "list_conversations",
    "match_reasons",
    "offer_price_words",
    "organization_name",
    "preview_deal",
    "record_deal",
    "report_conversation",
    "reported_conversations",
    "send_message",
    "side_of",
    "start_bundle_conversations",
    "start_conversation",
    "unblock_organization",
]
