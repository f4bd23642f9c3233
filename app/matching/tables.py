"""Stored match results: what was recommended for each sourcing request, with score, parts and status."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest


class MatchRun(Table, tablename="match_run"):
    """When a request's matches were last computed, and whether a change has made them stale."""

    request = ForeignKey(references=SourcingRequest, unique=True)
    computed_at = Timestamptz(null=True, default=None)
    stale = Boolean(default=True, index=True)


class Match(Table, tablename="match"):
    """One recommended offer for one request. Rows are kept when an offer stops fitting (status 'withdrawn')."""

    request = ForeignKey(references=SourcingRequest, index=True)
    offer = ForeignKey(references=Offer, index=True)
    score = DoublePrecision()
    parts = JSON(default={})
    distance_km = DoublePrecision(null=True, default=None)
    rank = Integer(default=0)
    #: recommended | withdrawn (later: viewed, contacted, replied, negotiating, closed, declined)
    status = Varchar(length=20, default="recommended", index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class MatchBundle(Table, tablename="match_bundle"):
    """A group of producers proposed together for a request no single offer can fill."""

    request = ForeignKey(references=SourcingRequest, index=True)
    rank = Integer(default=0)
    offer_refs = JSON(default=[])
    total_quantity = DoublePrecision()
    score = DoublePrecision()
    spread_km = DoublePrecision(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
