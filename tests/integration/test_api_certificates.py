"""Certificates over the JSON API: producers register and edit their own, staff list and verify them."""

from __future__ import annotations

import datetime as dt

from app.certificates.tables import Certificate
from tests.clock import today
from tests.factories import api_token, certificate_data, make_certificate, make_user

ISSUED = (today() - dt.timedelta(days=400)).isoformat()
EXPIRES = (today() + dt.timedelta(days=800)).isoformat()


def _without_times(body: dict) -> dict:
    return {k: v for k, v in body.items() if k not in ("created_at", "updated_at")}


async def test_producer_registers_certificate(client) -> None:
    producer = await make_user("producer", org_name="Ejido San Pedro")
    data = certificate_data(code="scs-fm/coc-004512", product_types=["roundwood", "sawn_timber"])
    response = await client.post("/api/v1/certificates", json=data, headers=await api_token(producer))
    assert response.status_code == 201
    body = response.json()
    row = await Certificate.select().where(Certificate.ref == body["ref"]).output(load_json=True).first()
    assert _without_times(body) == {
        "ref": row["ref"],
        "organization": producer.organization_ref,
        "organization_name": "Ejido San Pedro",
        "code": "SCS-FM/COC-004512",
        "license_code": "FSC-C012345",
        "scope": "FM/COC",
        "status": "valid",
        "issued_on": ISSUED,
        "expires_on": EXPIRES,
        "product_types": ["roundwood", "sawn_timber"],
        "is_group": False,
        "verification": "pending",
        "verified_at": None,
        "rejection_reason": "",
        "verified_by": None,
    }
    assert row["organization"] == producer.organization_id
    assert row["code"] == "SCS-FM/COC-004512"
    assert row["expires_on"] == dt.date.fromisoformat(EXPIRES)
    assert row["verification"] == "pending"


async def test_import_format_group_flag_is_accepted(client) -> None:
    producer = await make_user("producer")
    data = certificate_data()
    del data["is_group"]
    response = await client.post(
        "/api/v1/certificates", json={**data, "group": True}, headers=await api_token(producer)
    )
    assert response.status_code == 201
    row = await Certificate.select(Certificate.is_group).where(Certificate.ref == response.json()["ref"]).first()
    assert row["is_group"] is True


async def test_malformed_code_is_refused_with_field_error(client) -> None:
    producer = await make_user("producer")
    response = await client.post(
        "/api/v1/certificates", json=certificate_data(code="ABC123"), headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert response.json() == {
        "status_code": 400,
        "detail": "Some fields are not valid.",
        "errors": [{"field": "code", "message": "Use the certificate code as issued, e.g. SCS-FM/COC-004512."}],
    }
    assert await Certificate.count() == 0


async def test_expiry_before_issue_is_refused(client) -> None:
    producer = await make_user("producer")
    data = certificate_data(issued_on="2026-05-01", expires_on="2025-05-01")
    response = await client.post("/api/v1/certificates", json=data, headers=await api_token(producer))
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "expires_on", "message": "The end date must be on or after the start date."}
    ]


async def test_unknown_product_type_is_refused(client) -> None:
    producer = await make_user("producer")
    response = await client.post(
        "/api/v1/certificates", json=certificate_data(product_types=["rubber_boots"]), headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["product_types"]


async def test_unknown_json_field_is_refused(client) -> None:
    producer = await make_user("producer")
    response = await client.post(
        "/api/v1/certificates",
        json={**certificate_data(), "verification": "verified"},
        headers=await api_token(producer),
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "verification", "message": "Object contains unknown field `verification`"}
    ]
    assert await Certificate.count() == 0


async def test_list_shows_own_organisation_only(client) -> None:
    producer = await make_user("producer")
    other = await make_user("producer")
    mine = await make_certificate(producer)
    await make_certificate(other)
    response = await client.get("/api/v1/certificates", headers=await api_token(producer))
    assert response.status_code == 200
    body = response.json()
    assert [c["ref"] for c in body["items"]] == [mine["ref"]]
    assert (body["page"], body["per_page"], body["total"]) == (1, 20, 1)


async def test_buyer_lists_no_certificates(client) -> None:
    producer = await make_user("producer")
    await make_certificate(producer)
    buyer = await make_user("buyer")
    response = await client.get("/api/v1/certificates", headers=await api_token(buyer))
    assert response.status_code == 200
    assert response.json() == {"items": [], "page": 1, "per_page": 20, "total": 0}


async def test_staff_list_all_and_filter(client) -> None:
    staff = await make_user("staff")
    first = await make_user("producer")
    second = await make_user("producer")
    a = await make_certificate(first, expires_on=(today() + dt.timedelta(days=100)).isoformat())
    b = await make_certificate(second, expires_on=(today() + dt.timedelta(days=200)).isoformat())
    c = await make_certificate(second, expires_on=(today() + dt.timedelta(days=300)).isoformat())
    await Certificate.update({Certificate.verification: "verified"}).where(Certificate.ref == c["ref"])
    headers = await api_token(staff)

    everything = await client.get("/api/v1/certificates", headers=headers)
    assert [x["ref"] for x in everything.json()["items"]] == [a["ref"], b["ref"], c["ref"]]

    by_org = await client.get("/api/v1/certificates", params={"organization": second.organization_ref}, headers=headers)
    assert [x["ref"] for x in by_org.json()["items"]] == [b["ref"], c["ref"]]

    pending = await client.get("/api/v1/certificates", params={"verification": "pending"}, headers=headers)
    assert [x["ref"] for x in pending.json()["items"]] == [a["ref"], b["ref"]]
    assert pending.json()["total"] == 2


async def test_unknown_verification_filter_is_refused(client) -> None:
    staff = await make_user("staff")
    response = await client.get(
        "/api/v1/certificates", params={"verification": "bogus"}, headers=await api_token(staff)
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"field": "verification", "message": "Unknown value 'bogus'. Choose one of: pending, verified, rejected."}
    ]


async def test_read_own_other_and_staff(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    own = await client.get(f"/api/v1/certificates/{cert['ref']}", headers=await api_token(producer))
    assert own.status_code == 200
    assert own.json()["code"] == cert["code"]

    stranger = await make_user("producer")
    hidden = await client.get(f"/api/v1/certificates/{cert['ref']}", headers=await api_token(stranger))
    assert hidden.status_code == 404
    assert hidden.json() == {"status_code": 404, "detail": "Not found."}

    staff = await make_user("staff")
    seen = await client.get(f"/api/v1/certificates/{cert['ref']}", headers=await api_token(staff))
    assert seen.status_code == 200
    assert seen.json()["ref"] == cert["ref"]

    unknown = await client.get("/api/v1/certificates/cert-nope", headers=await api_token(staff))
    assert unknown.status_code == 404


async def test_update_sends_certificate_back_to_verification(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await Certificate.update({Certificate.verification: "verified"}).where(Certificate.ref == cert["ref"])
    data = certificate_data(code=cert["code"], product_types=["roundwood"], scope="FM")
    response = await client.put(f"/api/v1/certificates/{cert['ref']}", json=data, headers=await api_token(producer))
    assert response.status_code == 200
    assert response.json()["product_types"] == ["roundwood"]
    row = await Certificate.select().where(Certificate.ref == cert["ref"]).output(load_json=True).first()
    assert (row["scope"], row["product_types"], row["verification"]) == ("FM", ["roundwood"], "pending")


async def test_invalid_update_changes_nothing(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    response = await client.put(
        f"/api/v1/certificates/{cert['ref']}", json=certificate_data(scope="XX"), headers=await api_token(producer)
    )
    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["scope"]
    row = await Certificate.select(Certificate.code, Certificate.scope).where(Certificate.ref == cert["ref"]).first()
    assert row == {"code": cert["code"], "scope": "FM/COC"}


async def test_staff_verifies_certificate(client) -> None:
    producer = await make_user("producer")
    staff = await make_user("staff", email="checker@example.org")
    cert = await make_certificate(producer)
    response = await client.post(
        f"/api/v1/certificates/{cert['ref']}/verification",
        json={"decision": "verified"},
        headers=await api_token(staff),
    )
    assert response.status_code == 200
    assert response.json()["verification"] == "verified"
    assert response.json()["verified_by"] == "checker@example.org"
    row = await Certificate.select().where(Certificate.ref == cert["ref"]).first()
    assert (row["verification"], row["verified_by"]) == ("verified", staff.id)
    assert row["verified_at"] is not None

    owner_view = await client.get(f"/api/v1/certificates/{cert['ref']}", headers=await api_token(producer))
    assert owner_view.json()["verified_by"] is None


async def test_staff_rejects_with_reason(client) -> None:
    producer = await make_user("producer")
    staff = await make_user("staff")
    cert = await make_certificate(producer)
    headers = await api_token(staff)
    url = f"/api/v1/certificates/{cert['ref']}/verification"

    no_reason = await client.post(url, json={"decision": "rejected"}, headers=headers)
    assert no_reason.status_code == 400
    assert no_reason.json()["errors"] == [{"field": "reason", "message": "This field is required."}]

    bad = await client.post(url, json={"decision": "maybe"}, headers=headers)
    assert bad.status_code == 400
    assert bad.json()["errors"] == [
        {"field": "decision", "message": "Unknown value 'maybe'. Choose one of: verified, rejected."}
    ]
    missing = await client.post(url, json={}, headers=headers)
    assert missing.status_code == 400
    assert missing.json()["errors"] == [{"field": "decision", "message": "Choose a value."}]
    row = await Certificate.select(Certificate.verification).where(Certificate.ref == cert["ref"]).first()
    assert row["verification"] == "pending"

    rejected = await client.post(
        url, json={"decision": "rejected", "reason": "Not in the FSC database."}, headers=headers
    )
    assert rejected.status_code == 200
    row = await Certificate.select().where(Certificate.ref == cert["ref"]).first()
    assert (row["verification"], row["rejection_reason"]) == ("rejected", "Not in the FSC database.")


async def test_verification_of_unknown_certificate_is_404(client) -> None:
    staff = await make_user("staff")
    response = await client.post(
        "/api/v1/certificates/cert-nope/verification", json={"decision": "verified"}, headers=await api_token(staff)
    )
    assert response.status_code == 404
