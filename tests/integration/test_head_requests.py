"""HEAD is answered wherever GET is (monitors, link checkers, caches): same status and headers, no body."""

from __future__ import annotations

import re

from litestar.testing import AsyncTestClient

from tests.factories import make_certificate, make_offer, make_user


async def test_head_answers_like_get_without_a_body(client: AsyncTestClient) -> None:
    producer = await make_user("producer")
    offer = await make_offer(producer, (await make_certificate(producer))["ref"])
    home = await client.get("/")
    stylesheet = re.search(r'href="([^"]+/forestmatch\.css)"', home.text)
    assert stylesheet is not None
    pages = ["/", "/offers", f"/offers/{offer['ref']}", "/api/v1/search/offers?q=pino", stylesheet.group(1)]
    for path in pages:
        got = await client.get(path)
        head = await client.head(path)
        assert (path, head.status_code) == (path, 200)
        assert head.content == b""
        assert head.headers["content-type"] == got.headers["content-type"]
        assert head.headers["content-security-policy"] == got.headers["content-security-policy"]
        assert head.headers["content-length"] == got.headers["content-length"]
    # What GET does not answer, HEAD does not either.
    missing = await client.head("/offers/offer-that-does-not-exist")
    assert (missing.status_code, missing.content) == (404, b"")
    assert (await client.head("/logout")).status_code == 405  # POST only
    private = await client.head("/dashboard")
    assert (private.status_code, private.headers["location"]) == (303, "/login?next=/dashboard")
