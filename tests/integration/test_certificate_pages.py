"""A producer's certificate pages: register, edit, expiry warnings, verification state, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape

from app.certificates import services as certificates
from app.certificates.tables import Certificate
from tests.clock import today
from tests.factories import make_certificate, make_user, post_form, sign_in


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


def form_data(**overrides: object) -> dict[str, object]:
    """What a browser posts for the certificate form (product types as a repeated field, is_group ticked)."""
    data: dict[str, object] = {
        "code": "SCS-FM/COC-004512",
        "license_code": "FSC-C012345",
        "scope": "FM/COC",
        "status": "valid",
        "issued_on": (today() - dt.timedelta(days=300)).isoformat(),
        "expires_on": (today() + dt.timedelta(days=900)).isoformat(),
        "product_types": ["roundwood", "sawn_timber", "tsr"],
        "is_group": "1",
    }
    data.update(overrides)
    return data


async def cert_rows(org_id: int) -> list[dict]:
    return await Certificate.select().where(Certificate.organization == org_id).output(load_json=True)


async def test_producer_registers_a_certificate_through_the_form(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    page = await client.get("/my/certificates/new")
    assert page.status_code == 200
    assert 'data-testid="product-type-tsr"' in page.text

    response = await post_form(client, "/my/certificates/new", form_data())

    assert response.status_code == 303
    assert response.headers["location"] == "/my/certificates"
    rows = await cert_rows(producer.organization_id)
    assert len(rows) == 1
    row = rows[0]
    assert (row["code"], row["scope"], row["status"], row["verification"]) == (
        "SCS-FM/COC-004512",
        "FM/COC",
        "valid",
        "pending",
    )
    assert row["product_types"] == ["roundwood", "sawn_timber", "tsr"]
    assert row["is_group"] is True
    assert row["expires_on"] == today() + dt.timedelta(days=900)

    listing = await client.get("/my/certificates")
    assert "SCS-FM/COC-004512" in listing.text
    assert "Awaiting verification" in listing.text


async def test_malformed_code_is_shown_inline_with_the_typed_value(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)

    response = await post_form(client, "/my/certificates/new", form_data(code="SCS 4512", license_code="C-12"))

    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-code-error" aria-live="polite">'
        "Use the certificate code as issued, e.g. SCS-FM/COC-004512.</p>" in response.text
    )
    assert (
        '<p class="field-error" id="f-license_code-error" aria-live="polite">'
        "Use the licence code format FSC-C012345.</p>" in response.text
    )
    assert 'value="SCS 4512"' in response.text
    assert 'value="tsr" checked' in response.text
    assert 'data-testid="errors-summary"' in response.text
    assert await cert_rows(producer.organization_id) == []


async def test_reversed_dates_are_refused(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    issued = (today() + dt.timedelta(days=10)).isoformat()
    expires = (today() - dt.timedelta(days=10)).isoformat()

    response = await post_form(client, "/my/certificates/new", form_data(issued_on=issued, expires_on=expires))

    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-expires_on-error" aria-live="polite">'
        "The end date must be on or after the start date.</p>" in response.text
    )
    assert f'value="{issued}"' in response.text
    assert f'value="{expires}"' in response.text
    assert await cert_rows(producer.organization_id) == []


async def test_product_types_are_required(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)

    data = form_data()
    del data["product_types"]
    response = await post_form(client, "/my/certificates/new", data)

    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-product_types-error" aria-live="polite">'
        "Choose at least one value.</p>" in response.text
    )
    assert 'value="SCS-FM/COC-004512"' in response.text


async def test_duplicate_code_is_refused(client) -> None:
    producer = await make_user("producer")
    await make_certificate(producer, code="SCS-FM/COC-004512")
    await sign_in(client, producer)

    response = await post_form(client, "/my/certificates/new", form_data())

    assert response.status_code == 422
    assert str(escape("Your organisation already registered this certificate.")) in response.text
    assert len(await cert_rows(producer.organization_id)) == 1


async def test_editing_the_status_sends_a_verified_certificate_back_to_the_queue(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, code="SCS-FM/COC-111111")
    staff = await make_user("staff")
    await certificates.verify_certificate(staff, cert["ref"], approve=True)
    await sign_in(client, producer)

    page = await client.get(f"/my/certificates/{cert['ref']}/edit")
    assert page.status_code == 200
    assert 'value="SCS-FM/COC-111111"' in page.text
    assert 'value="sawn_timber" checked' in page.text

    response = await post_form(
        client,
        f"/my/certificates/{cert['ref']}/edit",
        form_data(code="SCS-FM/COC-111111", status="suspended", is_group=""),
    )

    assert response.status_code == 303
    row = (await cert_rows(producer.organization_id))[0]
    assert (row["status"], row["verification"], row["is_group"]) == ("suspended", "pending", False)


async def test_invalid_edit_keeps_the_values(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer, code="SCS-FM/COC-222222")
    await sign_in(client, producer)

    response = await post_form(client, f"/my/certificates/{cert['ref']}/edit", form_data(code="wrong", status="gone"))

    assert response.status_code == 422
    assert 'value="wrong"' in response.text
    assert 'id="f-status-error" aria-live="polite">Unknown value' in response.text
    assert (await cert_rows(producer.organization_id))[0]["code"] == "SCS-FM/COC-222222"


async def test_another_producer_cannot_edit_the_certificate(client) -> None:
    owner = await make_user("producer")
    cert = await make_certificate(owner, code="SCS-FM/COC-333333")
    await sign_in(client, await make_user("producer"))

    page = await client.get(f"/my/certificates/{cert['ref']}/edit")
    assert page.status_code == 403
    assert 'data-testid="certificate-form"' not in page.text

    response = await post_form(client, f"/my/certificates/{cert['ref']}/edit", form_data(code="SCS-FM/COC-999999"))
    assert response.status_code == 403
    assert (await cert_rows(owner.organization_id))[0]["code"] == "SCS-FM/COC-333333"


async def test_buyer_cannot_register_certificates(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)

    assert (await client.get("/my/certificates")).status_code == 403
    response = await post_form(client, "/my/certificates/new", form_data())
    assert response.status_code == 403
    assert await cert_rows(buyer.organization_id) == []


async def test_anonymous_is_sent_to_sign_in(client) -> None:
    response = await client.get("/my/certificates/new")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my/certificates/new"


async def test_list_warns_before_expiry_and_shows_the_rejection_reason(client) -> None:
    producer = await make_user("producer")
    await make_certificate(producer, code="SCS-FM/COC-444444", expires_on=(today() + dt.timedelta(days=30)).isoformat())
    await make_certificate(producer, code="SCS-FM/COC-555555")
    rejected = await make_certificate(producer, code="NC-COC-666666")
    staff = await make_user("staff")
    await certificates.verify_certificate(
        staff, rejected["ref"], approve=False, reason="Code not found in the FSC database"
    )
    await sign_in(client, producer)

    response = await client.get("/my/certificates")

    assert response.status_code == 200
    assert "1 certificate expires within 60 days." in response.text
    assert response.text.count('data-testid="expires-soon"') == 1
    assert "Expires in 30 days" in response.text
    assert 'data-testid="rejection-reason">Reason: Code not found in the FSC database' in response.text
