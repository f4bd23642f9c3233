"""Staff pages: certificate verification queue, organisations and users (activation)."""

from __future__ import annotations

import pytest
from litestar.testing import AsyncTestClient

from app.accounts.tables import Organization, User
from app.certificates.tables import Certificate
from tests.factories import api_token, make_certificate, make_user, post_form, sign_in


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


async def verification_of(ref: str) -> dict[str, object]:
    return (
        await Certificate.select(
            Certificate.verification, Certificate.verified_by, Certificate.verified_at, Certificate.rejection_reason
        )
        .where(Certificate.ref == ref)
        .first()
    )


async def test_staff_verifies_a_certificate(client) -> None:
    producer = await make_user("producer", org_name="Ejido El Largo")
    cert = await make_certificate(producer, code="SCS-FM/COC-004512")
    staff = await make_user("staff")
    await sign_in(client, staff)
    queue = await client.get("/staff/certificates")
    assert queue.status_code == 200
    assert "SCS-FM/COC-004512" in queue.text
    assert "Ejido El Largo" in queue.text
    assert "https://search.fsc.org/" in queue.text
    response = await post_form(client, f"/staff/certificates/{cert['ref']}/verify", {"state": "pending"})
    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/certificates?state=pending&done=verified&cert={cert['ref']}"
    row = await verification_of(cert["ref"])
    assert row["verification"] == "verified"
    assert row["verified_by"] == staff.id
    assert row["verified_at"] is not None
    after = await client.get(response.headers["location"])
    assert "Certificate SCS-FM/COC-004512 is marked as verified." in after.text
    assert f'data-testid="cert-{cert["ref"]}"' not in after.text  # left the pending list
    verified_tab = await client.get("/staff/certificates?state=verified")
    assert f'data-testid="cert-{cert["ref"]}"' in verified_tab.text


async def test_reject_without_reason_is_refused(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, code="SCS-FM/COC-004512")
    staff = await make_user("staff")
    await sign_in(client, staff)
    response = await post_form(
        client, f"/staff/certificates/{cert['ref']}/reject", {"reason": "  ", "state": "pending"}
    )
    assert response.status_code == 422
    assert (
        "Certificate SCS-FM/COC-004512 was not rejected: give the reason, the producer needs it to fix the record."
        in response.text
    )
    assert f'<p class="field-error" id="reason-{cert["ref"]}-error">This field is required.</p>' in response.text
    row = await verification_of(cert["ref"])
    assert row == {"verification": "pending", "verified_by": None, "verified_at": None, "rejection_reason": ""}


async def test_reject_with_reason_is_recorded(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, code="SCS-FM/COC-004512")
    staff = await make_user("staff")
    await sign_in(client, staff)
    reason = "The FSC database lists this code as terminated."
    response = await post_form(client, f"/staff/certificates/{cert['ref']}/reject", {"reason": reason})
    assert response.status_code == 303
    row = await verification_of(cert["ref"])
    assert (row["verification"], row["verified_by"], row["rejection_reason"]) == ("rejected", staff.id, reason)
    rejected_tab = await client.get("/staff/certificates?state=rejected")
    assert reason in rejected_tab.text


async def test_producer_cannot_verify(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await sign_in(client, producer)
    response = await post_form(client, f"/staff/certificates/{cert['ref']}/verify", {})
    assert response.status_code == 403
    assert (await client.get("/staff/certificates")).status_code == 403
    row = await verification_of(cert["ref"])
    assert row == {"verification": "pending", "verified_by": None, "verified_at": None, "rejection_reason": ""}


async def test_unknown_certificate_is_not_found(client) -> None:
    staff = await make_user("staff")
    await sign_in(client, staff)
    assert (await post_form(client, "/staff/certificates/cert-nope/verify", {})).status_code == 404


async def test_organisations_table_is_paginated(client) -> None:
    staff = await make_user("staff")
    await Organization.insert(
        *[
            Organization(
                ref=f"coop-{i:02d}",
                name=f"Cooperativa {i:02d}",
                kind="producer",
                legal_form="cooperative",
                country="GT",
                region="GT-PE",
                languages=[],
            )
            for i in range(55)
        ]
    )
    await sign_in(client, staff)
    first = await client.get("/staff/organizations")
    assert first.status_code == 200
    assert "56 organisations" in first.text  # 55 + the program backbone
    assert "Cooperativa 00" in first.text
    assert 'data-testid="org-coop-54"' not in first.text
    assert "Page 1 of 2" in first.text
    second = await client.get("/staff/organizations?page=2")
    assert 'data-testid="org-coop-54"' in second.text
    assert "Cooperativa 00" not in second.text


async def test_users_table_shows_role_and_organisation(client) -> None:
    staff = await make_user("staff")
    buyer = await make_user("buyer", email="compras@example.org", org_name="Muebles Tapatíos")
    await sign_in(client, staff)
    page = await client.get("/staff/users")
    assert page.status_code == 200
    assert "compras@example.org" in page.text
    assert "Muebles Tapatíos" in page.text
    assert "Buyer member" in page.text
    assert f'data-testid="deactivate-{buyer.id}"' in page.text
    assert f'data-testid="deactivate-{staff.id}"' not in page.text


async def test_deactivated_user_loses_session_and_token_at_once(client, app) -> None:
    producer = await make_user("producer")
    headers = await api_token(producer)
    staff = await make_user("staff")
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as producer_client:
        producer_client.follow_redirects = False
        await sign_in(producer_client, producer)
        assert (await producer_client.get("/account")).status_code == 200
        assert (await producer_client.get("/api/v1/me", headers=headers)).status_code == 200

        await sign_in(client, staff)
        response = await post_form(client, f"/staff/users/{producer.id}/deactivate", {"page": "1"})
        assert response.status_code == 303
        assert response.headers["location"] == "/staff/users?page=1&done=deactivated"
        assert (await User.select(User.is_active).where(User.id == producer.id).first())["is_active"] is False

        locked = await producer_client.get("/account")
        assert locked.status_code == 303
        assert locked.headers["location"] == "/login?next=/account"
        assert (await producer_client.get("/api/v1/me", headers=headers)).status_code == 401

        again = await post_form(client, f"/staff/users/{producer.id}/activate", {"page": "1"})
        assert again.status_code == 303
        assert (await producer_client.get("/api/v1/me", headers=headers)).status_code == 200


async def test_staff_cannot_deactivate_themselves(client) -> None:
    staff = await make_user("staff")
    await sign_in(client, staff)
    response = await post_form(client, f"/staff/users/{staff.id}/deactivate", {"page": "1"})
    assert response.status_code == 422
    assert "You cannot deactivate your own account." in response.text
    assert (await User.select(User.is_active).where(User.id == staff.id).first())["is_active"] is True


async def test_buyer_cannot_deactivate_users(client) -> None:
    buyer = await make_user("buyer")
    other = await make_user("producer")
    await sign_in(client, buyer)
    assert (await post_form(client, f"/staff/users/{other.id}/deactivate", {})).status_code == 403
    assert (await client.get("/staff/users")).status_code == 403
    assert (await User.select(User.is_active).where(User.id == other.id).first())["is_active"] is True
