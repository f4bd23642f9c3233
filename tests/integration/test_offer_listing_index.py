"""The offer list's bitmaps (``app.offers.listing``, issue 14): kept per worker, used only while the database's change
count and the day are the ones they were read under, so a write by another process (another worker or host) shows on
the next page, and an offer whose certificate expires leaves the list the next day."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from litestar.testing import AsyncTestClient

from app.offers import listing
from app.offers import services as offers
from app.offers.services import OfferFilters
from tests.factories import make_certificate, make_offer, make_user

ROOT = Path(__file__).resolve().parents[2]


def card_refs(html: str) -> list[str]:
    return re.findall(r'data-testid="offer-card" data-ref="([^"]+)"', html)


def _elsewhere(db_url: str, body: str) -> None:
    """Run ``body`` (inside ``async def main()``, with ``Offer``, ``Certificate``, ``atomic`` and ``record_change``) in
    another process against the same database, as another worker or host would write."""
    script = textwrap.dedent(
        """
        import asyncio
        import datetime
        from app.certificates.tables import Certificate
        from app.db import atomic
        from app.events import record_change
        from app.offers.tables import Offer

        async def main():
        {body}

        asyncio.run(main())
        """
    ).format(body=textwrap.indent(textwrap.dedent(body), "    "))
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


@pytest.fixture(name="market")
async def fx_market(client: AsyncTestClient, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Two listed offers of one producer (the second newest) and the index read again at once when stale."""
    monkeypatch.setattr(listing, "REBUILD_SHARE", 1.0)
    monkeypatch.setattr(listing, "_next_build_at", 0.0)
    producer = await make_user("producer")
    cert = await make_certificate(producer, expires_on=dt.date.today().isoformat())  # valid through today
    first = await make_offer(producer, cert["ref"], title="Pine boards")
    second = await make_offer(producer, cert["ref"], title="Oak beams")
    return {"first": first["ref"], "second": second["ref"], "certificate": cert["ref"]}


async def _page(client: AsyncTestClient, query: str = "") -> list[str]:
    """The refs of the list page, after checking that it was read from the bitmaps."""
    response = await client.get("/offers" + query)
    assert response.status_code == 200
    assert listing._current is not None  # the page came from the kept bitmaps, not the SQL reading
    return card_refs(response.text)


async def test_an_offer_created_by_another_process_shows_on_the_next_page(
    client: AsyncTestClient, market: dict[str, str], db_url: str
) -> None:
    assert await _page(client) == [market["second"], market["first"]]
    kept = listing._current
    _elsewhere(
        db_url,
        f"""
        row = await Offer.select().where(Offer.ref == {market["first"]!r}).first()
        del row["id"], row["created_at"], row["updated_at"]
        async with atomic():
            await Offer(**{{**row, "ref": "offer-elsewhere", "title": "Teak decking"}}).save()
            await record_change("offer", "offer-elsewhere")
        """,
    )
    assert await _page(client) == ["offer-elsewhere", market["second"], market["first"]]
    assert listing._current is not kept  # read again under the new change count
    assert await _page(client, "?category=timber&claim=FSC+100%25") == [
        "offer-elsewhere",
        market["second"],
        market["first"],
    ]


async def test_an_offer_hidden_by_another_process_leaves_the_next_page(
    client: AsyncTestClient, market: dict[str, str], db_url: str
) -> None:
    assert await _page(client, "?country=MX") == [market["second"], market["first"]]
    _elsewhere(
        db_url,
        f"""
        async with atomic():
            await Offer.update({{Offer.status: "paused"}}).where(Offer.ref == {market["second"]!r})
            await record_change("offer", {market["second"]!r})
        """,
    )
    page = await client.get("/offers?country=MX")
    assert card_refs(page.text) == [market["first"]]
    assert ">1 offer<" in page.text
    assert await offers.public_offer_countries() == ["MX"]


async def test_a_certificate_expired_by_another_process_empties_the_next_page(
    client: AsyncTestClient, market: dict[str, str], db_url: str
) -> None:
    assert await _page(client) == [market["second"], market["first"]]
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    _elsewhere(
        db_url,
        f"""
        async with atomic():
            await Certificate.update({{Certificate.expires_on: datetime.date.fromisoformat({yesterday!r})}}).where(
                Certificate.ref == {market["certificate"]!r}
            )
            await record_change("certificate", {market["certificate"]!r})
        """,
    )
    assert await _page(client) == []
    assert await offers.public_offer_countries() == []


async def test_bitmaps_of_one_day_do_not_serve_the_next(
    market: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The certificate is valid through today: listed today, not tomorrow, although nothing was written."""
    today = await listing.current()
    assert today is not None
    assert len(today.matching({}, eudr=False)) == 2
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    monkeypatch.setattr(listing, "today", lambda: tomorrow)
    later = await listing.current()
    assert later is not None
    assert (later.day, later.count) == (tomorrow, today.count)
    assert len(later.matching({}, eudr=False)) == 0
    found = await offers.browse_public_offers(OfferFilters(), index=later)
    assert (found.rows, found.total, found.exact) == ([], 0, True)


async def test_a_change_recorded_here_drops_the_bitmaps_at_once(market: dict[str, str]) -> None:
    producer = await make_user("producer", country="GT")
    cert = await make_certificate(producer)
    assert await listing.current() is not None
    made = await make_offer(producer, cert["ref"], title="Mahogany")  # records the change: the bitmaps are dropped
    assert listing._current is None
    found = await offers.browse_public_offers(OfferFilters.from_query({"country": "GT"}))
    assert [r["ref"] for r in found.rows] == [made["ref"]]


async def test_a_build_too_soon_after_the_last_one_leaves_the_page_to_sql(
    market: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after a build that took t, the next waits t / REBUILD_SHARE: the page is then read by SQL, with the same
    answer."""
    monkeypatch.setattr(listing, "REBUILD_SHARE", 1e-9)
    listing.forget()
    monkeypatch.setattr(listing, "_next_build_at", 0.0)
    assert await listing.current() is not None
    listing.forget()
    assert await listing.current() is None
    found = await offers.browse_public_offers(OfferFilters())
    assert [r["ref"] for r in found.rows] == [market["second"], market["first"]]
