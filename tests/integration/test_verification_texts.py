"""Every text about staff verification says the rule the code applies (issue 10): an offer publishes under a valid,
unexpired certificate that covers its product, verified or not; until staff have checked the certificate it reads
"Awaiting verification", afterwards "Verified by staff" with the date."""

from __future__ import annotations

import re
from typing import Any

import pytest
from babel.dates import format_date
from litestar.testing import AsyncTestClient

from app.certificates import services as certificates
from app.indexing.sync import drain
from app.offers.tables import Offer
from app.worker import get_backend
from tests.factories import make_certificate, make_offer, make_user, sign_in

RULE = (
    "A valid certificate that covers the product is enough to publish offers. Program staff then check it against "
    "the public FSC database: until they have, the certificate and its offers read “Awaiting verification”."
)
PENDING_BADGE = (
    '<li data-testid="badge-pending"><span class="badge badge--muted">Certificate awaiting verification</span></li>'
)
VERIFIED_BADGE = '<li data-testid="badge-verified"><span class="badge badge--valid">Certificate verified</span></li>'


@pytest.fixture(name="index")
async def fx_index(client: AsyncTestClient) -> AsyncTestClient:
    """The test client, with the app's offers index emptied (the database is already clean)."""
    backend = get_backend()
    await backend.ensure_index("offers")
    await backend.rebuild("offers", [])
    return client


async def _indexed() -> None:
    backend = get_backend()
    await backend.ensure_index("offers")
    await drain(backend)


def _cell(html: str, testid: str) -> str:
    """The text inside one element, tags and spacing squeezed."""
    inner = html.split(f'data-testid="{testid}">', 1)[1].split("</td>", 1)[0]
    return " ".join(re.sub(r"<[^>]+>", " ", inner).split())


async def _published(**cert: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
    producer = await make_user("producer", org_name="Ejido El Largo")
    certificate = await make_certificate(producer, code="SCS-FM/COC-004512", **cert)
    offer = await make_offer(producer, certificate["ref"], title="Tablas de pino")
    return producer, certificate, offer


async def test_an_offer_publishes_under_an_unverified_certificate_and_says_so_everywhere(index) -> None:
    client = index
    producer, certificate, offer = await _published()
    assert certificate["verification"] == "pending"
    assert (await Offer.select(Offer.status).where(Offer.ref == offer["ref"]).first())["status"] == "active"
    await _indexed()

    listing = await client.get("/offers")
    card = listing.text.split(f'data-testid="offer-card" data-ref="{offer["ref"]}"', 1)[1].split("</article>", 1)[0]
    assert PENDING_BADGE in card and "badge-verified" not in card
    search = await client.get("/search")
    hit = search.text.split(f'data-testid="search-hit" data-ref="{offer["ref"]}"', 1)[1].split("</article>", 1)[0]
    assert PENDING_BADGE in hit
    detail = await client.get(f"/offers/{offer['ref']}")
    assert PENDING_BADGE in detail.text
    assert _cell(detail.text, "certificate-verification") == "Awaiting verification"
    profile = await client.get(f"/producers/{producer.organization_ref}")
    assert PENDING_BADGE in profile.text

    await sign_in(client, producer)
    mine = await client.get("/my/certificates")
    assert f'<p data-testid="verification-rule">{RULE}</p>' in mine.text
    assert _cell(mine.text, "certificate-verification") == "Awaiting verification"
    dashboard = await client.get("/dashboard")
    card = dashboard.text.split(f'data-testid="certificate-{certificate["ref"]}">', 1)[1].split("</li>", 1)[0]
    state = card.split('data-testid="certificate-state">', 1)[1].split("</p>", 1)[0]
    assert " ".join(state.split()) == (
        '<span class="badge badge--valid">Valid</span> <span class="badge badge--warning">Awaiting verification</span>'
    )
    form = await client.get("/my/certificates/new")
    assert f'<p data-testid="verification-rule">{RULE}' in form.text


async def test_a_verified_certificate_shows_the_verification_with_its_date(index) -> None:
    client = index
    producer, certificate, offer = await _published()
    staff = await make_user("staff")
    verified = await certificates.verify_certificate(staff, certificate["ref"], approve=True)
    on = f"on {format_date(verified['verified_at'].date(), 'medium', locale='en')}"
    await _indexed()

    listing = await client.get("/offers")
    assert VERIFIED_BADGE in listing.text and "badge-pending" not in listing.text
    search = await client.get("/search")
    assert VERIFIED_BADGE in search.text and "badge-pending" not in search.text
    detail = await client.get(f"/offers/{offer['ref']}")
    assert VERIFIED_BADGE in detail.text
    assert _cell(detail.text, "certificate-verification") == f"Verified by staff {on}"
    profile = await client.get(f"/producers/{producer.organization_ref}")
    assert VERIFIED_BADGE in profile.text
    assert f'Verified by staff</span> <span class="card__meta" data-testid="verified-on">{on}</span>' in profile.text
    await sign_in(client, producer)
    assert _cell((await client.get("/my/certificates")).text, "certificate-verification") == f"Verified by staff {on}"


async def test_guidance_for_a_new_producer_asks_for_a_valid_certificate_not_a_verified_one(client) -> None:
    producer = await make_user("producer")
    await sign_in(client, producer)
    dashboard = await client.get("/dashboard")
    assert (
        "Register your FSC certificate to publish offers: a valid one is enough to start. Program staff then check "
        "it against the public FSC database; until they have, it reads “Awaiting verification”."
    ) in dashboard.text
    assert "need a verified" not in dashboard.text
    about = await client.get("/about")
    assert (
        "An offer is shown to buyers as soon as it is published under a valid, unexpired certificate that covers "
        "its product. Until staff have checked the certificate, the offer reads “Certificate awaiting "
        "verification”; afterwards “Certificate verified”, with the date on the offer&#39;s page."
    ) in about.text
