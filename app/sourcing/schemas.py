"""msgspec structs for the sourcing requests API (input is loose on purpose: the service gives field messages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

import msgspec

from app.vocab import (
    ALL_PRODUCT_TYPES,
    CANONICAL_UNIT,
    CATEGORIES,
    CLAIMS,
    COUNTRY_RE,
    CURRENCIES,
    REGION_RE,
    REQUEST_STATUSES,
    UNITS,
)
from app.web.api_types import code, vocab

ALL_UNITS = [unit for units in UNITS.values() for unit in units]

Number = str | float | int | None
"""A quantity, coordinate or amount: a JSON number or a decimal string such as "300.5"."""


class DeliveryIn(msgspec.Struct, forbid_unknown_fields=True):
    """The import format's delivery object: where the goods must arrive."""

    country: Annotated[str | None, code(COUNTRY_RE, "MX", nullable=True)] = None
    region: Annotated[str | None, code(REGION_RE, "MX-JAL", nullable=True)] = None
    place: str | None = None
    lat: Number = None
    lon: Number = None


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Request fields as ``check_request`` reads them; the delivery place is ``delivery`` or flat ``delivery_*``."""

    category: Annotated[str | None, vocab(CATEGORIES, nullable=True)] = None
    title: str | None = None
    description: str | None = None
    product_types: Annotated[
        list[str] | str | None, vocab(ALL_PRODUCT_TYPES, many=True, text_list=True, nullable=True)
    ] = None
    species: list[str] | str | None = None
    accepted_claims: Annotated[list[str] | str | None, vocab(CLAIMS, many=True, text_list=True, nullable=True)] = None
    quantity: Number = None
    unit: Annotated[str | None, vocab(ALL_UNITS, nullable=True)] = None
    drc_percent: Number = None
    min_per_supplier: Number = None
    partial_ok: bool | str | None = None
    #: true: only offers backed by lots that are all EUDR-ready (latex traceability).
    require_eudr_ready: bool | str | None = None
    delivery: DeliveryIn | None = None
    delivery_country: Annotated[str | None, code(COUNTRY_RE, "MX", nullable=True)] = None
    delivery_region: Annotated[str | None, code(REGION_RE, "MX-JAL", nullable=True)] = None
    delivery_place: str | None = None
    delivery_lat: Number = None
    delivery_lon: Number = None
    max_distance_km: Number = None
    needed_from: str | None = None
    needed_by: str | None = None
    target_price_amount: Number = None
    target_price_currency: Annotated[str | None, vocab(CURRENCIES, nullable=True)] = None
    status: Annotated[str | None, vocab(REQUEST_STATUSES, nullable=True)] = None

    def raw(self) -> dict[str, Any]:
        """The fields that were sent (null counts as not sent); the service flattens ``delivery`` itself."""
        raw = {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None and k != "delivery"}
        if self.delivery is not None:
            raw["delivery"] = {k: v for k, v in msgspec.structs.asdict(self.delivery).items() if v is not None}
        return raw


class RequestStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    """``{"status": "closed"}``: open or closed."""

    status: Annotated[str | None, vocab(REQUEST_STATUSES, nullable=True)] = None


class DeliveryOut(msgspec.Struct):
    country: str
    region: str
    place: str
    lat: float | None
    lon: float | None


class TargetPriceOut(msgspec.Struct):
    amount: str
    currency: Annotated[str, vocab(CURRENCIES)]


class RequestOut(msgspec.Struct, omit_defaults=True):
    ref: str
    organization: str
    organization_name: str
    title: str
    description: str
    category: Annotated[str, vocab(CATEGORIES)]
    product_types: Annotated[list[str], vocab(ALL_PRODUCT_TYPES, many=True)]
    species: list[str]
    accepted_claims: Annotated[list[str], vocab(CLAIMS, many=True)]
    #: As entered, in ``unit``.
    quantity: float
    unit: Annotated[str, vocab(ALL_UNITS)]
    #: In ``canonical_unit``: m3 for timber, kg_drc (dry rubber content) for latex.
    quantity_canonical: float
    canonical_unit: Annotated[str, vocab(CANONICAL_UNIT.values())]
    drc_percent: float | None
    min_per_supplier: float | None
    min_per_supplier_canonical: float | None
    partial_ok: bool
    delivery: DeliveryOut
    max_distance_km: float | None
    needed_from: dt.date
    needed_by: dt.date
    target_price: TargetPriceOut | None
    status: Annotated[str, vocab(REQUEST_STATUSES)]
    created_at: dt.datetime
    updated_at: dt.datetime
    #: Only offers backed by lots that are all EUDR-ready may serve it (left out when false).
    require_eudr_ready: bool = False


class RequestPage(msgspec.Struct):
    items: list[RequestOut]
    page: int
    per_page: int
    total: int


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def request_out(row: dict[str, Any]) -> RequestOut:
    """A request row (with organization_ref/organization_name aliases) as the API shows it."""
    target = None
    if row["target_price_amount"] is not None:
        amount = str(Decimal(str(row["target_price_amount"])).quantize(Decimal("0.01")))
        target = TargetPriceOut(amount=amount, currency=row["target_price_currency"])
    return RequestOut(
        ref=row["ref"],
        organization=row["organization_ref"],
        organization_name=row["organization_name"],
        title=row["title"],
        description=row["description"],
        category=row["category"],
        product_types=list(row["product_types"] or []),
        species=list(row["species"] or []),
        accepted_claims=list(row["accepted_claims"] or []),
        quantity=float(row["quantity"]),
        unit=row["unit"],
        quantity_canonical=row["quantity_canonical"],
        canonical_unit=CANONICAL_UNIT[row["category"]],
        drc_percent=row["drc_percent"],
        min_per_supplier=_number(row["min_per_supplier"]),
        min_per_supplier_canonical=row["min_per_supplier_canonical"],
        partial_ok=bool(row["partial_ok"]),
        require_eudr_ready=bool(row.get("require_eudr_ready")),
        delivery=DeliveryOut(
            country=row["delivery_country"],
            region=row["delivery_region"],
            place=row["delivery_place"],
            lat=row["delivery_lat"],
            lon=row["delivery_lon"],
        ),
        max_distance_km=row["max_distance_km"],
        needed_from=row["needed_from"],
        needed_by=row["needed_by"],
        target_price=target,
        status=row["status"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )
