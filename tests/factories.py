"""Test data builders that go through the real services, and sign-in helpers for the test client."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from litestar.testing import AsyncTestClient

from app.accounts import services as accounts
from app.accounts.services import CurrentUser
from app.certificates import services as certificates
from app.offers import services as offers
from app.sourcing import services as sourcing
from tests.clock import today

PASSWORD = "correct horse battery"


async def make_user(
    role: str = "producer", *, email: str | None = None, org_name: str | None = None, country: str = "MX"
) -> CurrentUser:
    """A user with its own organisation (staff join the backbone organisation)."""
    email = email or f"{role}-{secrets.token_hex(4)}@example.org"
    return await accounts.create_user(
        email=email, password=PASSWORD, role=role, organization_name=org_name or f"Org {email}", country=country
    )


def certificate_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": f"SCS-FM/COC-{secrets.randbelow(900000) + 100000}",
        "license_code": "FSC-C012345",
        "scope": "FM/COC",
        "status": "valid",
        "issued_on": (today() - dt.timedelta(days=400)).isoformat(),
        "expires_on": (today() + dt.timedelta(days=800)).isoformat(),
        "product_types": ["roundwood", "sawn_timber"],
        "is_group": False,
    }
    data.update(overrides)
    return data


async def make_certificate(user: CurrentUser, **overrides: Any) -> dict[str, Any]:
    return await certificates.create_certificate(user, certificate_data(**overrides))


def offer_data(certificate_ref: str, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "certificate": certificate_ref,
        "category": "timber",
        "product_type": "sawn_timber",
        "species": ["Pinus durangensis"],
        "title": "Kiln-dried pine boards",
        "description": "Grade 2&Btr",
        "claim": "FSC 100%",
        "quantity": "120",
        "unit": "m3",
        "min_order": "20",
        "available_from": (today() + dt.timedelta(days=5)).isoformat(),
        "available_to": (today() + dt.timedelta(days=200)).isoformat(),
        "lat": "25.04",
        "lon": "-105.42",
        "price_amount": "350.00",
        "price_currency": "USD",
        "incoterm": "FCA",
    }
    data.update(overrides)
    return data


async def make_offer(user: CurrentUser, certificate_ref: str, **overrides: Any) -> dict[str, Any]:
    return await offers.create_offer(user, offer_data(certificate_ref, **overrides))


def request_data(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "category": "timber",
        "title": "Pine boards for Guadalajara",
        "product_types": ["sawn_timber"],
        "species": ["Pinus"],
        "accepted_claims": ["FSC 100%", "FSC Mix"],
        "quantity": "300",
        "unit": "m3",
        "min_per_supplier": "20",
        "partial_ok": True,
        "delivery_country": "MX",
        "delivery_region": "MX-JAL",
        "delivery_place": "Guadalajara",
        "delivery_lat": "20.67",
        "delivery_lon": "-103.35",
        "max_distance_km": "1500",
        "needed_from": (today() + dt.timedelta(days=30)).isoformat(),
        "needed_by": (today() + dt.timedelta(days=120)).isoformat(),
    }
    data.update(overrides)
    return data


async def make_request(user: CurrentUser, **overrides: Any) -> dict[str, Any]:
    return await sourcing.create_request(user, request_data(**overrides))


def csrf_token(client: AsyncTestClient) -> str:
    """The CSRF token the browser would send (the cookie value, set by any earlier GET)."""
    token = client.cookies.get("fm_csrf")
    assert token, "no CSRF cookie yet: GET a page first"
    return token


async def sign_in(client: AsyncTestClient, user: CurrentUser, password: str = PASSWORD) -> None:
    """Sign in through the real form (GET for the CSRF cookie, then POST)."""
    await client.get("/login")
    response = await client.post(
        "/login", data={"email": user.email, "password": password, "_csrf_token": csrf_token(client)}
    )
    assert response.status_code == 303, response.text


async def post_form(client: AsyncTestClient, url: str, data: dict[str, Any]) -> Any:
    """POST a form with the CSRF token, as a browser with JavaScript off would."""
    if client.cookies.get("fm_csrf") is None:
        await client.get("/")
    return await client.post(url, data={**data, "_csrf_token": csrf_token(client)})


async def api_token(user: CurrentUser) -> dict[str, str]:
    """Authorization header for an API token of this user."""
    token = await accounts.create_api_token(user, "tests")
    return {"Authorization": f"Bearer {token}"}
