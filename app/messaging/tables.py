"""Conversations between a buyer and a producer, their messages, the append-only match events and blocks."""

from __future__ import annotations

from piccolo.columns import JSON, ForeignKey, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization, User
from app.matching.tables import Match
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest


class Conversation(Table, tablename="conversation"):
    """One thread between a buyer organisation and a producer organisation, usually about one offer."""

    buyer_organization = ForeignKey(references=Organization, index=True)
    producer_organization = ForeignKey(references=Organization, index=True)
    offer = ForeignKey(references=Offer, null=True, default=None, index=True)
    request = ForeignKey(references=SourcingRequest, null=True, default=None)
    match = ForeignKey(references=Match, null=True, default=None)
    #: The conversations opened together from one producer bundle share this key.
    bundle_key = Varchar(length=40, null=True, default=None, index=True)
    created_by = ForeignKey(references=User)
    created_at = Timestamptz(default=TimestamptzNow())
    last_message_at = Timestamptz(default=TimestamptzNow(), index=True)
    reported_at = Timestamptz(null=True, default=None, index=True)
    reported_by = ForeignKey(references=User, null=True, default=None)
    report_reason = Text(default="")


class Message(Table, tablename="message"):
    """A plain-text message; never edited."""

    conversation = ForeignKey(references=Conversation, index=True)
    sender = ForeignKey(references=User, index=True)
    sender_organization = ForeignKey(references=Organization)
    body = Text()
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class MatchEvent(Table, tablename="match_event"):
    """One recorded state change of a match or conversation, with who and when. Rows are only ever added."""

    #: Null for a conversation started from an offer without a sourcing request (no match exists).
    match = ForeignKey(references=Match, null=True, default=None, index=True)
    conversation = ForeignKey(references=Conversation, null=True, default=None, index=True)
    #: recommended | viewed | contacted | replied | negotiating | deal_closed | deal_confirmed | declined | corrected
    state = Varchar(length=20, index=True)
    actor = ForeignKey(references=User)
    actor_organization = ForeignKey(references=Organization, null=True, default=None)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    details = JSON(default={})


class OrganizationBlock(Table, tablename="organization_block"):
    """``blocker`` does not want messages from ``blocked`` (nor to send them)."""

    blocker = ForeignKey(references=Organization, index=True)
    blocked = ForeignKey(references=Organization, index=True)
    #: "<blocker id>:<blocked id>" — one block per ordered pair, enforced by the database.
    pair_key = Varchar(length=40, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
