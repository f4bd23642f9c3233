"""The offer list's cache (issue 14): a cached page is used until the listed data change, whichever process wrote the
change, because every recorded change bumps the database's change count in the writer's own transaction."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from app.db import atomic
from app.events import change_count, record_change, record_changes
from app.i18n import reset_locale, set_locale
from app.offers import cards, services
from app.settings import get_settings
from app.web import microcache
from tests.factories import make_certificate, make_offer, make_user, sign_in

ROOT = Path(__file__).resolve().parents[2]


def card_refs(html: str) -> list[str]:
    return re.findall(r'data-testid="offer-card" data-ref="([^"]+)"', html)


def _pause_elsewhere(db_url: str, ref: str, *, record: bool, timeout: float = 60) -> None:
    """Pause offer ``ref`` from another process (as another worker or host would), recording the change or not."""
    script = textwrap.dedent(
        f"""
        import asyncio
        from app.db import atomic
        from app.events import record_change
        from app.offers.tables import Offer

        async def main():
            async with atomic():
                await Offer.update({{Offer.status: "paused"}}).where(Offer.ref == {ref!r})
                if {record!r}:
                    await record_change("offer", {ref!r})

        asyncio.run(main())
        """
    )
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(name="two_offers")
async def fx_two_offers(client: AsyncTestClient) -> list[str]:
    assert get_settings().list_cache_seconds > 0  # the default: the cache is on in these tests
    producer = await make_user("producer")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="Pine boards")
    second = await make_offer(producer, cert["ref"], title="Oak beams")
    microcache.invalidate()
    return [second["ref"], first["ref"]]  # newest first, as the list shows them


async def test_each_recorded_change_bumps_the_count_once_committed(clean_db: str) -> None:
    assert await change_count() == 0
    await record_change("offer", "offer-1")
    await record_change("certificate", "cert-1")
    assert await change_count() == 2


async def test_a_transaction_bumps_the_count_once_when_it_commits_and_not_when_it_fails(clean_db: str) -> None:
    async with atomic():
        await record_change("offer", "offer-1")
        await record_changes("offer", ["offer-2", "offer-3"])
        await record_change("certificate", "cert-1")
    assert await change_count() == 1
    with pytest.raises(RuntimeError):
        async with atomic():
            await record_change("offer", "offer-4")
            raise RuntimeError("the write fails")
    assert await change_count() == 1


async def test_an_open_transaction_that_recorded_a_change_does_not_hold_back_other_writers(
    two_offers: list[str], db_url: str
) -> None:
    """The shared count row is bumped as a transaction's last statement: a long write (an import) that recorded
    changes does not make another writer wait on PostgreSQL (on SQLite writers take turns anyway)."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has one writer at a time whatever the count does")
    before = await change_count()
    async with atomic():
        await record_change("offer", "offer-in-a-long-import")
        # Another process writes and commits while this transaction is still open; it would hang (and time out)
        # if this transaction held the count's row lock.
        _pause_elsewhere(db_url, two_offers[0], record=True, timeout=20)
        assert await change_count() == before + 1  # the other process's bump, committed
    assert await change_count() == before + 2


async def test_a_change_recorded_by_another_process_shows_on_the_next_request(
    client: AsyncTestClient, two_offers: list[str], db_url: str
) -> None:
    page = await client.get("/offers")
    assert card_refs(page.text) == two_offers
    _pause_elsewhere(db_url, two_offers[0], record=True)  # this process hears nothing of it
    page = await client.get("/offers")
    assert card_refs(page.text) == two_offers[1:]
    assert ">1 offer<" in page.text


async def test_a_write_that_records_no_change_is_served_from_the_cache(
    client: AsyncTestClient, two_offers: list[str], db_url: str
) -> None:
    # The control of the test above: the page really comes from the cache, so only the count made it change there.
    page = await client.get("/offers?category=timber")
    assert card_refs(page.text) == two_offers
    _pause_elsewhere(db_url, two_offers[0], record=False)
    page = await client.get("/offers?category=timber")
    assert card_refs(page.text) == two_offers
    microcache.invalidate()
    page = await client.get("/offers?category=timber")
    assert card_refs(page.text) == two_offers[1:]


async def test_the_htmx_fragment_and_the_full_page_show_the_same_change(
    client: AsyncTestClient, two_offers: list[str], db_url: str
) -> None:
    fragment = await client.get("/offers", headers={"HX-Request": "true"})
    assert card_refs(fragment.text) == two_offers
    _pause_elsewhere(db_url, two_offers[1], record=True)
    fragment = await client.get("/offers", headers={"HX-Request": "true"})
    page = await client.get("/offers")
    assert card_refs(fragment.text) == two_offers[:1]
    assert card_refs(page.text) == two_offers[:1]


def _token(html: str) -> str:
    found = re.findall(r'hx-headers=\'\{"x-csrftoken": "([0-9a-f]+)"\}\'', html)
    assert len(found) == 1
    return found[0]


async def test_a_visitor_gets_the_kept_page_with_the_token_of_the_cookie_the_answer_sets(
    client: AsyncTestClient, two_offers: list[str]
) -> None:
    first = await client.get("/offers?claim=FSC+100%25")  # made and kept
    again = await client.get("/offers?claim=FSC+100%25")  # the kept page, the same cookie sent back
    assert again.text == first.text
    assert again.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    client.cookies.clear()
    fresh = await client.get("/offers?claim=FSC+100%25")  # a new visitor: a new token, in the cookie and the page
    token = fresh.cookies["fm_csrf"]
    assert token != _token(first.text)
    assert _token(fresh.text) == token
    assert fresh.text == first.text.replace(_token(first.text), token)
    assert card_refs(fresh.text) == two_offers


async def test_a_signed_in_user_never_gets_the_visitors_page(client: AsyncTestClient, two_offers: list[str]) -> None:
    visitor = await client.get("/offers")
    assert 'data-testid="nav-login"' in visitor.text
    await sign_in(client, await make_user("buyer"))
    page = await client.get("/offers")
    assert 'data-testid="nav-login"' not in page.text
    assert 'data-testid="logout"' in page.text
    assert card_refs(page.text) == two_offers


@pytest.mark.parametrize("locale", ["en", "es_MX", "pt_BR"])
async def test_the_kept_cards_are_the_cards_the_macro_renders(
    client: AsyncTestClient, two_offers: list[str], app: Any, locale: str
) -> None:
    cards.forget()
    env = app.template_engine.engine
    token = set_locale(locale)
    try:
        found = await services.browse_public_offers(services.OfferFilters())
        template = env.get_template("offers/_card.html.jinja2")
        expected = [str(template.module.offer_card(row)) for row in found.rows]
        assert [str(cards.card_html(env, row)) for row in found.rows] == expected  # rendered and kept
        assert [str(cards.card_html(env, row)) for row in found.rows] == expected  # the kept ones
    finally:
        reset_locale(token)
    page = await client.get("/offers", headers={"Accept-Language": locale.replace("_", "-")})
    assert card_refs(page.text) == two_offers
    assert all(card in page.text for card in expected)
