"""msgspec structs for the conversations API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec


class ConversationIn(msgspec.Struct, forbid_unknown_fields=True):
    """Contact the producer of an offer with a first message (required: a conversation starts with it), optionally
    about one of the buyer's sourcing requests."""

    offer: str | None = None
    request: str | None = None
    message: str | None = None


Number = str | float | int | None
"""A quantity or amount: a JSON number or a decimal string such as "9.80"."""


class DealIn(msgspec.Struct, forbid_unknown_fields=True):
    """A closed deal: quantity in a unit of the offer's product family (timber: m3, bf; latex: kg_drc, t_drc, or
    kg_latex with drc_percent), the price of one unit, currency and date. The total is computed. A unit price far
    from the offer's (more than 50 % off, per canonical unit) is refused with a warning on ``unit_price`` unless
    ``accept_price`` is true."""

    quantity: Number = None
    unit: str | None = None
    drc_percent: Number = None
    unit_price: Number = None
    currency: str | None = None
    date: str | None = None
    accept_price: bool = False
    #: The FSC claim (what FSC's Online Claims Platform records). Left out, each takes the offer's value (its
    #: certificate code, claim, product type, species, the producer's country); sent blank, it is blank.
    invoice: str | None = None
    certificate_code: str | None = None
    claim: str | None = None
    certified_percent: Number = None
    product_type: str | None = None
    species: list[str] | str | None = None
    countries: list[str] | str | None = None

    def raw(self) -> dict[str, Any]:
        return {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None}


class MessageIn(msgspec.Struct, forbid_unknown_fields=True):
    body: str | None = None


class ConversationOut(msgspec.Struct):
    id: int
    buyer_organization: str
    producer_organization: str
    offer: str | None
    request: str | None
    bundle_key: str | None
    created_at: dt.datetime
    last_message_at: dt.datetime
    reported: bool


class MessageOut(msgspec.Struct):
    id: int
    sender_organization: str
    sender_name: str
    body: str
    created_at: dt.datetime


class EventOut(msgspec.Struct):
    id: int
    state: str
    actor_organization: str | None
    at: dt.datetime
    details: dict[str, Any]


class ThreadOut(msgspec.Struct):
    conversation: ConversationOut
    messages: list[MessageOut]
    events: list[EventOut]


def conversation_out(row: dict[str, Any]) -> ConversationOut:
    return ConversationOut(
        id=row["id"],
        buyer_organization=row["buyer_ref"],
        producer_organization=row["producer_ref"],
        offer=row["offer_ref"],
        request=row["request_ref"],
        bundle_key=row["bundle_key"],
        created_at=row["created_at"],
        last_message_at=row["last_message_at"],
        reported=row["reported_at"] is not None,
    )


def thread_out(thread: dict[str, Any]) -> ThreadOut:
    return ThreadOut(
        conversation=conversation_out(thread["conversation"]),
        messages=[
            MessageOut(
                id=m["id"],
                sender_organization=m["sender_organization_name"] or "",
                sender_name=m["sender_name"] or "",
                body=m["body"],
                created_at=m["created_at"],
            )
            for m in thread["messages"]
        ],
        events=[
            EventOut(
                id=e["id"],
                state=e["state"],
                actor_organization=e["actor_organization_name"],
                at=e["at"],
                details=e["details"] or {},
            )
            for e in thread["events"]
        ],
    )


class ClaimOut(msgspec.Struct):
    """One confirmed FSC claim of the caller's organisation: ``side`` is sale (the organisation supplied) or
    purchase; ``countries`` are ISO 3166-1 alpha-2 codes of harvest; ``date`` the deal date."""

    date: str
    invoice: str
    counterparty: str
    certificate_code: str
    claim: str
    certified_percent: int | None
    product_type: str
    species: list[str]
    countries: list[str]
    quantity: float | None
    unit: str
    side: str
