"""The signed-in dashboard: producer offers and certificate expiry, buyer open requests, staff redirect."""

from __future__ import annotations

import datetime as dt

import pytest

from app.offers import services as offers
from app.sourcing import services as sourcing
from tests.clock import today
from tests.factories import make_certificate, make_offer, make_request, make_user, sign_in


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


async def test_producer_sees_expiring_certificate_warning(client) -> None:
    producer = await make_user("producer")
    expiring = await make_certificate(
        producer, code="SCS-FM/COC-004512", expires_on=(today() + dt.timedelta(days=20)).isoformat()
    )
    await make_certificate(producer, code="NC-COC-012345", expires_on=(today() + dt.timedelta(days=400)).isoformat())
    await sign_in(client, producer)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert page.text.count('data-testid="expiry-warning"') == 1
    assert "Certificate SCS-FM/COC-004512 expires on" in page.text
    assert "in 20 days." in page.text
    assert f'data-testid="certificate-{expiring["ref"]}"' in page.text
    assert "NC-COC-012345" in page.text


async def test_producer_without_expiring_certificates_gets_no_warning(client) -> None:
    producer = await make_user("producer")
    await make_certificate(producer, expires_on=(today() + dt.timedelta(days=400)).isoformat())
    await sign_in(client, producer)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert 'data-testid="expiry-warning"' not in page.text


async def test_producer_sees_offer_counts_by_status(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    await make_offer(producer, cert["ref"], title="Pine logs", product_type="roundwood")
    paused = await make_offer(producer, cert["ref"], title="Oak boards")
    await offers.set_offer_status(producer, paused["ref"], "paused")
    await sign_in(client, producer)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert '<li data-testid="offer-count-active"><span class="badge badge--valid">Active: 2</span></li>' in page.text
    assert '<li data-testid="offer-count-paused"><span class="badge badge--muted">Paused: 1</span></li>' in page.text
    assert '<li data-testid="offer-count-closed"><span class="badge badge--muted">Closed: 0</span></li>' in page.text


async def test_new_producer_is_told_what_to_do(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    page = await client.get("/dashboard")
    assert "You have no offers yet." in page.text
    assert "No certificate registered yet." in page.text


async def test_buyer_sees_open_requests_only(client) -> None:
    buyer = await make_user("buyer")
    await make_request(buyer, title="Pine boards for Guadalajara")
    closed = await make_request(buyer, title="Cedar for Mérida")
    await sourcing.set_request_status(buyer, closed["ref"], "closed")
    await sign_in(client, buyer)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert "Pine boards for Guadalajara" in page.text
    assert "Cedar for Mérida" not in page.text
    assert "1 closed request" in page.text


async def test_staff_are_sent_to_the_verification_queue(client) -> None:
    staff = await make_user("staff")
    await sign_in(client, staff)
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/staff/certificates"


async def test_anonymous_visitor_is_sent_to_sign_in(client) -> None:
    response = await client.get("/dashboard")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/dashboard"


async def test_producer_dashboard_lists_requests_that_fit(client) -> None:
    from tests.factories import make_certificate, make_offer, make_request, make_user, sign_in

    producer = await make_user("producer")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"], title="Pine boards that fit")
    buyer = await make_user("buyer")
    fitting = await make_request(buyer, title="Boards for a Guadalajara workshop")
    await make_request(
        buyer,
        title="Latex wanted",
        category="latex",
        product_types=["field_latex"],
        unit="kg_drc",
        quantity="1000",
        min_per_supplier="",
    )
    await sign_in(client, producer)
    response = await client.get("/dashboard")
    assert response.status_code == 200
    import re

    refs = re.findall(r'data-testid="fitting-request" data-ref="([^"]+)"', response.text)
    assert refs == [fitting["ref"]]
    assert "Boards for a Guadalajara workshop" in response.text


async def test_buyer_dashboard_shows_unseen_matches_waiting_threads_and_saved_searches(client) -> None:
    from app.matching.services import compute_matches
    from app.messaging import services as messaging
    from app.messaging.viewing import record_viewed
    from app.notifications.services import save_search

    class _SearchDown:
        async def search(self, *args, **kwargs):
            raise RuntimeError("search engine down")  # matching falls back to SQL, deterministically

    producer = await make_user("producer", org_name="Ejido La Victoria")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="Tablas A")
    second = await make_offer(producer, cert["ref"], title="Tablas B")
    buyer = await make_user("buyer")
    wanted = await make_request(buyer)
    answer = await compute_matches(wanted["ref"], _SearchDown())
    assert {m.offer.ref for m in answer.matches} == {first["ref"], second["ref"]}
    await record_viewed(buyer, wanted["id"], [first["ref"]])
    waiting = await messaging.start_conversation(buyer, first["ref"], wanted["ref"], message="¿Precio?")
    await messaging.send_message(producer, waiting, "350 USD/m3")
    answered = await messaging.start_conversation(buyer, second["ref"], message="¿Fechas?")
    await save_search(buyer, {"query": "q=pino&category=timber", "name": "Pino"})

    await sign_in(client, buyer)
    page = await client.get("/dashboard")
    assert page.status_code == 200
    assert f'data-testid="unseen-{wanted["ref"]}"' in page.text
    assert "1 new recommendation<" in page.text
    assert f'data-testid="awaiting-{waiting}"' in page.text
    assert f'data-testid="awaiting-{answered}"' not in page.text  # the buyer wrote last there
    assert '<a href="/search?q=pino&amp;category=timber">Pino</a>' in page.text

    # The producer's side: the thread where the buyer wrote last waits for the producer.
    await client.post("/logout", headers={"x-csrftoken": client.cookies.get("fm_csrf")})
    await sign_in(client, producer)
    page = await client.get("/dashboard")
    assert f'data-testid="awaiting-{answered}"' in page.text
    assert f'data-testid="awaiting-{waiting}"' not in page.text


async def test_requests_without_a_title_are_named_by_what_they_ask_for(client) -> None:
    """The import format makes a request's title optional: pages name such a request by its products and volume
    in the reader's language, never "untitled"; one with a title keeps it."""
    buyer = await make_user("buyer")
    bare = await make_request(buyer, title="", product_types=["sawn_timber", "panels"], quantity="250")
    titled = await make_request(buyer, title="Tablas para taller")
    await sign_in(client, buyer)
    client.cookies.set("fm_lang", "es_MX")
    for path in ("/dashboard", "/my/requests"):
        page = await client.get(path)
        assert page.status_code == 200
        assert f'<a href="/requests/{bare["ref"]}">Madera aserrada y 1 más, 250 m³</a>' in page.text, path
        assert f'<a href="/requests/{titled["ref"]}">Tablas para taller</a>' in page.text, path
    detail = await client.get(f"/requests/{bare['ref']}")
    assert '<h1 id="request-title">Madera aserrada y 1 más, 250 m³</h1>' in detail.text
    assert "<title>Madera aserrada y 1 más, 250 m³" in detail.text
    client.cookies.set("fm_lang", "en")
    detail = await client.get(f"/requests/{bare['ref']}")
    assert '<h1 id="request-title">Sawn timber and 1 more, 250 m³</h1>' in detail.text
