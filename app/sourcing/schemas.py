"""msgspec structs for the sourcing requests API (input is loose on purpose: the service gives field messages)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import msgspec

from app.vocab import CANONICAL_UNIT

Number = str | float | int | None
"""A quantity, coordinate or amount: a JSON number or a decimal string such as "300.5"."""


class DeliveryIn(msgspec.Struct, forbid_unknown_fields=True):
    """The import format's delivery object: where the goods must arrive."""

    country: str | None = None
    region: str | None = None
    place: str | None = None
    lat: Number = None
    lon: Number = None


class RequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """Request fields as ``check_request`` reads them; the delivery place is ``delivery`` or flat ``delivery_*``."""

    category: str | None = None
    title: str | None = None
    description: str | None = None
    product_types: list[str] | str | None = None
    species: list[str] | str | None = None
    accepted_claims: list[str] | str | None = None
    quantity: Number = None
    unit: str | None = None
    drc_percent: Number = None
    min_per_supplier: Number = None
    partial_ok: bool | str | None = None
    delivery: DeliveryIn | None = None
    delivery_country: str | None = None
    delivery_region: str | None = None
    delivery_place: str | None = None
    delivery_lat: Number = None
    delivery_lon: Number = None
    max_distance_km: Number = None
    needed_from: str | None = None
    needed_by: str | None = None
    target_price_amount: Number = None
    target_price_currency: str | None = None
    status: str | None = None

    def raw(self) -> dict[str, Any]:
        """The fields that were sent (null counts as not sent); the service flattens ``delivery`` itself."""
        raw = {k: v for k, v in msgspec.structs.asdict(self).items() if v is not None and k != "delivery"}
        if self.delivery is not None:
            raw["delivery"] = {k: v for k, v in msgspec.structs.asdict(self.delivery).items() if v is not None}
        return raw


class RequestStatusIn(msgspec.Struct, forbid_unknown_fields=True):
    """``{"status": "closed"}``: open or closed."""

    status: str | None = None


class DeliveryOut(msgspec.Struct):
    country: str
    region: str
    place: str
    lat: float | None
    lon: float | None


class TargetPriceOut(msgspec.Struct):
    amount: str
    currency: str


class RequestOut(msgspec.Struct):
    ref: str
    organization: str
    organization_name: str
    title: str
    description: str
    category: str
    product_types: list[str]
    species: list[str]
    accepted_claims: list[str]
    #: As entered, in ``unit``.
    quantity: float
    unit: str
    #: In ``canonical_unit``: m3 for timber, kg_drc (dry rubber content) for latex.
    quantity_canonical: float
    canonical_unit: str
    drc_percent: float | None
    min_per_supplier: float | None
    min_per_supplier_canonical: float | None
    partial_ok: bool
    delivery: DeliveryOut
    max_distance_km: float | None
    needed_from: dt.date
    needed_by: dt.date
    target_price: TargetPriceOut | None
    status: str
    created_at: dt.datetime
    updated_at: dt.datetime


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
