"""Each alert is about the change that caused it, sent once: recomputing matches for other reasons tells nobody,
re-indexing unchanged offers does not re-announce them to saved searches, and opening a conversation clears its
message notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.accounts.services import update_organization
from app.certificates import services as certificates
from app.demo.activity_db import compute_recommendations
from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.tables import Match
from app.messaging import services as messaging
from app.notifications.certificate_alerts import certificate_alerts
from app.notifications.services import save_search
from app.notifications.tables import Notification
from app.offers import services as offers
from app.offers.tables import Offer
from app.sourcing import services as sourcing
from app.sourcing.tables import SourcingRequest
from app.worker import after_pass, get_backend
from tests.clock import today
from tests.factories import (
    api_token,
    certificate_data,
    make_certificate,
    make_offer,
    make_request,
    make_user,
    offer_data,
    post_form,
    request_data,
    sign_in,
)
from tests.notify_helpers import all_notes, delivered, notes

# The badge answer when nothing is unread: only the empty out-of-band copy for the phone menu button.
NO_UNREAD_BADGE = '<span id="menu-badge" hx-swap-oob="innerHTML"></span>'


@pytest.fixture(name="backend")
async def fx_backend(clean_db: str) -> Any:
    """The app's own search backend (the request page reads it), in step with the database."""
    backend = get_backend()
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    return backend


async def _worker_pass(backend: Any) -> None:
    """Exactly what the background worker does: apply the search outbox, then recompute stale matches and run the
    alert steps."""
    await drain(backend)
    await after_pass(backend)


async def _backdate(table: Any, ids: list[int], days: int) -> None:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    await table.update({table.created_at: moment, table.updated_at: moment}).where(table.id.is_in(ids))


async def test_a_buyer_posting_a_latex_request_tells_nobody_about_old_pairs(client, backend) -> None:
    """The issue's scenario. Buyer A has two timber requests from months ago; offers posted after them matched them
    long ago (as in the demo, recommendations loaded without alerts). A looks at its requests (the matches are
    recomputed), then buyer B posts a latex request: A and B hear nothing about A's old pairs. A new offer that
    fits A's request is told to A exactly once; B's new request is told to the latex producer it fits."""
    buyer_a = await make_user("buyer", org_name="Muebles Jalisco")
    sawn = await make_request(buyer_a, title="Pino aserrado para Guadalajara")
    logs = await make_request(buyer_a, title="Trozas de pino", product_types=["roundwood"])
    sawmills = [await make_user("producer", org_name=f"Ejido {n}") for n in ("San Pedro", "El Largo", "La Victoria")]
    old_offers = []
    for producer, product_type in zip(sawmills, ("sawn_timber", "sawn_timber", "roundwood"), strict=True):
        cert = await make_certificate(producer)
        old_offers.append(await make_offer(producer, cert["ref"], product_type=product_type))
    rubber = await make_user("producer", org_name="Seringueiros do Acre", country="BR")
    rubber_cert = await make_certificate(rubber, product_types=["field_latex"])
    latex_offer = await make_offer(
        rubber,
        rubber_cert["ref"],
        category="latex",
        product_type="field_latex",
        species=["Hevea brasiliensis"],
        title="Látex de campo",
        quantity="8000",
        unit="kg_drc",
        min_order="",
        price_currency="BRL",
        price_amount="9.50",
    )
    await drain(backend)
    await _backdate(SourcingRequest, [sawn["id"], logs["id"]], 150)
    await _backdate(Offer, [o["id"] for o in (*old_offers, latex_offer)], 90)
    await compute_recommendations(backend)  # the demo's way: the past's recommendations, no alerts
    assert await Match.count().where(Match.status == "recommended") == 3
    await Notification.delete(force=True)  # whatever an older version told, the rows start empty

    await sign_in(client, buyer_a)
    for ref in (sawn["ref"], logs["ref"]):
        assert (await client.get(f"/requests/{ref}")).status_code == 200  # recomputes A's matches
    buyer_b = await make_user("buyer", org_name="Reifenwerk Hamburg", country="DE")
    posted = await client.post(
        "/api/v1/requests",
        json=request_data(
            category="latex",
            title="Látex para Hamburgo",
            product_types=["field_latex"],
            species=[],
            accepted_claims=["FSC 100%"],
            quantity="5000",
            unit="kg_drc",
            min_per_supplier="",
            delivery_country="BR",
            delivery_region="",
            delivery_place="Rio Branco",
            delivery_lat="-9.97",
            delivery_lon="-67.81",
            max_distance_km="",
        ),
        headers=await api_token(buyer_b),
    )
    assert posted.status_code == 201, posted.text
    b_request = (
        await SourcingRequest.select(SourcingRequest.id).where(SourcingRequest.ref == posted.json()["ref"]).first()
    )
    await _worker_pass(backend)
    await _worker_pass(backend)

    assert await notes(buyer_a) == [] and await notes(buyer_b) == []
    assert [p for s in sawmills for p in await notes(s)] == []
    # B's request is new: the latex producer it fits is told once.
    told = await notes(rubber)
    assert [(n["kind"], n["params"]["request"], n["params"]["offer"]) for n in told] == [
        ("request_fit", "Látex para Hamburgo", "Látex de campo")
    ]

    newcomer = await make_user("producer", org_name="Comunidad Nuevo Durango")
    new_offer = await make_offer(newcomer, (await make_certificate(newcomer))["ref"], title="Tablas nuevas")
    await _worker_pass(backend)
    await _worker_pass(backend)
    got = await all_notes()
    assert got == sorted(
        [
            (rubber.id, "request_fit", f"{rubber.id}:request-fit:{b_request['id']}"),
            (buyer_a.id, "offer_match", f"{buyer_a.id}:offer-match:{sawn['id']}:{new_offer['id']}"),
        ]
    )
    assert (await notes(buyer_a))[0]["params"]["offer"] == "Tablas nuevas"
    # A views its requests again: nothing. Another new request tells only the producers it fits, once each.
    before = set(await all_notes())
    for ref in (sawn["ref"], logs["ref"]):
        await client.get(f"/requests/{ref}")
    another = await make_request(buyer_b, title="Otro pedido de pino")
    await _worker_pass(backend)
    await _worker_pass(backend)
    new = sorted(set(await all_notes()) - before)
    key = f"request-fit:{another['id']}"
    assert new == sorted((p.id, "request_fit", f"{p.id}:{key}") for p in (sawmills[0], sawmills[1], newcomer))
    assert len(await notes(buyer_a)) == 1 and await notes(buyer_b) == []


async def test_a_changed_offer_that_now_fits_tells_the_buyer_once(backend) -> None:
    buyer = await make_user("buyer")
    await make_request(buyer, min_per_supplier="100")
    await _worker_pass(backend)
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    small = await make_offer(producer, cert["ref"], quantity="60", min_order="10")
    await _worker_pass(backend)
    assert await Match.count() == 0 and await all_notes() == []
    # The producer finds more wood: the offer now fits.
    await offers.update_offer(producer, small["ref"], offer_data(cert["ref"], quantity="150", min_order="10"))
    await _worker_pass(backend)
    assert [(n["kind"], n["params"]["offer"]) for n in await notes(buyer)] == [("offer_match", small["title"])]
    # Paused (the match is withdrawn) and active again: the pair matched before, so nobody is told twice.
    await offers.set_offer_status(producer, small["ref"], "paused")
    await _worker_pass(backend)
    assert await Match.count().where(Match.status == "withdrawn") == 1
    await offers.set_offer_status(producer, small["ref"], "active")
    await _worker_pass(backend)
    assert await Match.count().where(Match.status == "recommended") == 1
    assert len(await all_notes()) == 1
    assert await notes(producer) == []


async def test_an_edited_request_tells_only_the_producers_it_newly_fits(backend) -> None:
    sawmill = await make_user("producer")
    await make_offer(sawmill, (await make_certificate(sawmill))["ref"], product_type="sawn_timber")
    logger = await make_user("producer")
    await make_offer(logger, (await make_certificate(logger))["ref"], product_type="roundwood", title="Trozas")
    await _worker_pass(backend)
    buyer = await make_user("buyer")
    wanted = await make_request(buyer)
    await _worker_pass(backend)
    key = f"request-fit:{wanted['id']}"
    assert await all_notes() == [(sawmill.id, "request_fit", f"{sawmill.id}:{key}")]
    await sourcing.update_request(buyer, wanted["ref"], request_data(product_types=["sawn_timber", "roundwood"]))
    await _worker_pass(backend)
    assert await all_notes() == sorted(
        [(sawmill.id, "request_fit", f"{sawmill.id}:{key}"), (logger.id, "request_fit", f"{logger.id}:{key}")]
    )
    assert (await notes(logger))[0]["params"]["offer"] == "Trozas"
    assert await notes(buyer) == []


async def test_saved_searches_are_told_about_new_or_changed_offers_only(backend) -> None:
    """Re-indexing an offer because its certificate or organisation changed does not make it new to a search saved
    after it was posted (the same holds for an import or a rebuild, which re-index through the same queue)."""
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"])
    await _worker_pass(backend)
    buyer = await make_user("buyer")
    await save_search(buyer, {"query": "category=timber", "name": "Madera"})
    await certificates.update_certificate(producer, cert["ref"], certificate_data(code=cert["code"], license_code=""))
    await update_organization(producer, producer.organization_id, {"name": "Ejido Renombrado", "country": "MX"})
    await _worker_pass(backend)
    assert await all_notes() == []
    await offers.update_offer(producer, offer["ref"], offer_data(cert["ref"], price_amount="330.00"))
    await _worker_pass(backend)
    assert [(n["kind"], n["params"]["offer"]) for n in await notes(buyer)] == [("saved_search", offer["title"])]
    await offers.update_offer(producer, offer["ref"], offer_data(cert["ref"], price_amount="320.00"))
    await _worker_pass(backend)
    assert len(await all_notes()) == 1


async def test_certificate_warnings_are_not_repeated_by_edits_or_daily_checks(clean_db) -> None:
    producer = await make_user("producer")
    staff = await make_user("staff")
    expires = today() + dt.timedelta(days=40)
    cert = await make_certificate(producer, expires_on=expires.isoformat())
    assert await certificate_alerts(today()) == 2
    # An edit that keeps the expiry date (a licence code fixed), staff verification, the next days' checks.
    await certificates.update_certificate(
        producer, cert["ref"], certificate_data(code=cert["code"], expires_on=expires.isoformat())
    )
    await certificates.verify_certificate(staff, cert["ref"], approve=True)
    for day in range(1, 10):  # the 30-day mark is ten days away
        assert await certificate_alerts(today() + dt.timedelta(days=day)) == 0
    assert [n["params"]["days"] for n in await notes(producer)] == [40]
    assert [n["params"]["days"] for n in await notes(staff)] == [40]
    assert await certificate_alerts(today() + dt.timedelta(days=10)) == 2  # 30 days left: the second warning
    assert [n["params"]["days"] for n in await notes(producer)] == [40, 30]


async def test_opening_a_conversation_marks_its_message_notifications_read(client) -> None:
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="Tablas A")
    second = await make_offer(producer, cert["ref"], title="Tablas B")
    buyer = await make_user("buyer")
    one = await messaging.start_conversation(buyer, first["ref"], message="¿Precio?")
    await messaging.send_message(buyer, one, "¿Y el volumen?")
    other = await messaging.start_conversation(buyer, second["ref"], message="Hola")
    deal = await messaging.record_deal(
        buyer,
        one,
        {"quantity": "10", "unit": "m3", "unit_price": "350", "currency": "USD", "date": today().isoformat()},
    )
    await delivered()
    await sign_in(client, producer)
    badge = await client.get("/notifications/badge")
    assert '<span class="badge badge--count" data-testid="notification-badge-count">4</span>' in badge.text

    page = await client.get(f"/conversations/{one}")
    assert page.status_code == 200
    unread = {
        (n["kind"], n["link"])
        for n in await Notification.select(Notification.kind, Notification.link).where(
            (Notification.recipient == producer.id) & Notification.read_at.is_null()
        )
    }
    # The two messages of this thread are read; the other thread's message and the deal to confirm are not.
    assert unread == {("message", f"/conversations/{other}#latest"), ("deal_recorded", f"/conversations/{one}#events")}
    badge = await client.get("/notifications/badge")
    assert '<span class="badge badge--count" data-testid="notification-badge-count">2</span>' in badge.text
    # Confirming the deal reads its "please confirm" notification.
    confirmed = await post_form(client, f"/conversations/{one}/events/{deal}/confirm", {})
    assert confirmed.status_code == 303
    await delivered()  # the buyer is told of the confirmation
    assert 'data-testid="notification-badge-count">1</span>' in (await client.get("/notifications/badge")).text
    # The API's thread read is an opening too.
    api = await client.get(f"/api/v1/conversations/{other}", headers=await api_token(producer))
    assert api.status_code == 200
    assert (await client.get("/notifications/badge")).text == NO_UNREAD_BADGE
    # Only the reader's own notifications are marked: the buyer's "deal confirmed" stays unread after staff (who
    # mark nothing) and the producer read the thread, until the buyer opens it.
    buyer_unread = (Notification.recipient == buyer.id) & Notification.read_at.is_null()
    assert [n["kind"] for n in await Notification.select(Notification.kind).where(buyer_unread)] == ["deal_confirmed"]
    await sign_in(client, await make_user("staff"))
    assert (await client.get(f"/conversations/{one}")).status_code == 200
    assert await Notification.count().where(buyer_unread) == 1
    await sign_in(client, buyer)
    assert (await client.get(f"/conversations/{one}")).status_code == 200
    assert await Notification.count().where(buyer_unread) == 0
