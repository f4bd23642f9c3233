"""Real browser at 360 px: a buyer records a deal on an FSC Mix latex offer with the invoice number (the claim comes
filled in from the offer), the producer sees every claim field before confirming, and the buyer downloads the
confirmed claims as CSV from /my/claims. Ends by checking the rows."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import expect

from app.messaging import services as messaging
from app.messaging.tables import MatchEvent
from tests.e2e.pages import LoginPage
from tests.e2e.pages_messaging import ThreadPage
from tests.factories import PASSWORD, make_certificate, make_offer, make_user

pytestmark = pytest.mark.e2e
DAY = dt.date(2026, 11, 20)
CODE = "SCS-FM/COC-004512"


async def _signed_in(new_page: Any, email: str) -> Any:
    page = await new_page(viewport={"width": 360, "height": 800})
    login = LoginPage(page)
    await login.open()
    await login.sign_in(email, PASSWORD)
    return page


async def test_buyer_records_the_claim_producer_confirms_buyer_downloads_the_csv(
    new_page: Any, live: Any, shots: Any, tmp_path: Path
) -> None:
    producer = await make_user("producer", email="e2e-claims-p@example.org", org_name="Seringal Xapuri", country="BR")
    cert = await make_certificate(producer, code=CODE, product_types=["field_latex"])
    offer = await make_offer(
        producer,
        cert["ref"],
        category="latex",
        product_type="field_latex",
        species=["Hevea brasiliensis"],
        title="Látex de campo",
        quantity="8000",
        unit="kg_drc",
        min_order="",
        price_amount="9.50",
        price_currency="BRL",
        claim="FSC Mix",
    )
    buyer = await make_user("buyer", email="e2e-claims-b@example.org", org_name="Luvas do Sul", country="BR")
    conversation_id = await messaging.start_conversation(buyer, offer["ref"], message="Olá")

    buyer_page = await _signed_in(new_page, buyer.email)
    thread = ThreadPage(buyer_page, conversation_id)
    await thread.open()
    await thread.fill_deal(quantity="2000", unit=None, unit_price="9.80", currency=None, date=DAY.isoformat())
    # The claim starts from the offer: only the invoice and the FSC Mix percentage are typed.
    await expect(thread.field("certificate_code")).to_have_value(CODE)
    await expect(thread.field("claim")).to_have_value("FSC Mix")
    await thread.fill(invoice="NF-2026-118", certified_percent="75")
    await buyer_page.screenshot(path=str(shots / "deal-claim-form-360.png"), full_page=True)
    await thread.by_testid("record-deal").click()
    await expect(buyer_page.locator('[data-testid="event"][data-state="deal_closed"]')).to_have_count(1)

    producer_page = await _signed_in(new_page, producer.email)
    producer_thread = ThreadPage(producer_page, conversation_id)
    await producer_thread.open()
    fields = producer_thread.by_testid("confirm-fields")
    await expect(fields.locator('[data-field="invoice"]')).to_have_text("NF-2026-118")
    await expect(fields.locator('[data-field="claim"]')).to_have_text("FSC Mix 75 %")
    await expect(fields.locator('[data-field="countries"]')).to_have_text("Brazil")
    await producer_page.screenshot(path=str(shots / "deal-claim-confirm-360.png"), full_page=True)
    await producer_thread.confirm_deal()

    await buyer_page.goto("/my/claims?from=2026-11-01&to=2026-11-30")
    await expect(buyer_page.get_by_test_id("claim-row")).to_have_count(1)
    async with buyer_page.expect_download() as download_info:
        await buyer_page.get_by_test_id("claims-csv").click()
    download = await download_info.value
    saved = tmp_path / "claims.csv"
    await download.save_as(saved)
    assert saved.read_text(encoding="utf-8").splitlines() == [
        "Date,Invoice,Counterparty,Certificate code,Claim,Percent,Product type,Species,Countries,Quantity,Unit,Side",
        f"2026-11-20,NF-2026-118,Seringal Xapuri,{CODE},FSC Mix,75,Field latex,Hevea brasiliensis,BR,2000,kg DRC,"
        "Purchase",
    ]
    events = (
        await MatchEvent.select(MatchEvent.id, MatchEvent.state, MatchEvent.details)
        .where(MatchEvent.state.is_in(["deal_closed", "deal_confirmed"]))
        .order_by(MatchEvent.id)
        .output(load_json=True)
    )
    assert [e["state"] for e in events] == ["deal_closed", "deal_confirmed"]
    assert events[1]["details"]["confirmed"]["invoice"] == "NF-2026-118"
    assert events[1]["details"]["confirmed"]["certified_percent"] == 75
