"""Offers over the JSON API: public browsing, publishing, editing and status changes, with field-level errors."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.offers.tables import Offer
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_user, offer_data

FROM = (today() + dt.timedelta(days=5)).isoformat()
TO = (today() + dt.timedelta(days=200)).isoformat()
CLAIMS = "FSC 100%, FSC Mix, FSC Mix Credit, FSC Recycled, FSC Recycled Credit, FSC Controlled Wood"


async def _producer_with_certificate(**cert: object) -> tuple:
    producer = await make_user("producer", org_name="Ejido San Pedro")
    certificate = await make_certificate(producer, **cert)
    return producer, certificate


async def _refused(client, producer, data: dict) -> list[dict[str, str]]:
    """POST an offer that must be refused; nothing may be written."""
    response = await client.post("/api/v1/offers", json=data, headers=await api_token(producer))
    assert response.status_code == 400, response.text
    assert await Offer.count() == 0
    body = response.json()
    assert (body["status_code"], body["detail"]) == (400, "Some fields are not valid.")
    return body["errors"]


# --- create ----------------------------------------------------------------------------------------------------
async def test_producer_publishes_offer(client) -> None:
    producer, cert = await _producer_with_certificate()
    data = offer_data(cert["ref"], quantity=120.5, lat=25.04, lon=-105.42)
    response = await client.post("/api/v1/offers", json=data, headers=await api_token(producer))
    assert response.status_code == 201
    body = response.json()
    assert {k: v for k, v in body.items() if k not in ("created_at", "updated_at")} == {
        "ref": body["ref"],
        "organization": producer.organization_ref,
        "organization_name": "Ejido San Pedro",
        "country": "MX",
        "region": "",
        "certificate": cert["ref"],
        "certificate_code": cert["code"],
        "certificate_status": "valid",
        "certificate_expires_on": cert["expires_on"].isoformat(),
        "certificate_verification": "pending",
        "category": "timber",
        "product_type": "sawn_timber",
        "species": ["Pinus durangensis"],
        "title": "Kiln-dried pine boards",
        "description": "Grade 2&Btr",
        "claim": "FSC 100%",
        "quantity": 120.5,
        "unit": "m3",
        "quantity_canonical": 120.5,
        "canonical_unit": "m3",
        "drc_percent": None,
        "min_order": 20.0,
        "min_order_canonical": 20.0,
        "available_from": FROM,
        "available_to": TO,
        "lat": 25.04,
        "lon": -105.42,
        "price": {"amount": "350.00", "currency": "USD", "per": "m3"},
        "incoterm": "FCA",
        "status": "active",
    }
    row = await Offer.select().where(Offer.ref == body["ref"]).first()
    assert row["organization"] == producer.organization_id
    assert row["certificate"] == cert["id"]
    assert Decimal(str(row["quantity"])) == Decimal("120.5")
    assert row["quantity_canonical"] == 120.5
    assert Decimal(str(row["price_amount"])) == Decimal("350.00")
    assert (row["price_currency"], row["price_per"], row["status"]) == ("USD", "m3", "active")


async def test_import_format_price_object_and_board_feet(client) -> None:
    producer, cert = await _producer_with_certificate()
    data = offer_data(
        cert["ref"],
        quantity="423.776",
        unit="bf",
        min_order=None,
        price={"amount": "0.95", "currency": "USD", "per": "bf"},
    )
    del data["price_amount"], data["price_currency"]
    response = await client.post("/api/v1/offers", json=data, headers=await api_token(producer))
    assert response.status_code == 201
    body = response.json()
    assert (body["quantity"], body["unit"], body["quantity_canonical"], body["canonical_unit"]) == (
        423.776,
        "bf",
        1.0,
        "m3",
    )
    assert body["price"] == {"amount": "0.95", "currency": "USD", "per": "bf"}
    row = await Offer.select().where(Offer.ref == body["ref"]).first()
    assert (Decimal(str(row["price_amount"])), row["price_currency"], row["price_per"]) == (
        Decimal("0.95"),
        "USD",
        "bf",
    )


async def test_wet_latex_is_counted_in_dry_rubber(client) -> None:
    producer, cert = await _producer_with_certificate(product_types=["field_latex"])
    data = offer_data(
        cert["ref"],
        category="latex",
        product_type="field_latex",
        species=["Hevea brasiliensis"],
        unit="kg_latex",
        quantity=1000,
        drc_percent=35,
        min_order=None,
    )
    response = await client.post("/api/v1/offers", json=data, headers=await api_token(producer))
    assert response.status_code == 201
    body = response.json()
    assert (body["quantity"], body["unit"], body["quantity_canonical"], body["canonical_unit"]) == (
        1000.0,
        "kg_latex",
        350.0,
        "kg_drc",
    )
    row = await Offer.select(Offer.quantity_canonical).where(Offer.ref == body["ref"]).first()
    assert row["quantity_canonical"] == 350.0


async def test_price_per_another_unit_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    data = offer_data(cert["ref"], price={"amount": "350.00", "currency": "USD", "per": "bf"})
    del data["price_amount"], data["price_currency"]
    assert await _refused(client, producer, data) == [
        {"field": "price.per", "message": "The price must be per the offer's unit (m3)."}
    ]


async def test_nested_price_errors_name_the_nested_field(client) -> None:
    producer, cert = await _producer_with_certificate()
    data = offer_data(cert["ref"], price={"amount": "cheap", "currency": "USD"})
    del data["price_amount"], data["price_currency"]
    assert await _refused(client, producer, data) == [
        {"field": "price.amount", "message": "Enter an amount such as 350.00."}
    ]


async def test_zero_quantity_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], quantity=0)) == [
        {"field": "quantity", "message": "Enter a number greater than zero."}
    ]


async def test_negative_quantity_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], quantity="-5")) == [
        {"field": "quantity", "message": "Enter a number greater than zero."}
    ]


async def test_reversed_availability_window_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], available_from=TO, available_to=FROM)) == [
        {"field": "available_to", "message": "The end date must be on or after the start date."}
    ]


async def test_latitude_out_of_range_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], lat=91, lon=-105.42)) == [
        {"field": "lat", "message": "Enter a number of at most 90."}
    ]


async def test_unknown_claim_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], claim="FSC 200%")) == [
        {"field": "claim", "message": f"Unknown value 'FSC 200%'. Choose one of: {CLAIMS}."}
    ]


async def test_unknown_unit_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], unit="litres")) == [
        {"field": "unit", "message": "Unknown value 'litres'. Choose one of: m3, bf."}
    ]


async def test_unknown_category_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], category="rubber")) == [
        {"field": "category", "message": "Unknown value 'rubber'. Choose one of: timber, latex."}
    ]


async def test_oversized_title_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], title="x" * 201)) == [
        {"field": "title", "message": "Use at most 200 characters."}
    ]


async def test_another_organisations_certificate_is_refused(client) -> None:
    producer, _cert = await _producer_with_certificate()
    _other, foreign = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(foreign["ref"])) == [
        {"field": "certificate", "message": "Choose one of your organisation's certificates."}
    ]


async def test_suspended_certificate_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate(status="suspended")
    assert await _refused(client, producer, offer_data(cert["ref"])) == [
        {
            "field": "certificate",
            "message": f"Certificate {cert['code']} is suspended; only a valid certificate supports a certified sale.",
        }
    ]


async def test_unknown_json_field_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, {**offer_data(cert["ref"]), "organization": "someone-else"}) == [
        {"field": "organization", "message": "Object contains unknown field `organization`"}
    ]


async def test_wrong_json_type_names_the_field(client) -> None:
    producer, cert = await _producer_with_certificate()
    assert await _refused(client, producer, offer_data(cert["ref"], quantity=True)) == [
        {"field": "quantity", "message": "Expected `int | float | str | null`, got `bool`"}
    ]


# --- read ------------------------------------------------------------------------------------------------------
async def test_public_list_shows_active_offers_under_valid_certificates(client) -> None:
    producer, cert = await _producer_with_certificate()
    shown = await make_offer(producer, cert["ref"], title="Shown")
    paused = await make_offer(producer, cert["ref"], title="Paused")
    await Offer.update({Offer.status: "paused"}).where(Offer.ref == paused["ref"])
    _p2, cert2 = await _producer_with_certificate()
    await make_offer(_p2, cert2["ref"], title="Suspended certificate")
    await Certificate.update({Certificate.status: "suspended"}).where(Certificate.ref == cert2["ref"])

    response = await client.get("/api/v1/offers")
    assert response.status_code == 200
    body = response.json()
    assert [o["ref"] for o in body["items"]] == [shown["ref"]]
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)
    assert body["items"][0]["quantity_canonical"] == 120.0


async def test_public_list_filters(client) -> None:
    mx = await make_user("producer", country="MX")
    mx_cert = await make_certificate(mx, product_types=["sawn_timber", "roundwood"])
    gt = await make_user("producer", country="GT")
    gt_cert = await make_certificate(gt, product_types=["sawn_timber", "field_latex"])
    boards = await make_offer(mx, mx_cert["ref"])
    logs = await make_offer(mx, mx_cert["ref"], product_type="roundwood", claim="FSC Mix")
    peten = await make_offer(gt, gt_cert["ref"])
    latex = await make_offer(
        gt, gt_cert["ref"], category="latex", product_type="field_latex", unit="kg_drc", min_order=None
    )

    async def refs(**params: str) -> list[str]:
        response = await client.get("/api/v1/offers", params=params)
        assert response.status_code == 200
        return sorted(o["ref"] for o in response.json()["items"])

    assert await refs(category="latex") == [latex["ref"]]
    assert await refs(product_type="sawn_timber") == sorted([boards["ref"], peten["ref"]])
    assert await refs(claim="FSC Mix") == [logs["ref"]]
    assert await refs(country="gt") == sorted([peten["ref"], latex["ref"]])
    assert await refs(category="timber", country="MX", product_type="roundwood") == [logs["ref"]]


async def test_public_list_pages_twenty_at_a_time(client) -> None:
    producer, cert = await _producer_with_certificate()
    made = [await make_offer(producer, cert["ref"], title=f"Lot {i}") for i in range(21)]
    first = (await client.get("/api/v1/offers")).json()
    second = (await client.get("/api/v1/offers", params={"page": 2})).json()
    assert (len(first["items"]), first["total"], first["per_page"]) == (20, 21, 20)
    assert (len(second["items"]), second["page"], second["total"]) == (1, 2, 21)
    listed = [o["ref"] for o in first["items"] + second["items"]]
    assert sorted(listed) == sorted(o["ref"] for o in made)


async def test_unknown_filter_value_is_refused(client) -> None:
    response = await client.get("/api/v1/offers", params={"claim": "FSC 200%"})
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "claim", "message": f"Unknown value 'FSC 200%'. Choose one of: {CLAIMS}."}
    ]


async def test_page_zero_is_refused(client) -> None:
    response = await client.get("/api/v1/offers", params={"page": 0})
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["page"]


async def test_offer_visibility(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    url = f"/api/v1/offers/{offer['ref']}"
    public = await client.get(url)
    assert public.status_code == 200
    assert public.json()["title"] == "Kiln-dried pine boards"

    await Offer.update({Offer.status: "paused"}).where(Offer.ref == offer["ref"])
    assert (await client.get(url)).status_code == 404
    stranger = await make_user("producer")
    assert (await client.get(url, headers=await api_token(stranger))).status_code == 404
    owner_view = await client.get(url, headers=await api_token(producer))
    assert (owner_view.status_code, owner_view.json()["status"]) == (200, "paused")
    staff = await make_user("staff")
    assert (await client.get(url, headers=await api_token(staff))).status_code == 200
    assert (await client.get("/api/v1/offers/offer-nope")).status_code == 404


# --- update and status -----------------------------------------------------------------------------------------
async def test_owner_updates_offer(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    data = offer_data(cert["ref"], title="Pine boards, second lot", quantity="80", price_amount="365.5")
    response = await client.put(f"/api/v1/offers/{offer['ref']}", json=data, headers=await api_token(producer))
    assert response.status_code == 200
    assert response.json()["price"] == {"amount": "365.50", "currency": "USD", "per": "m3"}
    row = await Offer.select().where(Offer.ref == offer["ref"]).first()
    assert (row["title"], row["quantity_canonical"]) == ("Pine boards, second lot", 80.0)
    assert Decimal(str(row["price_amount"])) == Decimal("365.50")


async def test_invalid_update_changes_nothing(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    response = await client.put(
        f"/api/v1/offers/{offer['ref']}", json=offer_data(cert["ref"], quantity=-1), headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [{"field": "quantity", "message": "Enter a number greater than zero."}]
    row = await Offer.select(Offer.quantity_canonical).where(Offer.ref == offer["ref"]).first()
    assert row["quantity_canonical"] == 120.0


async def test_owner_pauses_and_reactivates_offer(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    headers = await api_token(producer)
    url = f"/api/v1/offers/{offer['ref']}/status"
    paused = await client.post(url, json={"status": "paused"}, headers=headers)
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "paused"
    assert (await client.get("/api/v1/offers")).json()["total"] == 0

    active = await client.post(url, json={"status": "active"}, headers=headers)
    assert active.status_code == 200
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "active"


async def test_unknown_status_is_refused(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    response = await client.post(
        f"/api/v1/offers/{offer['ref']}/status", json={"status": "deleted"}, headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "status", "message": "Unknown value 'deleted'. Choose one of: active, paused, closed."}
    ]
    missing = await client.post(f"/api/v1/offers/{offer['ref']}/status", json={}, headers=await api_token(producer))
    assert missing.status_code == 400
    assert missing.json()["errors"] == [{"field": "status", "message": "Choose a value."}]
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "active"


async def test_reactivation_needs_a_valid_certificate(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"], status="paused")
    await Certificate.update({Certificate.status: "suspended"}).where(Certificate.ref == cert["ref"])
    response = await client.post(
        f"/api/v1/offers/{offer['ref']}/status", json={"status": "active"}, headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["status"]
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "paused"


async def test_offers_cannot_be_deleted(client) -> None:
    producer, cert = await _producer_with_certificate()
    offer = await make_offer(producer, cert["ref"])
    response = await client.delete(f"/api/v1/offers/{offer['ref']}", headers=await api_token(producer))
    assert response.status_code == 405
    assert await Offer.count().where(Offer.ref == offer["ref"]) == 1


# --- the producers behind the offers ---------------------------------------------------------------------------
async def test_organisations_list_shows_active_producers(client) -> None:
    await make_user("producer", org_name="Ejido San Pedro", country="MX")
    await make_user("producer", org_name="Cooperativa Carmelita", country="GT")
    await make_user("buyer", org_name="Muebles de Jalisco")
    closed = await make_user("producer", org_name="Old ejido")
    await Organization.update({Organization.is_active: False}).where(Organization.id == closed.organization_id)
    await Organization.update({Organization.legal_form: "ejido", Organization.region: "MX-DUR"}).where(
        Organization.name == "Ejido San Pedro"
    )

    response = await client.get("/api/v1/organizations")
    assert response.status_code == 200
    body = response.json()
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 2)
    refs = {o["name"]: o["ref"] for o in body["items"]}
    assert body["items"] == [
        {
            "ref": refs["Cooperativa Carmelita"],
            "name": "Cooperativa Carmelita",
            "kind": "producer",
            "legal_form": "",
            "country": "GT",
            "region": "",
        },
        {
            "ref": refs["Ejido San Pedro"],
            "name": "Ejido San Pedro",
            "kind": "producer",
            "legal_form": "ejido",
            "country": "MX",
            "region": "MX-DUR",
        },
    ]


async def test_staff_see_every_organisation(client) -> None:
    await make_user("producer", org_name="Ejido San Pedro")
    await make_user("buyer", org_name="Muebles de Jalisco")
    staff = await make_user("staff", org_name="ForestMatch program")
    response = await client.get("/api/v1/organizations", headers=await api_token(staff))
    assert response.status_code == 200
    assert [(o["name"], o["kind"]) for o in response.json()["items"]] == [
        ("Ejido San Pedro", "producer"),
        ("ForestMatch program", "program"),
        ("Muebles de Jalisco", "buyer"),
    ]
    assert response.json()["total"] == 3


async def test_organisations_list_pages(client) -> None:
    for i in range(21):
        await make_user("producer", org_name=f"Ejido {i:02d}")
    second = await client.get("/api/v1/organizations", params={"page": 2})
    assert second.status_code == 200
    assert [o["name"] for o in second.json()["items"]] == ["Ejido 20"]
    assert (second.json()["page"], second.json()["total"]) == (2, 21)
