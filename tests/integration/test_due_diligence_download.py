"""After a confirmed deal on an offer backed by lots, the buyer downloads each lot's due-diligence GeoJSON and a
printable origin summary naming no smallholder; anyone else gets 404.

Offers naming lots (``Offer.lots``) land from another branch. Until then the link is made by standing in for
``lots_of_offer`` (what the downloads read); the test of ``lots_of_offer`` itself is skipped with that reason."""

from __future__ import annotations

from typing import Any

import pytest

from app.imports.services import import_document
from app.messaging import due_diligence
from app.messaging import services as messaging
from app.messaging.tables import MatchEvent
from app.offers.tables import Offer
from app.traceability.offer_lots import lots_of_offer
from app.traceability.services import dds_documents
from tests.factories import make_certificate, make_offer, make_user, sign_in
from tests.integration.test_traceability_import import trace_doc

HAS_OFFER_LOTS = hasattr(Offer, "lots")
DEAL = {"quantity": "400", "unit": "kg_drc", "unit_price": "9.80", "currency": "BRL", "date": "2026-05-12"}
DEAL_CLAIM = {"claim": "FSC Mix", "certified_percent": 68, "invoice": "NF-77"}


@pytest.fixture(name="link_lots")
def fx_link_lots(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Name lots on an offer: through ``Offer.lots`` when it exists, else by standing in for ``lots_of_offer``."""
    links: dict[int, list[str]] = {}

    async def stand_in(offer_id: int | None) -> list[str]:
        return links.get(offer_id or 0, [])

    async def link(offer_ref: str, lots: list[str]) -> None:
        offer_id = (await Offer.select(Offer.id).where(Offer.ref == offer_ref).first())["id"]
        if HAS_OFFER_LOTS:
            await Offer.update({Offer.lots: lots}).where(Offer.id == offer_id)  # type: ignore[attr-defined]
        else:
            links[offer_id] = lots
            monkeypatch.setattr(due_diligence, "lots_of_offer", stand_in)

    return link


async def _traded(link_lots: Any, lots: list[str], *, confirm: bool = True) -> tuple[Any, Any, int]:
    """The traceability records imported, a producer's latex offer backed by ``lots``, a buyer's deal on it
    (confirmed by the producer unless ``confirm`` is false)."""
    await import_document(trace_doc())
    producer = await make_user("producer", org_name="Usina Xapuri", country="BR")
    cert = await make_certificate(producer, code="IMA-FM/COC-000222", product_types=["tsr"])
    offer = await make_offer(
        producer,
        cert["ref"],
        category="latex",
        product_type="tsr",
        species=["Hevea brasiliensis"],
        title="TSR 10",
        quantity="400",
        unit="kg_drc",
        min_order="",
        price_amount="9.50",
        price_currency="BRL",
        claim="FSC Mix",
    )
    await link_lots(offer["ref"], lots)
    buyer = await make_user("buyer", org_name="Pneus do Sul", country="BR")
    thread = await messaging.start_conversation(buyer, offer["ref"], message="Temos interesse.")
    deal = await messaging.record_deal(buyer, thread, {**DEAL, **DEAL_CLAIM})
    if confirm:
        await messaging.confirm_deal(producer, deal)
    return producer, buyer, thread


async def test_the_buyer_downloads_the_due_diligence_file_after_the_confirmed_deal(client, link_lots) -> None:
    _producer, buyer, thread = await _traded(link_lots, ["lot-1"])
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{thread}")
    assert f'href="/conversations/{thread}/lots/lot-1/due-diligence.geojson" data-testid="dds-link"' in page.text
    assert f'href="/conversations/{thread}/origin-summary" data-testid="origin-summary-link"' in page.text
    download = await client.get(f"/conversations/{thread}/lots/lot-1/due-diligence.geojson")
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/geo+json"
    assert download.headers["content-disposition"] == 'attachment; filename="dds-lot-1.geojson"'
    assert download.json() == (await dds_documents("lot-1"))[0]
    assert [f["properties"]["ProducerName"] for f in download.json()["features"]] == ["Maria Souza", "A-002"]
    assert (await client.get(f"/conversations/{thread}/lots/lot-1/due-diligence.geojson?part=2")).status_code == 404


async def test_the_origin_summary_prints_claims_counts_places_and_no_name(client, link_lots) -> None:
    _producer, buyer, thread = await _traded(link_lots, ["lot-1"])
    await sign_in(client, buyer)
    page = await client.get(f"/conversations/{thread}/origin-summary")
    assert page.status_code == 200
    assert page.text.count("css/origin.css") == 1  # the print rules (@media print)
    assert '<dd data-testid="origin-claim">FSC Mix 68 %</dd>' in page.text
    assert '<dd data-testid="origin-counts">2 members, 2 plots, 2 deliveries</dd>' in page.text
    assert "<li>Brazil, Xapuri: 2 members, 2 plots</li>" in page.text
    deal = "FSC Mix 68 % · Technically specified rubber (TSR) · Hevea brasiliensis · Brazil · certificate"
    assert f'<ul data-testid="origin-deals"><li>{deal} IMA-FM/COC-000222 · invoice NF-77</li></ul>' in page.text
    assert "Maria Souza" not in page.text
    assert "João Lima" not in page.text
    assert (
        '<li class="check--warning">Warning: The member was not in the group certificate&#39;s scope yet' in page.text
    )
    assert f'href="/conversations/{thread}/lots/lot-1/due-diligence.geojson" data-testid="origin-dds"' in page.text


async def test_a_lot_with_an_error_is_refused_with_its_checks(client, link_lots) -> None:
    _producer, buyer, thread = await _traded(link_lots, ["lot-2"])
    await sign_in(client, buyer)
    refused = await client.get(f"/conversations/{thread}/lots/lot-2/due-diligence.geojson")
    assert refused.status_code == 409
    assert "Lot lot-2 has problems that must be fixed before its due-diligence file can be made." in refused.text
    errors = refused.text[refused.text.index('data-testid="dds-errors"') :]
    assert errors.count("<li>") == 1
    assert "Maria Souza" not in refused.text


async def test_nobody_else_downloads(client, link_lots) -> None:
    producer, buyer, thread = await _traded(link_lots, ["lot-1"], confirm=False)
    urls = [f"/conversations/{thread}/lots/lot-1/due-diligence.geojson", f"/conversations/{thread}/origin-summary"]
    await sign_in(client, buyer)
    for url in urls:  # the buyer before the deal is confirmed
        assert (await client.get(url)).status_code == 404
    assert 'data-testid="dds-link"' not in (await client.get(f"/conversations/{thread}")).text
    deal = (await MatchEvent.select(MatchEvent.id).where(MatchEvent.state == "deal_closed").first())["id"]
    await messaging.confirm_deal(producer, deal)
    assert (await client.get(f"/conversations/{thread}/lots/lot-2/due-diligence.geojson")).status_code == 404
    others = [
        await make_user("buyer", org_name="Outro Comprador"),
        await make_user("producer", org_name="Concorrente", country="BR"),
        producer,
    ]
    for other in others:
        client.cookies.clear()
        await sign_in(client, other)
        for url in urls:
            assert (await client.get(url)).status_code == 404, (other.organization_name, url)


@pytest.mark.skipif(not HAS_OFFER_LOTS, reason="Offer.lots (offers backed by lots) lands from another branch")
async def test_lots_of_offer_reads_the_offers_lots(clean_db: str, link_lots) -> None:
    _producer, _buyer, thread = await _traded(link_lots, ["lot-1", "lot-2"])
    offer_id = (await messaging.get_conversation_for(_buyer, thread))["offer"]
    assert await lots_of_offer(offer_id) == ["lot-1", "lot-2"]


async def test_lots_of_offer_without_the_column_or_offer_is_empty(clean_db: str) -> None:
    assert await lots_of_offer(None) == []
    if not HAS_OFFER_LOTS:
        assert await lots_of_offer(1) == []
