"""The public offer list shows the badge of lot-backed offers and filters on EUDR-ready lots in SQL; an FSC Mix
offer backed by lots shows the certified share they derive (issue 12)."""

from __future__ import annotations

import re

from app.imports.services import import_document
from app.offers import services as offers
from tests.integration.test_lot_backed_offers import group_user, latex_offer, lots_doc

BADGE_READY = (
    '<p class="traceable" data-testid="offer-traceable">Traceable to 2 smallholders, '
    '<strong data-testid="offer-eudr-ready">EUDR-ready</strong></p>'
)


def cards(html: str) -> dict[str, str]:
    """Each offer card's markup by its offer ref."""
    found = re.findall(
        r'(<article class="card offer-card" data-testid="offer-card" data-ref="([^"]+)">.*?</article>)', html, re.S
    )
    return {ref: card for card, ref in found}


def claim_badge(card: str) -> str:
    return re.search(r'<li data-testid="offer-claim"><span class="badge">(.*?)</span></li>', card, re.S).group(1)


def broken_lot_1() -> dict:
    """The document with lot-1 given an error (a DRC of 60 % for field latex): lot-1 is no longer EUDR-ready."""
    doc = lots_doc()
    doc["deliveries"][0]["drc_percent"] = 60
    doc["lots"][0]["output_dry_kg"] = 700
    return doc


async def test_cards_show_the_badge_and_the_mix_share_of_lot_backed_offers_only(client) -> None:
    await import_document(lots_doc())
    user = await group_user()
    backed = await offers.create_offer(user, latex_offer(lots=["lot-1", "lot-3"], quantity="600", title="Backed TSR"))
    pure = await offers.create_offer(user, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="200"))
    plain = await offers.create_offer(user, latex_offer(title="Plain TSR"))
    page = await client.get("/offers")
    assert page.status_code == 200
    shown = cards(page.text)
    assert set(shown) == {backed["ref"], pure["ref"], plain["ref"]}
    assert BADGE_READY in shown[backed["ref"]]
    assert claim_badge(shown[backed["ref"]]) == "FSC Mix 68 %"  # lot-1 derives 68 %, lot-3 100 %: the lowest
    assert (
        '<p class="traceable" data-testid="offer-traceable">Traceable to 1 smallholder, '
        '<strong data-testid="offer-eudr-ready">EUDR-ready</strong></p>'
    ) in shown[pure["ref"]]
    assert claim_badge(shown[pure["ref"]]) == "FSC 100%"
    assert 'data-testid="offer-traceable"' not in shown[plain["ref"]]
    assert claim_badge(shown[plain["ref"]]) == "FSC Mix"
    detail = await client.get(f"/offers/{backed['ref']}")
    assert '<li data-testid="offer-claim"><span class="badge">FSC Mix 68 %</span></li>' in detail.text
    assert BADGE_READY in detail.text
    plain_detail = await client.get(f"/offers/{plain['ref']}")
    assert '<li data-testid="offer-claim"><span class="badge">FSC Mix</span></li>' in plain_detail.text


async def test_eudr_filter_returns_exactly_the_offers_whose_lots_are_all_ready(client) -> None:
    await import_document(lots_doc())
    user = await group_user()
    both = await offers.create_offer(user, latex_offer(lots=["lot-1", "lot-3"], quantity="600", title="Both lots"))
    only_1 = await offers.create_offer(user, latex_offer(lots=["lot-1"], title="Lot 1"))
    only_3 = await offers.create_offer(user, latex_offer(claim="FSC 100%", lots=["lot-3"], quantity="200"))
    plain = await offers.create_offer(user, latex_offer(title="Plain TSR"))
    page = await client.get("/offers?eudr=1")
    assert page.status_code == 200
    assert set(cards(page.text)) == {both["ref"], only_1["ref"], only_3["ref"]}
    assert '<p class="results-count" role="status" data-testid="results-count">3 offers</p>' in page.text
    await import_document(broken_lot_1())
    page = await client.get("/offers?eudr=1&page=1")
    assert set(cards(page.text)) == {only_3["ref"]}
    everything = cards((await client.get("/offers")).text)
    assert set(everything) == {both["ref"], only_1["ref"], only_3["ref"], plain["ref"]}
    # The badge follows: lot-1 still backs the offer, but it is no longer EUDR-ready.
    assert (
        '<p class="traceable" data-testid="offer-traceable">Traceable to 2 smallholders</p>' in everything[both["ref"]]
    )
    fragment = await client.get("/offers?eudr=1&category=latex", headers={"HX-Request": "true"})
    assert set(cards(fragment.text)) == {only_3["ref"]}
