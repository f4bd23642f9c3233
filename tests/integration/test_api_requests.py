"""Sourcing requests over the JSON API: buyers post, read, edit and close their own; staff read all."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.sourcing.tables import SourcingRequest
from tests.clock import today
from tests.factories import api_token, make_request, make_user, request_data

NEEDED_FROM = (today() + dt.timedelta(days=30)).isoformat()
NEEDED_BY = (today() + dt.timedelta(days=120)).isoformat()
CLAIMS = "FSC 100%, FSC Mix, FSC Mix Credit, FSC Recycled, FSC Recycled Credit, FSC Controlled Wood"


def nested_request(**overrides: object) -> dict:
    """A request in the import format's shape: the delivery place as a ``delivery`` object."""
    data = request_data(**overrides)
    for key in ("delivery_country", "delivery_region", "delivery_place", "delivery_lat", "delivery_lon"):
        data.pop(key)
    data["delivery"] = {"country": "MX", "region": "MX-JAL", "place": "Guadalajara", "lat": 20.67, "lon": -103.35}
    return data


async def _refused(client, buyer, data: dict) -> list[dict[str, str]]:
    """POST a request that must be refused; nothing may be written."""
    response = await client.post("/api/v1/requests", json=data, headers=await api_token(buyer))
    assert response.status_code == 400, response.text
    assert await SourcingRequest.count() == 0
    return response.json()["errors"]


async def test_buyer_posts_request_with_delivery_object(client) -> None:
    buyer = await make_user("buyer", org_name="Muebles de Jalisco")
    data = nested_request(quantity=300, target_price_amount="330", target_price_currency="USD")
    response = await client.post("/api/v1/requests", json=data, headers=await api_token(buyer))
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "ref": body["ref"],
        "organization": buyer.organization_ref,
        "organization_name": "Muebles de Jalisco",
        "title": "Pine boards for Guadalajara",
        "description": "",
        "category": "timber",
        "product_types": ["sawn_timber"],
        "species": ["Pinus"],
        "accepted_claims": ["FSC 100%", "FSC Mix"],
        "quantity": 300.0,
        "unit": "m3",
        "quantity_canonical": 300.0,
        "canonical_unit": "m3",
        "drc_percent": None,
        "min_per_supplier": 20.0,
        "min_per_supplier_canonical": 20.0,
        "partial_ok": True,
        "delivery": {"country": "MX", "region": "MX-JAL", "place": "Guadalajara", "lat": 20.67, "lon": -103.35},
        "max_distance_km": 1500.0,
        "needed_from": NEEDED_FROM,
        "needed_by": NEEDED_BY,
        "target_price": {"amount": "330.00", "currency": "USD"},
        "status": "open",
    }
    row = await SourcingRequest.select().where(SourcingRequest.ref == body["ref"]).output(load_json=True).first()
    assert row["organization"] == buyer.organization_id
    assert (row["delivery_country"], row["delivery_region"], row["delivery_lat"]) == ("MX", "MX-JAL", 20.67)
    assert row["accepted_claims"] == ["FSC 100%", "FSC Mix"]
    assert Decimal(str(row["target_price_amount"])) == Decimal("330.00")


async def test_buyer_posts_request_with_flat_delivery_and_string_quantity(client) -> None:
    buyer = await make_user("buyer")
    response = await client.post(
        "/api/v1/requests",
        json=request_data(quantity="12.5", unit="bf", min_per_supplier=None),
        headers=await api_token(buyer),
    )
    assert response.status_code == 201
    row = await SourcingRequest.select().where(SourcingRequest.ref == response.json()["ref"]).first()
    assert (row["unit"], row["delivery_place"]) == ("bf", "Guadalajara")
    assert Decimal(str(row["quantity"])) == Decimal("12.5")


async def test_zero_quantity_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(quantity=0)) == [
        {"field": "quantity", "message": "Enter a number greater than zero."}
    ]


async def test_negative_quantity_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(quantity="-300")) == [
        {"field": "quantity", "message": "Enter a number greater than zero."}
    ]


async def test_reversed_delivery_window_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(needed_from=NEEDED_BY, needed_by=NEEDED_FROM)) == [
        {"field": "needed_by", "message": "The end date must be on or after the start date."}
    ]


async def test_latitude_out_of_range_names_the_field_sent(client) -> None:
    buyer = await make_user("buyer")
    nested = nested_request()
    nested["delivery"]["lat"] = 91
    assert await _refused(client, buyer, nested) == [
        {"field": "delivery.lat", "message": "Enter a number of at most 90."}
    ]
    assert await _refused(client, buyer, request_data(delivery_lat="91")) == [
        {"field": "delivery_lat", "message": "Enter a number of at most 90."}
    ]


async def test_unknown_claim_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(accepted_claims=["FSC Mix", "FSC 200%"])) == [
        {"field": "accepted_claims", "message": f"Unknown value 'FSC 200%'. Choose one of: {CLAIMS}."}
    ]


async def test_unknown_unit_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(unit="litres")) == [
        {"field": "unit", "message": "Unknown value 'litres'. Choose one of: m3, bf."}
    ]


async def test_unknown_category_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(category="rubber")) == [
        {"field": "category", "message": "Unknown value 'rubber'. Choose one of: timber, latex."}
    ]


async def test_oversized_title_is_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, nested_request(title="x" * 201)) == [
        {"field": "title", "message": "Use at most 200 characters."}
    ]


async def test_unknown_json_fields_are_refused(client) -> None:
    buyer = await make_user("buyer")
    assert await _refused(client, buyer, {**nested_request(), "budget": 1000}) == [
        {"field": "budget", "message": "Object contains unknown field `budget`"}
    ]
    nested = nested_request()
    nested["delivery"]["port"] = "Manzanillo"
    assert await _refused(client, buyer, nested) == [
        {"field": "delivery.port", "message": "Object contains unknown field `port`"}
    ]


async def test_list_shows_own_requests_and_staff_sees_all(client) -> None:
    buyer = await make_user("buyer")
    other = await make_user("buyer")
    mine = await make_request(buyer)
    theirs = await make_request(other)
    own = await client.get("/api/v1/requests", headers=await api_token(buyer))
    assert own.status_code == 200
    assert [r["ref"] for r in own.json()["items"]] == [mine["ref"]]
    assert (own.json()["page"], own.json()["per_page"], own.json()["total"]) == (1, 20, 1)

    staff = await make_user("staff")
    everything = await client.get("/api/v1/requests", headers=await api_token(staff))
    assert sorted(r["ref"] for r in everything.json()["items"]) == sorted([mine["ref"], theirs["ref"]])
    assert everything.json()["total"] == 2


async def test_read_own_other_and_staff(client) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    url = f"/api/v1/requests/{request['ref']}"
    own = await client.get(url, headers=await api_token(buyer))
    assert (own.status_code, own.json()["ref"]) == (200, request["ref"])
    other = await make_user("buyer")
    assert (await client.get(url, headers=await api_token(other))).status_code == 404
    staff = await make_user("staff")
    assert (await client.get(url, headers=await api_token(staff))).status_code == 200
    assert (await client.get("/api/v1/requests/req-nope", headers=await api_token(staff))).status_code == 404


async def test_owner_updates_request(client) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    data = nested_request(quantity="450", accepted_claims=["FSC 100%"])
    response = await client.put(f"/api/v1/requests/{request['ref']}", json=data, headers=await api_token(buyer))
    assert response.status_code == 200
    row = await SourcingRequest.select().where(SourcingRequest.ref == request["ref"]).output(load_json=True).first()
    assert (row["quantity_canonical"], row["accepted_claims"]) == (450.0, ["FSC 100%"])


async def test_other_buyer_cannot_update_request(client) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    other = await make_user("buyer")
    response = await client.put(
        f"/api/v1/requests/{request['ref']}", json=nested_request(quantity=1), headers=await api_token(other)
    )
    assert response.status_code == 404
    row = (
        await SourcingRequest.select(SourcingRequest.quantity_canonical)
        .where(SourcingRequest.ref == request["ref"])
        .first()
    )
    assert row["quantity_canonical"] == 300.0


async def test_staff_cannot_update_request(client) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    staff = await make_user("staff")
    response = await client.put(
        f"/api/v1/requests/{request['ref']}", json=nested_request(quantity=1), headers=await api_token(staff)
    )
    assert response.status_code == 403
    row = (
        await SourcingRequest.select(SourcingRequest.quantity_canonical)
        .where(SourcingRequest.ref == request["ref"])
        .first()
    )
    assert row["quantity_canonical"] == 300.0


async def test_owner_closes_request(client) -> None:
    buyer = await make_user("buyer")
    request = await make_request(buyer)
    url = f"/api/v1/requests/{request['ref']}/status"
    headers = await api_token(buyer)
    closed = await client.post(url, json={"status": "closed"}, headers=headers)
    assert (closed.status_code, closed.json()["status"]) == (200, "closed")
    row = await SourcingRequest.select(SourcingRequest.status).where(SourcingRequest.ref == request["ref"]).first()
    assert row["status"] == "closed"

    bad = await client.post(url, json={"status": "paused"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "status", "message": "Unknown value 'paused'. Choose one of: open, closed."}
    ]


async def test_producer_cannot_post_request(client) -> None:
    producer = await make_user("producer")
    response = await client.post("/api/v1/requests", json=nested_request(), headers=await api_token(producer))
    assert response.status_code == 403
    assert response.json() == {"status_code": 403, "detail": "Your account may not do this."}
    assert await SourcingRequest.count() == 0
