"""Export: everything ForestMatch holds as one ``forestmatch/1`` document (users and program staff excluded)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.imports.trace_writing import export_traceability
from app.imports.validation import FORMAT
from app.offers import projection
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _num(value: Any) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() else number


async def export_document() -> dict[str, Any]:
    """Everything ForestMatch holds, in the bulk format (users and program staff excluded)."""
    today = dt.date.today()
    orgs = (
        await Organization.select()
        .where(Organization.kind != "program")
        .order_by(Organization.id)
        .output(load_json=True)
    )
    certs = (
        await Certificate.select(Certificate.all_columns(), Certificate.organization.ref.as_alias("organization_ref"))
        .order_by(Certificate.id)
        .output(load_json=True)
    )
    offers = (
        await Offer.select(*projection.columns(None, ("organization_ref", "certificate_ref")))
        .order_by(Offer.id)
        .output(load_json=True)
    )
    requests = (
        await SourcingRequest.select(
            SourcingRequest.all_columns(), SourcingRequest.organization.ref.as_alias("organization_ref")
        )
        .order_by(SourcingRequest.id)
        .output(load_json=True)
    )
    return {
        "format": FORMAT,
        "organizations": [
            {
                "ref": o["ref"],
                "name": o["name"],
                "kind": o["kind"],
                "legal_form": o["legal_form"] or None,
                "country": o["country"] or None,
                "region": o["region"] or None,
                "locality": o["locality"] or None,
                "lat": o["lat"],
                "lon": o["lon"],
                "languages": o["languages"] or [],
                "contact_email": o["contact_email"] or None,
                "description": o["description"] or None,
            }
            for o in orgs
        ],
        "certificates": [
            {
                "ref": c["ref"],
                "organization": c["organization_ref"],
                "code": c["code"],
                "license_code": c["license_code"] or None,
                "scope": c["scope"],
                # A certificate past its expiry date is expired, whatever status it was given while it ran.
                "status": "expired" if c["status"] == "valid" and c["expires_on"] < today else c["status"],
                "issued_on": _iso(c["issued_on"]),
                "expires_on": _iso(c["expires_on"]),
                "product_types": c["product_types"] or [],
                "group": bool(c["is_group"]),
            }
            for c in certs
        ],
        "offers": [
            {
                "ref": o["ref"],
                "organization": o["organization_ref"],
                "certificate": o["certificate_ref"],
                "category": o["category"],
                "product_type": o["product_type"],
                "species": o["species"] or [],
                "title": o["title"],
                "description": o["description"] or None,
                "claim": o["claim"],
                "quantity": _num(o["quantity"]),
                "unit": o["unit"],
                **({"drc_percent": o["drc_percent"]} if o["drc_percent"] is not None else {}),
                "min_order": _num(o["min_order"]),
                "available_from": _iso(o["available_from"]),
                "available_to": _iso(o["available_to"]),
                "lat": o["lat"],
                "lon": o["lon"],
                "price": (
                    {
                        "amount": f"{Decimal(str(o['price_amount'])):.2f}",
                        "currency": o["price_currency"],
                        "per": o["price_per"],
                    }
                    if o["price_amount"] is not None
                    else None
                ),
                "incoterm": o["incoterm"] or None,
                "status": o["status"],
                **({"lots": list(o["lots"])} if o.get("lots") else {}),
            }
            for o in offers
        ],
        "requests": [
            {
                "ref": r["ref"],
                "organization": r["organization_ref"],
                "title": r["title"] or None,
                "category": r["category"],
                "product_types": r["product_types"] or [],
                "species": r["species"] or [],
                "accepted_claims": r["accepted_claims"] or [],
                "quantity": _num(r["quantity"]),
                "unit": r["unit"],
                **({"drc_percent": r["drc_percent"]} if r["drc_percent"] is not None else {}),
                "min_per_supplier": _num(r["min_per_supplier"]),
                "partial_ok": bool(r["partial_ok"]),
                **({"require_eudr_ready": True} if r.get("require_eudr_ready") else {}),
                "delivery": {
                    "country": r["delivery_country"] or None,
                    "region": r["delivery_region"] or None,
                    "lat": r["delivery_lat"],
                    "lon": r["delivery_lon"],
                    "place": r["delivery_place"] or None,
                },
                "max_distance_km": r["max_distance_km"],
                "needed_from": _iso(r["needed_from"]),
                "needed_by": _iso(r["needed_by"]),
                "status": r["status"],
            }
            for r in requests
        ],
        **await export_traceability(),
    }
