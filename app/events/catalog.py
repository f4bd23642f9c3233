"""Every event ForestMatch records and which subscribers consume it: data, so that recording needs no registration.

A service records an event in its own write transaction (``app.events.record``); the outbox keeps one row per
subscriber listed here, and each subscriber consumes its rows in order, once (``app.events.consumer``).
"""

from __future__ import annotations

#: Subscribers, in the order the worker runs them after each pass.
SEARCH = "search"  # the search index, and through its hooks match staleness and saved-search queueing
ALERTS = "alerts"  # in-app notifications and their e-mails
MAIL = "mail"  # e-mails that are not notifications (password-reset links)
LOTS = "lots"  # latex lots whose derived claim and checks depend on a certificate or a collector's place
SUBSCRIBERS = (SEARCH, LOTS, ALERTS, MAIL)

#: name -> (what happened, subscribers). Change events carry ``entity`` and ``ref``; the others a JSON payload.
EVENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "offer_changed": ("an offer was published, edited, paused, closed or imported", (SEARCH,)),
    "certificate_changed": ("a certificate was added, edited, verified or imported", (SEARCH, LOTS)),
    "organization_changed": ("an organisation's profile or status changed", (SEARCH, LOTS)),
    "request_changed": ("a sourcing request was posted, edited or closed", (SEARCH,)),
    "certificate_status_changed": ("a producer changed a certificate's status (payload: id, old status)", (ALERTS,)),
    "message_sent": ("a party posted a message in a conversation", (ALERTS,)),
    "deal_recorded": ("a party recorded a deal in a conversation", (ALERTS,)),
    "deal_confirmed": ("the other party confirmed a recorded deal", (ALERTS,)),
    "deal_declined": ("a party declined to go on with a conversation", (ALERTS,)),
    "pairs_first_matched": ("offers matched a request for the first time (payload: request, offers, since)", (ALERTS,)),
    "lot_answer_changed": (
        "a latex lot's derived claim, EUDR readiness or checks changed (payload: lot, before, after, at)",
        (ALERTS,),
    ),
    "password_reset_mail": ("a password-reset link was made for an active account (payload: the e-mail)", (MAIL,)),
}

#: The record kinds whose change events the search subscriber applies.
ENTITIES = ("offer", "certificate", "organization", "request")


def subscribers_of(name: str) -> tuple[str, ...]:
    """The subscribers that consume ``name`` (KeyError for an event nobody declared)."""
    return EVENTS[name][1]
