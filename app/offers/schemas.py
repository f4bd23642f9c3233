"""msgspec structs for the offers API (input is loose on purpose: the service gives field-level messages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from app.vocab import (
    ALL_PRODUCT_TYPES,
    CANONICAL_UNIT,
    CATEGORIES,
    CERTIFICATE_STATUSES,
    CLAIMS,
    COUNTRY_RE,
    CURRENCIES,
    INCOTERMS,
    OFFER_STATUSES,
    UNITS,
    VERIFICATION_STATES,
)
from app.web.api_types import code, vocab

ALL_UNITS = [unit for units in UNITS.values() for unit in units]

Number = str | float | int | None
"""A quantity, coordinate or amount: a JSON number or a decimal string such as "120.5"."""


class PriceIn(msgspec.Struct, forbid_unknown_fields=True):
    """The import format's price object: ``{"amount": "350.00", "currency": "USD", "per": "m3"}``."""

    amount: Number = None
    currency: Annotated[str | None, vocab(CURRENCIES, nullable=True)] = None
    #: The unit the price is per; it must be the offer's unit when given.
    per: Annotated[str | None, vocab(ALL_UNITS, nullable=True)] = None


class OfferIn(msgspec.Struct, forbid_unknown_fields=True):
    """Offer fields as ``check_offer`` reads them; the price is flat (price_amount, price_currency) or ``price``."""

    certificate: str | None = None
    category: Annotated[str | None, vocab(CATEGORIES, nullable=True)] = None
    #: A product type of the category (DOMAIN.md), covered by the certificate.
    product_type: Annotated[str | None, vocab(ALL_PRODUCT_TYPES, nullable=True)] = None
    species: list[str] | str | None = None
    title: str | None = None
    description: str | None = None
    claim: Annotated[str | None, vocab(CLAIMS, nullable=True)] = None
    quantity: Number = None
    #: timber: m3 or bf; latex: kg_drc, t_drc or kg_latex (with drc_percent).
    unit: Annotated[str | None, vocab(ALL_UNITS, nullable=True)] = None
    drc_percent: Number = None
    min_order: Number = None
    available_from: str | None = None
    available_to: str | None = None
    lat: Number = None
    lon: Number = None
    price_amount: Number = None
    price_currency: Annotated[str | None, vocab(CURRENCIES, nullable=True)] = None
    price: PriceIn | None = None
    incoterm: Annotated[str | None, vocab(INCOTERMS, nullable=True)] = None
    status: Annotated[str | None, vocab(OFFER_STATUSES, nullable=True)] = None
    #: Refs of lots the producer's organisation holds (latex only): the offer may claim no more than they derive.
    lots: list[str] | None = None

    def raw(self) -> dict[str, Any]:
        """The fields that were sent (null counts as not sent), with a nested price flattened as the service wants."""
        raw = {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None and k != "price"}
        if self.price is not None:
            raw.setdefault("price_amount", self.price.amount)
            raw.setdefault("price_currency", self.price.currency)
        return {k: v for k, v in raw.items() if v is not None}


class OfferStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    """``{"status": "paused"}``: active, paused or closed."""

    status: Annotated[str | None, vocab(OFFER_STATUSES, nullable=True)] = None


class PriceOut(msgspec.Struct):
    amount: str
    currency: Annotated[str, vocab(CURRENCIES)]
    per: Annotated[str, vocab(ALL_UNITS)]


class OfferOut(msgspec.Struct, omit_defaults=True):
    ref: str
    organization: str
    organization_name: str
    #: The producer's country (ISO 3166-1), or empty when its profile does not say.
    country: Annotated[str, code(COUNTRY_RE, "MX", allow_empty=True)]
    #: ISO 3166-2, or empty when the producer has not said.
    region: str
    certificate: str
    certificate_code: str
    certificate_status: Annotated[str, vocab(CERTIFICATE_STATUSES)]
    certificate_expires_on: dt.date
    certificate_verification: Annotated[str, vocab(VERIFICATION_STATES)]
    category: Annotated[str, vocab(CATEGORIES)]
    product_type: Annotated[str, vocab(ALL_PRODUCT_TYPES)]
    species: list[str]
    title: str
    description: str
    claim: Annotated[str, vocab(CLAIMS)]
    #: As entered, in ``unit``.
    quantity: float
    unit: Annotated[str, vocab(ALL_UNITS)]
    #: In ``canonical_unit``: m3 for timber, kg_drc (dry rubber content) for latex.
    quantity_canonical: float
    canonical_unit: Annotated[str, vocab(CANONICAL_UNIT.values())]
    drc_percent: float | None
    min_order: float | None
    min_order_canonical: float | None
    available_from: dt.date
    available_to: dt.date
    lat: float | None
    lon: float | None
    price: PriceOut | None
    #: An Incoterm, or empty when none was given.
    incoterm: Annotated[str, vocab(["", *INCOTERMS])]
    status: Annotated[str, vocab(OFFER_STATUSES)]
    created_at: dt.datetime
    updated_at: dt.datetime
    #: Refs of the lots behind the offer (latex only; left out when it names none).
    lots: list[str] = msgspec.field(default_factory=list)


class OfferPage(msgspec.Struct):
    items: list[OfferOut]
    page: int
    per_page: int
    total: int


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _amount(value: Decimal | float | str) -> str:
    # SQLite may hand back a float for a NUMERIC column: format it the way PostgreSQL's Decimal would print.
    return str(Decimal(str(value)).quantize(Decimal("0.01")))


def offer_out(row: dict[str, Any]) -> OfferOut:
    """An offer row (as ``services.get_offer`` returns it) as the API shows it."""
    price = None
    if row["price_amount"] is not None:
        price = PriceOut(
            amount=_amount(row["price_amount"]), currency=row["price_currency"], per=row["price_per"] or row["unit"]
        )
    return OfferOut(
        ref=row["ref"],
        organization=row["organization_ref"],
        organization_name=row["organization_name"],
        country=row["country"],
        region=row["region"],
        certificate=row["certificate_ref"],
        certificate_code=row["certificate_code"],
        certificate_status=row["certificate_status"],
        certificate_expires_on=row["certificate_expires_on"],
        certificate_verification=row["certificate_verification"],
        category=row["category"],
        product_type=row["product_type"],
        species=list(row["species"] or []),
        title=row["title"],
        description=row["description"],
        claim=row["claim"],
        quantity=float(row["quantity"]),
        unit=row["unit"],
        quantity_canonical=row["quantity_canonical"],
        canonical_unit=CANONICAL_UNIT[row["category"]],
        drc_percent=row["drc_percent"],
        min_order=_number(row["min_order"]),
        min_order_canonical=row["min_order_canonical"],
        available_from=row["available_from"],
        available_to=row["available_to"],
        lat=row["lat"],
        lon=row["lon"],
        price=price,
        incoterm=row["incoterm"],
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
        lots=list(row.get("lots") or []),
    )
