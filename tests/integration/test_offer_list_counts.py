"""The public offer list's capped count and the ways it reads the rows (issue 14): the same offers and totals as an
exact count over every listed offer, on SQLite and PostgreSQL, whichever index a page starts from."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from app.certificates import services as certificates
from app.certificates.tables import Certificate
from app.offers import listing
from app.offers import services as offers
from app.offers.services import OfferFilters
from app.offers.tables import Offer
from app.settings import get_settings
from tests.factories import certificate_data, make_certificate, make_offer, make_user

LATEX = {
    "category": "latex",
    "product_type": "tsr",
    "species": ["Hevea brasiliensis"],
    "unit": "kg_drc",
    "quantity": "20000",
    "min_order": "5000",
}


def card_refs(html: str) -> list[str]:
    return re.findall(r'data-testid="offer-card" data-ref="([^"]+)"', html)


async def _oracle(query: dict[str, str]) -> list[str]:
    """The listed offers these filters select, newest first, decided in Python over every offer with the visibility
    rule's own check (``publicly_listed``): independent of the list's SQL."""
    rows = await Offer.select(
        Offer.ref,
        Offer.category,
        Offer.product_type,
        Offer.claim,
        Offer.created_at,
        Offer.id,
        Offer.organization.country.as_alias("country"),
    ).output(load_json=True)
    listed = []
    for row in rows:
        full = await offers.get_offer(row["ref"])
        if not offers.publicly_listed(full):
            continue
        if all(row[key] == value for key, value in query.items() if key != "page"):
            listed.append(row)
    listed.sort(key=lambda r: (r["created_at"], r["id"]), reverse=True)
    return [r["ref"] for r in listed]


@pytest.fixture(name="market")
async def fx_market(clean_db: str) -> dict[str, Any]:
    """Eleven listed offers in two countries, product types, claims and categories; a paused one, one under a
    suspended certificate and one of a product its certificate does not cover, none of them listed."""
    mx = await make_user("producer", country="MX")
    gt = await make_user("producer", country="GT")
    mx_cert = await make_certificate(mx, product_types=["roundwood", "sawn_timber", "tsr"])
    gt_cert = await make_certificate(gt, product_types=["roundwood", "sawn_timber", "tsr"])
    made = []
    for i in range(4):
        made.append(await make_offer(mx, mx_cert["ref"], title=f"MX boards {i}"))
    for i in range(2):
        made.append(await make_offer(mx, mx_cert["ref"], title=f"MX logs {i}", product_type="roundwood", unit="m3"))
    for i in range(2):
        made.append(await make_offer(gt, gt_cert["ref"], title=f"GT boards {i}", claim="FSC Mix"))
    for i in range(3):
        made.append(await make_offer(gt, gt_cert["ref"], title=f"GT latex {i}", **LATEX))
    paused = await make_offer(mx, mx_cert["ref"], title="Paused boards")
    await offers.set_offer_status(mx, paused["ref"], "paused")
    pe = await make_user("producer", country="PE")
    pe_cert = await make_certificate(pe)
    await make_offer(pe, pe_cert["ref"], title="Suspended boards")
    await certificates.update_certificate(
        pe, pe_cert["ref"], certificate_data(code=pe_cert["code"], status="suspended")
    )
    # A certificate that stops covering a product: its offer is no longer listed.
    narrowed = await make_offer(gt, gt_cert["ref"], title="GT logs", product_type="roundwood", unit="m3")
    assert narrowed["product_type"] == "roundwood"
    await Certificate.update({Certificate.product_types: ["sawn_timber", "tsr"]}).where(
        Certificate.ref == gt_cert["ref"]
    )
    return {"listed": [o["ref"] for o in made]}


QUERIES = [
    {},
    {"category": "timber"},
    {"category": "latex"},
    {"product_type": "roundwood"},
    {"category": "timber", "product_type": "sawn_timber"},
    {"claim": "FSC Mix"},
    {"country": "GT"},
    {"country": "MX", "product_type": "sawn_timber"},
    {"country": "GT", "claim": "FSC 100%"},
    {"country": "PE"},
    {"category": "latex", "claim": "FSC Mix"},
]


@pytest.fixture(name="index_off")
def fx_index_off(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The kept bitmaps off (``FORESTMATCH_LISTING_INDEX_SECONDS=0``, settings read again): every page read by SQL."""
    monkeypatch.setenv("FORESTMATCH_LISTING_INDEX_SECONDS", "0")
    get_settings.cache_clear()
    yield
    monkeypatch.delenv("FORESTMATCH_LISTING_INDEX_SECONDS")
    get_settings.cache_clear()


async def read_by(reading: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> None:
    """Pages read from the kept bitmaps (``app.offers.listing``, read now) for ``"bitmaps"``; by SQL, the bitmaps
    off, for any other reading."""
    if reading == "bitmaps":
        monkeypatch.setattr(listing, "REBUILD_SHARE", 1.0)
        monkeypatch.setattr(listing, "_next_build_at", 0.0)
        assert await listing.current() is not None
    else:
        request.getfixturevalue("index_off")
        assert await listing.current() is None


@pytest.mark.parametrize("reading", ["narrow", "newest-first", "bitmaps"])
async def test_every_way_of_reading_gives_the_exact_pages_and_totals(market, monkeypatch, request, reading) -> None:
    """With the narrow-filter probes always answering "narrow", or never (so the list walks the newest offers), or from
    the kept bitmaps (``app.offers.listing``), each filter set gives every page of the Python oracle's order, and the
    capped total agrees with the exact one."""
    await read_by(reading, monkeypatch, request)
    if reading == "narrow":
        monkeypatch.setattr(offers, "NARROW_OFFERS", 10_000)
        monkeypatch.setattr(offers, "NARROW_COUNTRY_FACTOR", 100.0)
    elif reading == "newest-first":
        monkeypatch.setattr(offers, "NARROW_OFFERS", 0)
        monkeypatch.setattr(offers, "NARROW_COUNTRY_FACTOR", 0.0)
    assert len(await _oracle({})) == 11
    for query in QUERIES:
        expected = await _oracle(query)
        pages = []
        for page in (1, 2, 3, 4):
            found = await offers.browse_public_offers(OfferFilters.from_query({**query, "page": str(page)}), 3)
            assert (found.total, found.exact) == (len(expected), True), (query, page)
            pages.extend(r["ref"] for r in found.rows)
        assert pages == expected, query
        rows, total = await offers.list_public_offers(OfferFilters.from_query(query), 3)
        assert ([r["ref"] for r in rows], total) == (expected[:3], len(expected)), query


async def test_eudr_filter_lists_no_offer_without_lots(market) -> None:
    found = await offers.browse_public_offers(OfferFilters.from_query({"eudr": "1"}))
    assert (found.rows, found.total, found.exact) == ([], 0, True)
    found = await offers.browse_public_offers(OfferFilters.from_query({"category": "latex", "eudr": "1"}))
    assert (found.rows, found.total, found.exact) == ([], 0, True)


@pytest.mark.parametrize("reading", ["sql", "bitmaps"])
async def test_count_stops_at_the_cap_and_says_it_is_a_lower_bound(market, monkeypatch, request, reading) -> None:
    """Past COUNT_CAP the total is the cap (or the end of the page asked for) and not exact; the rows are the same,
    whether the pages are read by SQL or from the kept bitmaps."""
    await read_by(reading, monkeypatch, request)
    monkeypatch.setattr(offers, "COUNT_CAP", 4)
    expected = await _oracle({})
    seen = []
    for page, total, exact in (
        (1, 4, False),
        (2, 4, False),
        (3, 6, False),
        (4, 8, False),
        (5, 10, False),
        (6, 11, True),
    ):
        found = await offers.browse_public_offers(OfferFilters(page=page), 2)
        assert (found.total, found.exact) == (total, exact), page
        seen.extend(r["ref"] for r in found.rows)
    assert seen == expected
    beyond = await offers.browse_public_offers(OfferFilters(page=9), 2)
    assert (beyond.rows, beyond.total, beyond.exact) == ([], 11, True)
    # A filter with fewer offers than the cap keeps its exact total.
    found = await offers.browse_public_offers(OfferFilters.from_query({"category": "latex"}), 2)
    assert (found.total, found.exact) == (3, True)


async def test_page_past_the_cap_says_more_than_and_offers_the_next_page(client, market, monkeypatch) -> None:
    monkeypatch.setattr(offers, "COUNT_CAP", 4)
    monkeypatch.setattr(offers, "PER_PAGE", 2)
    expected = await _oracle({})

    first = await client.get("/offers")
    last = await client.get("/offers?page=6")

    assert first.status_code == 200
    assert card_refs(first.text) == expected[:2]
    assert re.search(r'data-testid="results-count">\s*More than 4 offers\s*</p>', first.text)
    assert "Page 1</p>" in first.text
    assert "Page 1 of" not in first.text
    assert 'href="?page=2" rel="next"' in first.text
    assert card_refs(last.text) == expected[10:]
    assert re.search(r'data-testid="results-count">\s*11 offers\s*</p>', last.text)
    assert "Page 6 of 6" in last.text
    assert 'rel="next"' not in last.text


async def test_exact_totals_below_the_cap_on_the_page(client, market, monkeypatch) -> None:
    monkeypatch.setattr(offers, "PER_PAGE", 2)

    response = await client.get("/offers?category=latex")

    assert card_refs(response.text) == (await _oracle({"category": "latex"}))[:2]
    assert re.search(r'data-testid="results-count">\s*3 offers\s*</p>', response.text)
    assert "Page 1 of 2" in response.text


@pytest.mark.parametrize("reading", ["sql", "bitmaps"])
async def test_country_list_names_only_countries_with_listed_offers(market, monkeypatch, request, reading) -> None:
    await read_by(reading, monkeypatch, request)
    assert await offers.public_offer_countries() == ["GT", "MX"]
