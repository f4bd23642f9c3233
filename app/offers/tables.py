"""Offer table."""

from __future__ import annotations

from piccolo.columns import JSON, Date, DoublePrecision, ForeignKey, Numeric, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import Organization
from app.certificates.tables import Certificate


class Offer(Table, tablename="offer"):
    """A certified lot a producer offers: what, how much, under which claim and certificate, where and when."""

    ref = Varchar(length=100, unique=True, index=True)
    organization = ForeignKey(references=Organization, index=True)
    certificate = ForeignKey(references=Certificate, index=True)
    category = Varchar(length=10, index=True)
    product_type = Varchar(length=40, index=True)
    species = JSON(default=[])
    title = Varchar(length=200)
    description = Text(default="")
    claim = Varchar(length=30, index=True)
    #: The quantity and unit as entered; ``quantity_canonical`` is in m³ (timber) or kg DRC (latex).
    quantity = Numeric(digits=(14, 3))
    unit = Varchar(length=10)
    drc_percent = DoublePrecision(null=True, default=None)
    quantity_canonical = DoublePrecision(index=True)
    min_order = Numeric(digits=(14, 3), null=True, default=None)
    min_order_canonical = DoublePrecision(null=True, default=None)
    available_from = Date()
    available_to = Date()
    lat = DoublePrecision(null=True, default=None)
    lon = DoublePrecision(null=True, default=None)
    price_amount = Numeric(digits=(14, 2), null=True, default=None)
    price_currency = Varchar(length=3, default="")
    price_per = Varchar(length=10, default="")
    incoterm = Varchar(length=3, default="")
    #: Refs of the lots behind the offer (latex only; app.traceability.offer_lots checks the claim they allow).
    lots = JSON(default=[])
    #: active | paused | closed
    status = Varchar(length=10, default="active", index=True)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
