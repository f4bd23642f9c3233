"""Who may call which /api/v1 operation: roles, owners, anonymous callers, and CSRF for browser sessions."""

from __future__ import annotations

from app.certificates.tables import Certificate
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from tests.factories import (
    PASSWORD,
    api_token,
    certificate_data,
    csrf_token,
    make_certificate,
    make_offer,
    make_user,
    offer_data,
    request_data,
)


async def sign_in(client, user) -> None:
    """Sign in through the real form and stop at its 303 (the test client would otherwise follow it)."""
    await client.get("/login")
    response = await client.post(
        "/login",
        data={"email": user.email, "password": PASSWORD, "_csrf_token": csrf_token(client)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


FORBIDDEN = {"status_code": 403, "detail": "Your account may not do this."}
UNAUTHORIZED = {"status_code": 401, "detail": "Sign in or send a valid API token."}


async def test_buyer_cannot_publish_offer(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    buyer = await make_user("buyer")
    response = await client.post("/api/v1/offers", json=offer_data(cert["ref"]), headers=await api_token(buyer))
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    assert await Offer.count() == 0


async def test_staff_cannot_publish_offer_or_register_certificate(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    staff = await make_user("staff")
    headers = await api_token(staff)
    assert (await client.post("/api/v1/offers", json=offer_data(cert["ref"]), headers=headers)).status_code == 403
    assert (await client.post("/api/v1/certificates", json=certificate_data(), headers=headers)).status_code == 403
    assert await Certificate.count() == 1


async def test_buyer_cannot_register_certificate(client) -> None:
    buyer = await make_user("buyer")
    response = await client.post("/api/v1/certificates", json=certificate_data(), headers=await api_token(buyer))
    assert response.status_code == 403
    assert await Certificate.count() == 0


async def test_producer_cannot_edit_another_producers_offer(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner)
    offer = await make_offer(owner, cert["ref"])
    intruder = await make_user("producer")
    own_cert = await make_certificate(intruder)
    data = offer_data(own_cert["ref"], title="Taken over", quantity="1")
    response = await client.put(f"/api/v1/offers/{offer['ref']}", json=data, headers=await api_token(intruder))
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    row = await Offer.select().where(Offer.ref == offer["ref"]).first()
    assert (row["title"], row["quantity_canonical"], row["organization"], row["certificate"]) == (
        "Kiln-dried pine boards",
        120.0,
        owner.organization_id,
        cert["id"],
    )

    status = await client.post(
        f"/api/v1/offers/{offer['ref']}/status", json={"status": "closed"}, headers=await api_token(intruder)
    )
    assert status.status_code == 403
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "active"


async def test_hidden_offer_of_another_producer_is_not_found(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner)
    offer = await make_offer(owner, cert["ref"], status="paused")
    intruder = await make_user("producer")
    response = await client.put(
        f"/api/v1/offers/{offer['ref']}", json=offer_data(cert["ref"]), headers=await api_token(intruder)
    )
    assert response.status_code == 404
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "paused"


async def test_producer_cannot_edit_another_organisations_certificate(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner)
    intruder = await make_user("producer")
    response = await client.put(
        f"/api/v1/certificates/{cert['ref']}",
        json=certificate_data(code="NC-COC-012345"),
        headers=await api_token(intruder),
    )
    assert response.status_code == 404
    assert (await Certificate.select(Certificate.code).where(Certificate.ref == cert["ref"]).first())["code"] == cert[
        "code"
    ]


async def test_producer_cannot_verify_certificates(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    response = await client.post(
        f"/api/v1/certificates/{cert['ref']}/verification",
        json={"decision": "verified"},
        headers=await api_token(producer),
    )
    assert response.status_code == 403
    assert response.json() == FORBIDDEN
    row = await Certificate.select(Certificate.verification).where(Certificate.ref == cert["ref"]).first()
    assert row["verification"] == "pending"


async def test_anonymous_writes_are_unauthorized(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await client.get("/")  # the CSRF cookie, so the request reaches authentication (a browser without a session)
    headers = {"x-csrftoken": csrf_token(client)}
    for url, body in (
        ("/api/v1/offers", offer_data(cert["ref"])),
        ("/api/v1/certificates", certificate_data()),
        ("/api/v1/requests", request_data()),
        (f"/api/v1/certificates/{cert['ref']}/verification", {"decision": "verified"}),
    ):
        response = await client.post(url, json=body, headers=headers)
        assert (url, response.status_code, response.json()) == (url, 401, UNAUTHORIZED)
    assert (await Offer.count(), await SourcingRequest.count()) == (0, 0)


async def test_anonymous_reads_of_private_lists_are_unauthorized(client) -> None:
    for url in ("/api/v1/certificates", "/api/v1/requests"):
        response = await client.get(url)
        assert (url, response.status_code, response.json()) == (url, 401, UNAUTHORIZED)


async def test_unknown_bearer_token_is_unauthorized(client) -> None:
    response = await client.post(
        "/api/v1/certificates", json=certificate_data(), headers={"Authorization": "Bearer fm_not-a-token"}
    )
    assert response.status_code == 401
    assert await Certificate.count() == 0


async def test_session_write_needs_csrf_header_but_bearer_does_not(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    data = certificate_data()

    no_header = await client.post("/api/v1/certificates", json=data)
    assert no_header.status_code == 403
    assert await Certificate.count() == 0

    with_header = await client.post("/api/v1/certificates", json=data, headers={"x-csrftoken": csrf_token(client)})
    assert with_header.status_code == 201
    assert await Certificate.count() == 1

    with_token = await client.post("/api/v1/certificates", json=certificate_data(), headers=await api_token(producer))
    assert with_token.status_code == 201
    rows = await Certificate.select(Certificate.organization).order_by(Certificate.id)
    assert [r["organization"] for r in rows] == [producer.organization_id, producer.organization_id]


async def test_bearer_skips_csrf_for_a_browser_with_a_session(client) -> None:
    """The same session-cookie POST that CSRF refuses goes through with a Bearer token (and acts as its user)."""
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)
    refused = await client.post("/api/v1/offers", json=offer_data(cert["ref"]))
    assert refused.status_code == 403
    assert await Offer.count() == 0
    accepted = await client.post("/api/v1/offers", json=offer_data(cert["ref"]), headers=await api_token(producer))
    assert accepted.status_code == 201
    row = await Offer.select(Offer.organization).where(Offer.ref == accepted.json()["ref"]).first()
    assert row["organization"] == producer.organization_id


async def test_bearer_token_acts_as_its_own_user_not_the_session(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    buyer = await make_user("buyer")
    response = await client.post("/api/v1/certificates", json=certificate_data(), headers=await api_token(buyer))
    assert response.status_code == 403
    assert await Certificate.count() == 0
