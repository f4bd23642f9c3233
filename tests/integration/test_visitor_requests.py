"""A visitor's requests take shortcuts through the middleware (``app.web.middleware``: no session cookie, a safe
method) and the offer list reads its rows on the caller's thread on SQLite (``app.offers.reads``); what they answer
is what Litestar's own middleware and Piccolo's query would: these tests hold the two side by side."""

from __future__ import annotations

import re

from litestar.datastructures import Cookie

from app.db import atomic
from app.offers import reads
from app.offers.tables import Offer
from app.settings import get_settings
from app.web.config import CSRF_COOKIE
from tests.factories import make_certificate, make_offer, make_user, sign_in


def _page_token(html: str) -> str:
    found = re.search(r'hx-headers=\'\{"x-csrftoken": "([0-9a-f]+)"\}\'', html)
    assert found is not None
    return found.group(1)


async def test_a_first_visit_gets_the_csrf_cookie_litestar_writes(client) -> None:
    response = await client.get("/offers")
    assert response.status_code == 200
    token = _page_token(response.text)
    expected = Cookie(
        key=CSRF_COOKIE,
        value=token,
        path="/",
        secure=get_settings().secure_cookies,
        httponly=True,
        samesite="lax",
    ).to_header(header="")
    assert response.headers.get_list("set-cookie") == [expected]
    # The token works: a form posted with it is checked for its fields, not refused (403).
    response = await client.post("/login", data={"email": "nobody@example.org", "password": "x", "_csrf_token": token})
    assert response.status_code == 422


async def test_a_returning_visitor_keeps_its_token_and_gets_no_cookie(client) -> None:
    first = _page_token((await client.get("/offers")).text)
    response = await client.get("/offers?page=2")
    assert response.status_code == 200
    assert _page_token(response.text) == first
    assert response.headers.get_list("set-cookie") == []


async def test_a_post_without_the_token_is_still_refused(client) -> None:
    await client.get("/offers")
    response = await client.post("/login", data={"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 403


async def test_signing_in_without_a_session_cookie_starts_a_session(client) -> None:
    user = await make_user("buyer", email="visitor-signs-in@example.org")
    await sign_in(client, user)
    assert client.cookies.get("fm_session")
    response = await client.get("/account")
    assert response.status_code == 200
    assert "visitor-signs-in@example.org" in response.text


async def test_a_session_cookie_that_names_no_session_is_cleared(client) -> None:
    client.cookies.set("fm_session", "not-a-session")
    response = await client.get("/offers")
    assert response.status_code == 200
    cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith("fm_session=")]
    assert len(cleared) == 1
    assert re.fullmatch(r"fm_session=null; expires=[^;]+ GMT; HttpOnly; Path=/; SameSite=lax", cleared[0])


async def test_the_offer_lists_read_answers_as_piccolo_does_and_sees_each_commit(client) -> None:
    producer = await make_user("producer", email="reads@example.org")
    cert = await make_certificate(producer)
    first = await make_offer(producer, cert["ref"], title="First lot")
    sql = (
        "SELECT o.id, o.ref, o.title, o.available_from, o.price_amount, o.created_at FROM offer o "
        "WHERE o.ref IN ({}, {})"
    )
    assert await reads.read(Offer, sql, first["ref"], "none") == await Offer.raw(sql, first["ref"], "none")
    second = await make_offer(producer, cert["ref"], title="Second lot")
    rows = await reads.read(Offer, sql, first["ref"], second["ref"])
    assert sorted(r["title"] for r in rows) == ["First lot", "Second lot"]
    assert rows == await Offer.raw(sql, first["ref"], second["ref"])


async def test_the_offer_lists_read_inside_a_transaction_sees_its_writes(client) -> None:
    producer = await make_user("producer", email="reads-in-txn@example.org")
    cert = await make_certificate(producer)
    offer = await make_offer(producer, cert["ref"], title="Before")
    async with atomic():
        await Offer.raw("UPDATE offer SET title = {} WHERE ref = {}", "Renamed", offer["ref"])
        rows = await reads.read(Offer, "SELECT title FROM offer WHERE ref = {}", offer["ref"])
        assert rows == [{"title": "Renamed"}]
