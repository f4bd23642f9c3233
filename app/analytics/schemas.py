"""The dashboard's figures as msgspec structs: one shape for the page, the CSV tables and the JSON API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import msgspec


class FiltersOut(msgspec.Struct):
    date_from: dt.date
    date_to: dt.date
    country: str = ""
    region: str = ""
    category: str = ""
    product_type: str = ""
    claim: str = ""
    legal_form: str = ""
    program: int | None = None


class ProducerGroup(msgspec.Struct):
    """Producers reached (on ForestMatch by the end of the period) and active (offered or wrote in it)."""

    key: str
    reached: int
    active: int


class ProducersOut(msgspec.Struct):
    reached: int
    active: int
    by_country: list[ProducerGroup]
    by_legal_form: list[ProducerGroup]


class Volume(msgspec.Struct):
    """A count and a quantity in the canonical unit of one product family (m3 timber, kg_drc latex)."""

    category: str
    unit: str
    count: int
    quantity: float


class ProductVolume(msgspec.Struct):
    category: str
    product_type: str
    unit: str
    offers: int
    offered_quantity: float
    deals: int
    deal_quantity: float


class CountryVolume(msgspec.Struct):
    country: str
    category: str
    unit: str
    offers: int
    offered_quantity: float


class DemandOut(msgspec.Struct):
    requests: int
    with_viable_match: int
    #: with_viable_match / requests, null without requests
    viable_share: float | None
    by_family: list[Volume]


class ContactsOut(msgspec.Struct):
    conversations: int
    replied: int
    reply_rate: float | None
    #: median hours from first contact to the producer's first message, null without replies
    median_reply_hours: float | None


class MoneyRow(msgspec.Struct):
    """Deal value in one currency: currencies are never added together."""

    currency: str
    deals: int
    value: Decimal
    confirmed_value: Decimal


class DealVolume(msgspec.Struct):
    category: str
    unit: str
    deals: int
    quantity: float
    confirmed_quantity: float


class CountryDeals(msgspec.Struct):
    country: str
    deals: int
    confirmed: int


class DealsOut(msgspec.Struct):
    """Deals dated in the period, with a staff correction replacing the figures it corrects."""

    deals: int
    confirmed: int
    unconfirmed: int
    volume: list[DealVolume]
    value: list[MoneyRow]
    by_country: list[CountryDeals]


class Relationship(msgspec.Struct):
    buyer_ref: str
    buyer_name: str
    producer_ref: str
    producer_name: str
    deals: int


class FunnelStep(msgspec.Struct):
    state: str
    count: int


class MonthRow(msgspec.Struct):
    month: str
    contacts: int
    deals: int


class UnmetRow(msgspec.Struct):
    """Requests with neither a viable match nor a deal, by product type asked for and delivery region."""

    category: str
    product_type: str
    unit: str
    country: str
    region: str
    requests: int
    quantity: float


class ExpiringCertificate(msgspec.Struct):
    code: str
    organization_ref: str
    organization_name: str
    country: str
    expires_on: dt.date
    days_left: int


class MapPoint(msgspec.Struct):
    lat: float
    lon: float
    count: int


class MapOut(msgspec.Struct):
    producers: list[MapPoint]
    unmet_demand: list[MapPoint]


class Summary(msgspec.Struct):
    """Every indicator of the shared measurement for one set of filters."""

    filters: FiltersOut
    producers: ProducersOut
    offered: list[Volume]
    by_product: list[ProductVolume]
    offered_by_country: list[CountryVolume]
    demand: DemandOut
    contacts: ContactsOut
    deals: DealsOut
    repeat_relationships: list[Relationship]
    funnel: list[FunnelStep]
    monthly: list[MonthRow]
    unmet_demand: list[UnmetRow]
    expiring_certificates: list[ExpiringCertificate]
    expiring_within_days: int
    map: MapOut
