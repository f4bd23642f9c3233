"""The buyer's sourcing request pages: create, edit, close / re-open, and who may see what."""

from __future__ import annotations

import datetime as dt

import pytest
from markupsafe import escape

from app.sourcing.tables import SourcingRequest
from tests.clock import today
from tests.factories import make_request, make_user, post_form, sign_in


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


def form_data(**overrides: object) -> dict[str, object]:
    """What a browser posts for the request form (checkbox groups as repeated fields, partial_ok left unticked)."""
    data: dict[str, object] = {
        "title": "Pine boards for Guadalajara",
        "category": "timber",
        "product_types": ["sawn_timber", "panels"],
        "species": "Pinus, caoba",
        "accepted_claims": ["FSC 100%", "FSC Mix"],
        "quantity": "4237.76",
        "unit": "bf",
        "drc_percent": "",
        "min_per_supplier": "423.776",
        "delivery_place": "Guadalajara",
        "delivery_country": "MX",
        "delivery_region": "MX-JAL",
        "delivery_lat": "20.67",
        "delivery_lon": "-103.35",
        "max_distance_km": "1500",
        "needed_from": (today() + dt.timedelta(days=30)).isoformat(),
        "needed_by": (today() + dt.timedelta(days=120)).isoformat(),
        "target_price_amount": "350.00",
        "target_price_currency": "USD",
        "description": "Kiln dried, 2&Btr.",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


async def count_requests() -> int:
    return await SourcingRequest.count()


async def test_buyer_creates_request_through_the_form(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    assert (await client.get("/my/requests/new")).status_code == 200
    response = await post_form(client, "/my/requests/new", form_data())
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/requests/req-")
    assert location.endswith("?saved=1")
    ref = location.removeprefix("/requests/").removesuffix("?saved=1")
    row = await SourcingRequest.select().where(SourcingRequest.ref == ref).output(load_json=True).first()
    assert row["organization"] == buyer.organization_id
    assert row["product_types"] == ["sawn_timber", "panels"]
    assert row["accepted_claims"] == ["FSC 100%", "FSC Mix"]
    assert row["species"] == ["Pinus", "caoba"]
    assert row["quantity_canonical"] == pytest.approx(10.0)
    assert row["min_per_supplier_canonical"] == pytest.approx(1.0)
    assert row["partial_ok"] is False
    assert row["status"] == "open"
    assert row["needed_by"] == today() + dt.timedelta(days=120)
    detail = await client.get(location)
    assert detail.status_code == 200
    assert "The request was saved." in detail.text
    assert "Pine boards for Guadalajara" in detail.text


async def test_ticked_partial_ok_is_stored(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(client, "/my/requests/new", form_data(partial_ok="1"))
    assert response.status_code == 303
    row = await SourcingRequest.select(SourcingRequest.partial_ok).first()
    assert row["partial_ok"] is True


async def test_reversed_dates_are_refused_inline(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(
        client,
        "/my/requests/new",
        form_data(
            needed_from=(today() + dt.timedelta(days=90)).isoformat(),
            needed_by=(today() + dt.timedelta(days=10)).isoformat(),
        ),
    )
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-needed_by-error" aria-live="polite">'
        "The end date must be on or after the start date.</p>" in response.text
    )
    assert 'value="Pine boards for Guadalajara"' in response.text  # values kept
    assert 'data-testid="field-product_types-sawn_timber" checked>' in response.text
    assert 'data-testid="field-product_types-panels" checked>' in response.text
    assert 'data-testid="field-product_types-roundwood">' in response.text
    assert await count_requests() == 0


async def test_latitude_out_of_range_is_refused(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(client, "/my/requests/new", form_data(delivery_lat="95"))
    assert response.status_code == 422
    assert (
        '<p class="field-error" id="f-delivery_lat-error" aria-live="polite">'
        "Enter a number of at most 90.</p>" in response.text
    )
    assert await count_requests() == 0


async def test_unknown_claim_is_refused(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(client, "/my/requests/new", form_data(accepted_claims=["FSC 100%", "FSC 200%"]))
    assert response.status_code == 422
    assert str(escape("Unknown value 'FSC 200%'.")) in response.text
    assert await count_requests() == 0


async def test_product_type_of_the_other_category_is_refused(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    response = await post_form(client, "/my/requests/new", form_data(product_types=["sawn_timber", "rss"]))
    assert response.status_code == 422
    assert 'id="f-product_types-error"' in response.text
    assert await count_requests() == 0


async def test_producer_cannot_open_the_request_form(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    assert (await client.get("/my/requests/new")).status_code == 403
    assert (await post_form(client, "/my/requests/new", form_data())).status_code == 403
    assert await count_requests() == 0


async def test_anonymous_visitor_is_sent_to_sign_in(client) -> None:
    response = await client.get("/my/requests")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/my/requests"


async def test_other_buyer_cannot_see_or_edit_a_request(client) -> None:
    owner = await make_user("buyer")
    req = await make_request(owner, title="Mahogany for Hamburg")
    other = await make_user("buyer")
    await sign_in(client, other)
    assert (await client.get(f"/requests/{req['ref']}")).status_code == 404
    assert (await client.get(f"/my/requests/{req['ref']}/edit")).status_code == 404
    edit = await post_form(client, f"/my/requests/{req['ref']}/edit", form_data(title="Hijacked"))
    assert edit.status_code == 404
    close = await post_form(client, f"/my/requests/{req['ref']}/status", {"status": "closed"})
    assert close.status_code == 404
    row = await SourcingRequest.select(SourcingRequest.title, SourcingRequest.status).first()
    assert row == {"title": "Mahogany for Hamburg", "status": "open"}
    assert "Mahogany for Hamburg" not in (await client.get("/my/requests")).text


async def test_staff_can_see_a_request_but_a_producer_cannot(client) -> None:
    owner = await make_user("buyer")
    req = await make_request(owner, title="Mahogany for Hamburg")
    staff = await make_user("staff")
    await sign_in(client, staff)
    detail = await client.get(f"/requests/{req['ref']}")
    assert detail.status_code == 200
    assert "Mahogany for Hamburg" in detail.text
    assert 'data-testid="edit-request"' not in detail.text
    producer = await make_user("producer")
    await sign_in(client, producer)
    assert (await client.get(f"/requests/{req['ref']}")).status_code == 404


async def test_owner_edits_a_request_and_keeps_its_status(client) -> None:
    buyer = await make_user("buyer")
    req = await make_request(buyer)
    await sign_in(client, buyer)
    await post_form(client, f"/my/requests/{req['ref']}/status", {"status": "closed"})
    page = await client.get(f"/my/requests/{req['ref']}/edit")
    assert page.status_code == 200
    assert 'value="300"' in page.text  # Decimal 300.000 shown as typed
    assert 'value="Pinus"' in page.text
    response = await post_form(
        client,
        f"/my/requests/{req['ref']}/edit",
        form_data(quantity="50", unit="m3", min_per_supplier="10", partial_ok="1"),
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/requests/{req['ref']}?saved=1"
    row = await SourcingRequest.select().where(SourcingRequest.ref == req["ref"]).output(load_json=True).first()
    assert row["quantity_canonical"] == pytest.approx(50.0)
    assert row["partial_ok"] is True
    assert row["status"] == "closed"


async def test_owner_closes_and_reopens_a_request(client) -> None:
    buyer = await make_user("buyer")
    req = await make_request(buyer)
    await sign_in(client, buyer)
    listing = await client.get("/my/requests")
    assert f'data-testid="close-request-{req["ref"]}"' in listing.text
    closed = await post_form(client, f"/my/requests/{req['ref']}/status", {"status": "closed", "next": "/my/requests"})
    assert closed.status_code == 303
    assert closed.headers["location"] == "/my/requests"
    assert (await SourcingRequest.select(SourcingRequest.status).first())["status"] == "closed"
    reopened = await post_form(client, f"/my/requests/{req['ref']}/status", {"status": "open"})
    assert reopened.status_code == 303
    assert reopened.headers["location"] == f"/requests/{req['ref']}"
    assert (await SourcingRequest.select(SourcingRequest.status).first())["status"] == "open"


async def test_empty_list_says_what_to_do(client) -> None:
    buyer = await make_user("buyer")
    await sign_in(client, buyer)
    page = await client.get("/my/requests")
    assert page.status_code == 200
    assert "You have not posted a sourcing request yet." in page.text
