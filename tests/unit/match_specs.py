"""Request and offer specs for the pure matching engine's unit tests: one valid pair, changed per test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.matching.engine import OfferSpec, RequestSpec

NOW = datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
GDL = (20.67, -103.35)  # Guadalajara
DURANGO = (25.04, -105.42)


def make_request(**overrides: object) -> RequestSpec:
    values: dict[str, object] = {
        "ref": "req-1",
        "organization_ref": "buyer-1",
        "category": "timber",
        "product_types": ("sawn_timber",),
        "species": ("Pinus",),
        "accepted_claims": ("FSC 100%", "FSC Mix"),
        "quantity": 300.0,
        "unit": "m3",
        "min_per_supplier": 20.0,
        "partial_ok": True,
        "delivery_lat": GDL[0],
        "delivery_lon": GDL[1],
        "delivery_place": "Guadalajara",
        "max_distance_km": 1500.0,
        "needed_from": date(2027, 1, 15),
        "needed_by": date(2027, 3, 31),
    }
    values.update(overrides)
    return RequestSpec(**values)  # type: ignore[arg-type]


def make_offer(**overrides: object) -> OfferSpec:
    values: dict[str, object] = {
        "ref": "offer-1",
        "organization_ref": "ejido-san-pedro",
        "organization_name": "Ejido San Pedro",
        "organization_active": True,
        "category": "timber",
        "product_type": "sawn_timber",
        "species": ("Pinus durangensis",),
        "claim": "FSC 100%",
        "status": "active",
        "quantity": 120.0,
        "min_order": 20.0,
        "available_from": date(2026, 12, 1),
        "available_to": date(2027, 6, 30),
        "lat": DURANGO[0],
        "lon": DURANGO[1],
        "certificate_status": "valid",
        "certificate_expires_on": date(2028, 4, 30),
        "certificate_product_types": ("roundwood", "sawn_timber"),
        "certificate_verification": "verified",
        "certificate_verified_at": NOW - timedelta(days=21),
        "updated_at": NOW - timedelta(days=5),
    }
    values.update(overrides)
    return OfferSpec(**values)  # type: ignore[arg-type]
