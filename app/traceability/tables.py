"""Tables of latex traceability (TRACEABILITY.md): members of groups, their plots, deliveries to collectors, lots,
and what the engine derived for them (a plot's checks, a lot's answer) so reading either is one row."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, DoublePrecision, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization, User


class Member(Table, tablename="member"):
    """A smallholder inside a group certificate's group (``member_code`` is unique per group: see the migration)."""

    ref = Varchar(length=100, unique=True, index=True)
    group = ForeignKey(references=Organization, index=True)
    name = Varchar(length=200)
    member_code = Varchar(length=60)
    country = Varchar(length=2, default="")
    region = Varchar(length=6, default="")
    locality = Varchar(length=120, default="")
    #: Entered / left the certificate's scope; no ``certified_from`` means not certified.
    certified_from = Date(null=True, default=None)
    certified_to = Date(null=True, default=None)
    consent_share_identity = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Plot(Table, tablename="plot"):
    """Land a member taps: a GeoJSON Point (with ``area_ha``) or Polygon, WGS84 ``[lon, lat]``."""

    ref = Varchar(length=100, unique=True, index=True)
    member = ForeignKey(references=Member, index=True)
    geometry = JSON(default={})
    area_ha = DoublePrecision(null=True, default=None)
    planted_year = Integer(null=True, default=None)
    country = Varchar(length=2, default="", index=True)
    #: The plot's checks as the engine last derived them: [{"code", "severity", "ref", "message"}]; None until derived.
    checks = JSON(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Delivery(Table, tablename="delivery"):
    """Latex a collector received (from a member's plot, when known): dry kg, or wet kg with its DRC."""

    ref = Varchar(length=100, unique=True, index=True)
    collector = ForeignKey(references=Organization, index=True)
    member = ForeignKey(references=Member, null=True, index=True)
    plot = ForeignKey(references=Plot, null=True, index=True)
    date = Date()
    #: field_latex | cup_lump
    form = Varchar(length=12)
    wet_kg = DoublePrecision(null=True, default=None)
    drc_percent = DoublePrecision(null=True, default=None)
    dry_kg = DoublePrecision(null=True, default=None)
    recorded_by = ForeignKey(references=User, null=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class CollectorLink(Table, tablename="collector_link"):
    """A collector a group lets record its members' deliveries: it may then find the group's members and their plots
    (one row per group and collector: see the migration's unique index)."""

    group = ForeignKey(references=Organization, index=True, on_delete=OnDelete.cascade)
    collector = ForeignKey(references=Organization, index=True, on_delete=OnDelete.cascade)
    created_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())


class Lot(Table, tablename="lot"):
    """A quantity of rubber held by one organisation, made of deliveries and parts of other lots."""

    ref = Varchar(length=100, unique=True, index=True)
    holder = ForeignKey(references=Organization, index=True)
    #: none | concentrate | tsr | rss | crepe
    process = Varchar(length=12)
    product_type = Varchar(length=40)
    output_dry_kg = DoublePrecision()
    date = Date()
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class LotInput(Table, tablename="lot_input"):
    """One input of a lot, in document order (``position``): a whole delivery, or ``dry_kg`` of another lot."""

    lot = ForeignKey(references=Lot, index=True, on_delete=OnDelete.cascade)
    position = Integer(default=0)
    delivery = ForeignKey(references=Delivery, null=True, index=True)
    source_lot = ForeignKey(references=Lot, null=True, index=True)
    dry_kg = DoublePrecision(null=True, default=None)


class LotResult(Table, tablename="lot_result"):
    """The engine's last answer for a lot: one row to read (``answer`` is ``LotAnswer.as_json()`` exactly)."""

    lot = ForeignKey(references=Lot, unique=True, index=True, on_delete=OnDelete.cascade)
    claim = Varchar(length=20, null=True, default=None)
    certified_percent = Integer(null=True, default=None)
    eudr_ready = Boolean(default=False)
    members = Integer(default=0)
    plots = Integer(default=0)
    deliveries = Integer(default=0)
    checks = JSON(default=[])
    answer = JSON(default={})
    computed_at = Timestamptz(default=TimestamptzNow())
