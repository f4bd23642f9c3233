"""Sourcing request table."""

from __future__ import annotations

from piccolo.columns import JSON, Boolean, Date, DoublePrecision, ForeignKey, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization


class SourcingRequest(Table, tablename="sourcing_request"):
    """What a buyer wants: products, claims, volume, delivery place and window."""

    ref = Varchar(length=100, unique=True, index=True)
    organization = ForeignKey(references=Organization, index=True)
    title = Varchar(length=200, default="")
    description = Text(default="")
    category = Varchar(length=10, index=True)
    product_types = JSON(default=[])
    species = JSON(default=[])
    accepted_claims = JSON(default=[])
    quantity = Numeric(digits=(14, 3))
    unit = Varchar(length=10)
    drc_percent = DoublePrecision(null=True, default=None)
    quantity_canonical = DoublePrecision()
    min_per_supplier = Numeric(digits=(14, 3), null=True, default=None)
    min_per_supplier_canonical = DoublePrecision(null=True, default=None)
    partial_ok = Boolean(default=True)
    #: Only offers backed by lots that are all EUDR-ready may serve it (a hard constraint of the matcher).
    require_eudr_ready = Boolean(default=False)
    delivery_country = Varchar(length=2, default="")
    delivery_region = Varchar(length=6, default="")
    delivery_place = Varchar(length=120, default="")
    delivery_lat = DoublePrecision(null=True, default=None)
    delivery_lon = DoublePrecision(null=True, default=None)
    max_distance_km = DoublePrecision(null=True, default=None)
    needed_from = Date()
    needed_by = Date()
    target_price_amount = Numeric(digits=(14, 2), null=True, default=None)
    target_price_currency = Varchar(length=3, default="")
    #: open | closed
    status = Varchar(length=10, default="open", index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
