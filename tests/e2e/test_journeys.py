"""Real-browser journeys: a producer publishes, a buyer asks, staff verify; each ends in the database.

Chromium drives the app served in a subprocess (see conftest.py); data is set up with tests/factories.py in
this process against the same SQLite file, and every journey checks the rows the browser's actions wrote.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from app.certificates.tables import Certificate
from app.offers.tables import Offer
from app.sourcing.tables import SourcingRequest
from app.vocab import BOARD_FEET_PER_M3
from tests.clock import today
from tests.e2e.conftest import NewPage
from tests.e2e.pages import (
    CertificateFormPage,
    LoginPage,
    MyCertificatesPage,
    MyOffersPage,
    MyRequestsPage,
    OfferFormPage,
    OfferListPage,
    RequestFormPage,
    VerificationQueuePage,
)
from tests.factories import PASSWORD, make_certificate, make_offer, make_user

pytestmark = pytest.mark.e2e


def iso(days: int) -> str:
    return (today() + dt.timedelta(days=days)).isoformat()


async def certificates_of(org_id: int) -> list[dict[str, Any]]:
    return await Certificate.select().where(Certificate.organization == org_id).output(load_json=True)


async def test_producer_registers_certificate_and_publishes_offer(page: Any) -> None:
    producer = await make_user("producer", email="ejido-la-victoria@example.org", org_name="Ejido La Victoria")
    login = LoginPage(page)
    await login.open()
    await login.sign_in(producer.email, PASSWORD)

    # Certificates: from the navigation to the form, and back to the list with the new row awaiting staff.
    certs = MyCertificatesPage(page)
    await certs.nav("nav-my-certificates")
    await certs.expect_at("/my/certificates")
    await certs.by_testid("certificate-new").click()
    form = CertificateFormPage(page)
    await form.expect_at("/my/certificates/new")
    await form.register(
        code="SCS-FM/COC-004512",
        license_code="FSC-C004512",
        scope="FM/COC",
        status="valid",
        issued_on=iso(-300),
        expires_on=iso(700),
        product_types=["roundwood", "sawn_timber"],
    )
    await expect(certs.row("SCS-FM/COC-004512")).to_have_count(1)
    assert await certs.verification("SCS-FM/COC-004512") == "Awaiting verification"

    # An offer under that certificate, in board feet (stored in m³ as well).
    offers = MyOffersPage(page)
    await offers.nav("nav-my-offers")
    await offers.expect_at("/my/offers")
    await offers.by_testid("offer-new").click()
    offer_form = OfferFormPage(page)
    await offer_form.expect_at("/my/offers/new")
    ref = await offer_form.publish(
        certificate_code="SCS-FM/COC-004512",
        claim="FSC 100%",
        category="timber",
        product_type="sawn_timber",
        title="Kiln-dried Durango pine boards",
        species="Pinus durangensis",
        quantity="8475.52",
        unit="bf",
        min_order="1000",
        available_from=iso(10),
        available_to=iso(190),
        lat="24.02",
        lon="-104.67",
        price_amount="0.85",
        price_currency="USD",
        incoterm="FCA",
        description="Grade 2&Btr, 8% moisture",
    )

    await offers.nav("nav-my-offers")
    await offers.expect_at("/my/offers")
    mine = offers.offer(ref)
    await expect(mine).to_contain_text("Kiln-dried Durango pine boards")
    await expect(mine.get_by_test_id("my-offer-status")).to_have_text("Active")

    public = OfferListPage(page)
    await public.nav("nav-offers")
    await public.expect_at("/offers")
    await expect(public.card(ref)).to_contain_text("Kiln-dried Durango pine boards")
    await expect(public.card(ref).get_by_test_id("offer-producer")).to_contain_text("Ejido La Victoria")

    cert_rows = await certificates_of(producer.organization_id)
    assert len(cert_rows) == 1
    cert = cert_rows[0]
    assert (cert["code"], cert["verification"], cert["status"]) == ("SCS-FM/COC-004512", "pending", "valid")
    assert cert["product_types"] == ["roundwood", "sawn_timber"]
    assert cert["expires_on"] == today() + dt.timedelta(days=700)
    offer_rows = await Offer.select().where(Offer.ref == ref).output(load_json=True)
    assert len(offer_rows) == 1
    offer = offer_rows[0]
    assert (offer["status"], offer["certificate"], offer["organization"]) == (
        "active",
        cert["id"],
        producer.organization_id,
    )
    assert (offer["quantity"], offer["unit"], offer["claim"], offer["product_type"]) == (
        Decimal("8475.520"),
        "bf",
        "FSC 100%",
        "sawn_timber",
    )
    assert offer["quantity_canonical"] == pytest.approx(8475.52 / BOARD_FEET_PER_M3)  # 20 m³
    assert offer["quantity_canonical"] == pytest.approx(20.0, abs=1e-6)


async def _post_request_journey(page: Any, *, js: bool) -> None:
    buyer = await make_user("buyer", email=f"buyer-{'js' if js else 'nojs'}@example.org", org_name="Muebles Tapatíos")
    login = LoginPage(page, js=js)
    await login.open()
    await login.sign_in(buyer.email, PASSWORD)

    requests = MyRequestsPage(page, js=js)
    await requests.nav("nav-my-requests")
    await requests.expect_at("/my/requests")
    await requests.by_testid("new-request").click()
    form = RequestFormPage(page, js=js)
    await form.expect_at("/my/requests/new")
    title = "Pine boards and logs for Guadalajara" + ("" if js else " (no JS)")
    # A first try without the required fields: errors inline (422 swapped in by htmx, or a plain page), values kept.
    await form.send_incomplete(title=title)
    assert await form.error_for("quantity") == "This field is required."
    await expect(form.field("title")).to_have_value(title)
    await expect(form.field("quantity")).to_have_attribute("aria-invalid", "true")
    ref = await form.post(
        title=title,
        category="timber",
        product_types=["sawn_timber", "roundwood"],
        accepted_claims=["FSC 100%", "FSC Mix"],
        species="Pinus",
        quantity="300",
        unit="m3",
        min_per_supplier="40",
        partial_ok=False,
        delivery_place="Guadalajara",
        delivery_country="MX",
        delivery_region="MX-JAL",
        delivery_lat="20.67",
        delivery_lon="-103.35",
        max_distance_km="900",
        needed_from=iso(30),
        needed_by=iso(120),
    )

    await requests.nav("nav-my-requests")
    await requests.expect_at("/my/requests")
    await expect(requests.request_card(ref)).to_contain_text(title)
    await expect(requests.request_card(ref)).to_contain_text("Guadalajara")

    query = SourcingRequest.select().where(SourcingRequest.organization == buyer.organization_id)
    rows = await query.output(load_json=True)
    assert len(rows) == 1
    row = rows[0]
    assert (row["ref"], row["title"], row["status"], row["category"]) == (ref, title, "open", "timber")
    assert sorted(row["product_types"]) == ["roundwood", "sawn_timber"]
    assert sorted(row["accepted_claims"]) == ["FSC 100%", "FSC Mix"]
    assert row["partial_ok"] is False
    assert (row["quantity"], row["unit"], row["quantity_canonical"]) == (Decimal("300.000"), "m3", 300.0)
    assert (row["delivery_country"], row["delivery_region"], row["delivery_place"]) == ("MX", "MX-JAL", "Guadalajara")
    assert (row["delivery_lat"], row["delivery_lon"], row["max_distance_km"]) == (20.67, -103.35, 900.0)
    assert (row["needed_from"], row["needed_by"]) == (today() + dt.timedelta(days=30), today() + dt.timedelta(days=120))


async def test_buyer_posts_sourcing_request(page: Any) -> None:
    await _post_request_journey(page, js=True)


async def test_buyer_posts_sourcing_request_without_javascript(new_page: NewPage) -> None:
    # Progressive enhancement: real forms and links carry the whole journey when scripts never run.
    page = await new_page(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    await _post_request_journey(page, js=False)


async def test_staff_verify_one_certificate_and_reject_another(page: Any) -> None:
    staff = await make_user("staff", email="verifier@example.org")
    producer = await make_user("producer", org_name="Comunidad San Juan")
    good = await make_certificate(producer, code="SCS-FM/COC-004512")
    bad = await make_certificate(producer, code="NC-COC-012345")
    reason = "NC-COC-012345 is terminated in the FSC database since March."

    login = LoginPage(page)
    await login.open()
    await login.sign_in(staff.email, PASSWORD)

    queue = VerificationQueuePage(page)
    await queue.nav("nav-staff-certificates")
    await queue.expect_at(re.escape(queue.path))
    await expect(queue.card(good["ref"])).to_contain_text("SCS-FM/COC-004512")
    await expect(queue.card(bad["ref"])).to_contain_text("NC-COC-012345")
    await expect(queue.card(good["ref"])).to_contain_text("Comunidad San Juan")

    await queue.verify(good["ref"])
    await expect(queue.notice()).to_contain_text("Certificate SCS-FM/COC-004512 is marked as verified.")
    await expect(queue.card(bad["ref"])).to_have_count(1)
    await queue.reject(bad["ref"], reason)
    await expect(queue.notice()).to_contain_text("Certificate NC-COC-012345 was rejected")

    await queue.show("rejected")
    await expect(queue.card(bad["ref"])).to_contain_text(reason)
    await queue.show("verified")
    await expect(queue.card(good["ref"])).to_contain_text("verifier@example.org")

    rows = {r["ref"]: r for r in await certificates_of(producer.organization_id)}
    assert (rows[good["ref"]]["verification"], rows[good["ref"]]["verified_by"]) == ("verified", staff.id)
    assert rows[good["ref"]]["verified_at"] is not None
    assert rows[good["ref"]]["rejection_reason"] == ""
    assert (rows[bad["ref"]]["verification"], rows[bad["ref"]]["verified_by"]) == ("rejected", staff.id)
    assert rows[bad["ref"]]["rejection_reason"] == reason


async def test_phone_width_offer_list_and_offer_form(new_page: NewPage, shots: Path) -> None:
    """Screenshots at 360x740 for a human look, and no sideways scrolling on either page."""
    producer = await make_user("producer", org_name="Sociedad de Producción Rural Ejidos Forestales de la Zona Maya")
    cert = await make_certificate(producer)
    await make_offer(producer, cert["ref"])
    await make_offer(
        producer,
        cert["ref"],
        title="Caoba (Swietenia macrophylla) aserrada, primera calidad, 2 pulgadas",
        species=["Swietenia macrophylla", "Cedrela odorata"],
        claim="FSC Mix",
    )
    page = await new_page(viewport={"width": 360, "height": 740}, device_scale_factor=1, is_mobile=True, has_touch=True)

    offers = OfferListPage(page)
    await offers.open()
    await expect(offers.cards()).to_have_count(2)
    assert await page.screenshot(path=str(shots / "offers-360.png"), full_page=True)
    assert await _overflow(page) == 0

    login = LoginPage(page)
    await login.open("?next=/my/offers/new")
    await login.sign_in(producer.email, PASSWORD, lands_on="/my/offers/new")
    await expect(page.get_by_test_id("offer-form")).to_be_visible()
    assert await page.screenshot(path=str(shots / "offer-form-360.png"), full_page=True)
    assert await _overflow(page) == 0


async def _overflow(page: Any) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways)."""
    return int(await page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth"))
