"""Who may read a sourcing request (page and API alike): its buyer and staff in full; a producer whose active offer
fits the open request, or who is in a conversation about it, without the buyer's private fields; nobody else."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from babel.dates import format_date

from app.indexing.documents import OFFERS_INDEX
from app.indexing.sync import drain
from app.matching.services import compute_matches
from app.matching.tables import Match
from app.messaging import services as messaging
from app.offers import services as offers
from app.offers.tables import Offer
from app.sourcing import services as sourcing
from app.worker import get_backend
from tests.clock import today
from tests.factories import api_token, make_certificate, make_offer, make_request, make_user, sign_in

PRIVATE_PRICE = "987.65"


class _SearchDown:
    """A search backend that cannot answer: matching falls back to SQL, deterministically."""

    async def search(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("search engine down")


async def _scene() -> dict[str, Any]:
    """A buyer's open request with a private target price; a producer whose offer fits it; one whose does not."""
    buyer = await make_user("buyer", org_name="Muebles Tapatíos")
    wanted = await make_request(
        buyer,
        title="Tablas de pino para taller",
        description="Secadas en horno, grado 2&Btr",
        target_price_amount=PRIVATE_PRICE,
        target_price_currency="USD",
    )
    fitting = await make_user("producer", org_name="Ejido San Pedro")
    fitting_offer = await make_offer(fitting, (await make_certificate(fitting))["ref"], title="Tablas de pino")
    unrelated = await make_user("producer", org_name="Cooperativa del Hule")
    await make_offer(
        unrelated,
        (await make_certificate(unrelated, product_types=["roundwood"]))["ref"],
        title="Trozas",
        product_type="roundwood",
    )
    return {"buyer": buyer, "request": wanted, "fitting": fitting, "offer": fitting_offer, "unrelated": unrelated}


async def test_a_producer_whose_offer_fits_reads_the_request_without_private_fields(client) -> None:
    scene = await _scene()
    ref = scene["request"]["ref"]
    await sign_in(client, scene["fitting"])
    page = await client.get(f"/requests/{ref}")
    assert page.status_code == 200
    text = page.text
    assert '<h1 id="request-title">Tablas de pino para taller</h1>' in text
    assert '<span data-testid="request-buyer">Muebles Tapatíos</span>' in text
    assert re.search(r'data-testid="request-quantity">300 m³\s*</dd>', text)
    start, end = (format_date(today() + dt.timedelta(days=n), "medium", locale="en") for n in (30, 120))
    assert f'<dd data-testid="request-window">{start} to {end}</dd>' in text
    assert '<dd data-testid="request-claims">FSC 100%, FSC Mix</dd>' in text
    where = text.split("<h2>Where and when</h2>", 1)[1].split("</dl>", 1)[0]
    assert "<dt>Delivery place</dt>" in where and "Guadalajara" in where  # how places are named: app.places
    assert "Secadas en horno, grado 2&amp;Btr" in text
    # Private: the target price, the exact delivery point, other producers' offers.
    assert PRIVATE_PRICE not in text and "987,65" not in text  # however a locale writes the amount
    assert 'data-testid="request-target-price"' not in text
    assert "Delivery point" not in text and "20.67" not in text
    assert 'data-testid="recommendations"' not in text
    assert 'data-testid="edit-request"' not in text
    # Why its own offer fits, worded for the producer.
    assert f'data-testid="supplier-fit" data-ref="{scene["offer"]["ref"]}"' in text
    reasons = re.findall(r"<li>([^<]+)</li>", text.split('data-testid="supplier-fit-reasons"')[1].split("</ul>")[0])
    assert reasons == [
        "Your offer covers 40 % of the 300 m³ requested",
        "Your offer is 530 km from Guadalajara",
        "The buyer asks for the genus of your Durango pine (Pinus durangensis)",
        "The buyer accepts your claim FSC 100%",
        "Your certificate is awaiting verification by staff",
        "You updated this offer today",
    ]

    api = await client.get(f"/api/v1/requests/{ref}", headers=await api_token(scene["fitting"]))
    assert api.status_code == 200
    body = api.json()
    assert (body["ref"], body["organization_name"], body["quantity"], body["unit"]) == (
        ref,
        "Muebles Tapatíos",
        300.0,
        "m3",
    )
    assert body["accepted_claims"] == ["FSC 100%", "FSC Mix"]
    assert (body["needed_from"], body["needed_by"]) == (
        (today() + dt.timedelta(days=30)).isoformat(),
        (today() + dt.timedelta(days=120)).isoformat(),
    )
    assert body["target_price"] is None
    assert body["delivery"] == {"country": "MX", "region": "MX-JAL", "place": "Guadalajara", "lat": None, "lon": None}
    assert body["description"] == "Secadas en horno, grado 2&Btr"


async def test_an_unrelated_producer_and_another_buyer_get_not_found(client) -> None:
    scene = await _scene()
    ref = scene["request"]["ref"]
    other_buyer = await make_user("buyer")
    for user in (scene["unrelated"], other_buyer):
        await sign_in(client, user)
        assert (await client.get(f"/requests/{ref}")).status_code == 404
        assert (await client.get(f"/api/v1/requests/{ref}", headers=await api_token(user))).status_code == 404
    # Reading is not editing: a producer that may read the request still cannot change it.
    headers = await api_token(scene["fitting"])
    changed = await client.put(f"/api/v1/requests/{ref}", json={"category": "timber"}, headers=headers)
    assert changed.status_code == 404
    assert (await sourcing.get_request(ref))["title"] == "Tablas de pino para taller"


async def test_the_buyer_and_staff_read_everything(client) -> None:
    scene = await _scene()
    ref = scene["request"]["ref"]
    for user in (scene["buyer"], await make_user("staff")):
        await sign_in(client, user)
        page = await client.get(f"/requests/{ref}")
        assert page.status_code == 200
        assert "$987.65 per m³" in page.text
        assert "20.67" in page.text
        assert 'data-testid="recommendations"' in page.text
        assert 'data-testid="supplier-fits"' not in page.text
        body = (await client.get(f"/api/v1/requests/{ref}", headers=await api_token(user))).json()
        assert body["target_price"] == {"amount": PRIVATE_PRICE, "currency": "USD"}
        assert (body["delivery"]["lat"], body["delivery"]["lon"]) == (20.67, -103.35)


async def test_a_conversation_keeps_the_request_readable_even_when_closed(client) -> None:
    scene = await _scene()
    ref = scene["request"]["ref"]
    conversation_id = await messaging.start_conversation(
        scene["buyer"], scene["offer"]["ref"], ref, message="¿Siguen disponibles?"
    )
    # The producer's offer stops fitting (paused) and the buyer closes the request: the thread still names it.
    await offers.set_offer_status(scene["fitting"], scene["offer"]["ref"], "paused")
    await sourcing.set_request_status(scene["buyer"], ref, "closed")
    await sign_in(client, scene["fitting"])
    page = await client.get(f"/requests/{ref}")
    assert page.status_code == 200
    assert 'data-testid="notice-closed"' in page.text
    assert f'<a href="/conversations/{conversation_id}" data-testid="supplier-conversation">' in page.text
    assert 'data-testid="no-supplier-fits"' in page.text
    assert PRIVATE_PRICE not in page.text
    api = await client.get(f"/api/v1/requests/{ref}", headers=await api_token(scene["fitting"]))
    assert (api.status_code, api.json()["status"], api.json()["target_price"]) == (200, "closed", None)
    thread = await client.get(f"/conversations/{conversation_id}")
    assert f'<a href="/requests/{ref}" data-testid="thread-request">Tablas de pino para taller</a>' in thread.text


async def test_a_closed_request_is_gone_for_a_producer_who_only_matched(client) -> None:
    scene = await _scene()
    ref = scene["request"]["ref"]
    await sourcing.set_request_status(scene["buyer"], ref, "closed")
    await sign_in(client, scene["fitting"])
    assert (await client.get(f"/requests/{ref}")).status_code == 404
    assert (await client.get(f"/api/v1/requests/{ref}", headers=await api_token(scene["fitting"]))).status_code == 404


async def test_a_current_match_record_keeps_the_request_readable_until_withdrawn(client) -> None:
    """A 'new request fits your offer' notice comes from a match record; until the matcher withdraws it, its link
    opens the request even if the offer changed in between."""
    scene = await _scene()
    ref = scene["request"]["ref"]
    await compute_matches(ref, _SearchDown())
    # Below the request's minimum per supplier (20 m³): the offer no longer fits, but the record is not recomputed.
    await Offer.update({Offer.quantity: 10, Offer.quantity_canonical: 10.0}).where(Offer.ref == scene["offer"]["ref"])
    await sign_in(client, scene["fitting"])
    page = await client.get(f"/requests/{ref}")
    assert page.status_code == 200
    assert 'data-testid="no-supplier-fits"' in page.text
    await compute_matches(ref, _SearchDown())
    assert [r["status"] for r in await Match.select(Match.status)] == ["withdrawn"]
    assert (await client.get(f"/requests/{ref}")).status_code == 404


async def test_a_buyer_in_a_conversation_still_opens_the_offer_after_it_closed(client) -> None:
    """The thread links its offer; closing the offer after a deal must not turn that link into a 404."""
    scene = await _scene()
    offer_ref = scene["offer"]["ref"]
    await messaging.start_conversation(
        scene["buyer"], offer_ref, scene["request"]["ref"], message="¿Siguen disponibles?"
    )
    await offers.set_offer_status(scene["fitting"], offer_ref, "closed")
    await sign_in(client, scene["buyer"])
    page = await client.get(f"/offers/{offer_ref}")
    assert page.status_code == 200
    assert '<li data-testid="offer-status"><span class="badge badge--muted">Closed</span></li>' in page.text
    await sign_in(client, await make_user("buyer"))
    assert (await client.get(f"/offers/{offer_ref}")).status_code == 404


PRODUCER_REASONS = [
    "Your offer covers 40 % of the 300 m³ requested",
    "Your offer is 530 km from Guadalajara",
    "The buyer asks for the genus of your Durango pine (Pinus durangensis)",
    "The buyer accepts your claim FSC 100%",
    "Your certificate is awaiting verification by staff",
    "You updated this offer today",
]
BUYER_REASONS = [
    "Covers 40 % of your volume",
    "530 km from Guadalajara",
    "Same genus: Durango pine (Pinus durangensis)",
    "Claim FSC 100%",
    "Certificate awaiting verification by staff",
    "Updated today",
]


def _reasons(html: str, marker: str) -> list[str]:
    """The items of the first reasons list after ``marker``."""
    return re.findall(r"<li>([^<]+)</li>", html.split(marker, 1)[1].split("</ul>", 1)[0])


async def test_each_side_reads_the_reasons_in_its_own_voice(client) -> None:
    scene = await _scene()
    ref, offer_ref = scene["request"]["ref"], scene["offer"]["ref"]
    conversation_id = await messaging.start_conversation(scene["buyer"], offer_ref, ref, message="¿Siguen disponibles?")

    # The producer: dashboard card (linked to the request), thread side panel, the offer's match API.
    await sign_in(client, scene["fitting"])
    dashboard = (await client.get("/dashboard")).text
    assert f'<a href="/requests/{ref}" data-testid="fitting-request-link">' in dashboard
    assert _reasons(dashboard, f'data-testid="fitting-request" data-ref="{ref}"') == PRODUCER_REASONS
    thread = (await client.get(f"/conversations/{conversation_id}")).text
    assert _reasons(thread, 'data-testid="thread-reasons"') == PRODUCER_REASONS
    api = await client.get(f"/api/v1/offers/{offer_ref}/matches", headers=await api_token(scene["fitting"]))
    assert [r["reasons"] for r in api.json()["requests"]] == [PRODUCER_REASONS]

    # The buyer: thread side panel, request page, and the public match answer (the contract: buyer's voice).
    backend = get_backend()  # the app's own: bring it in step as its sync worker would
    await backend.ensure_index(OFFERS_INDEX)
    await drain(backend)
    await sign_in(client, scene["buyer"])
    thread = (await client.get(f"/conversations/{conversation_id}")).text
    assert _reasons(thread, 'data-testid="thread-reasons"') == BUYER_REASONS
    page = (await client.get(f"/requests/{ref}")).text
    assert _reasons(page, f'data-testid="recommendation" data-ref="{offer_ref}"') == BUYER_REASONS
    answer = (await client.get(f"/api/v1/requests/{ref}/matches", headers=await api_token(scene["buyer"]))).json()
    assert [m["reasons"] for m in answer["matches"]] == [BUYER_REASONS]
    spanish = await client.get(
        f"/api/v1/requests/{ref}/matches", headers={**await api_token(scene["buyer"]), "Accept-Language": "es-MX"}
    )
    assert spanish.json()["matches"][0]["reasons"][0] == "Cubre el 40 % de su volumen"
