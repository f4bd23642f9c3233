"""Numbers no record can have (beyond 64 bits) get a 4xx like any other wrong id or page, never a 500.

Found by fuzzing the OpenAPI schema (schemathesis, not part of the suite): the database drivers refuse such
integers (SQLite: OverflowError), so they must be stopped before a query."""

from __future__ import annotations

from litestar.testing import AsyncTestClient

from app.notifications.services import Alert, deliver
from tests.factories import api_token, make_user, sign_in

HUGE = -693433554597791300967202816


async def test_huge_ids_and_pages_are_refused_cleanly(client: AsyncTestClient) -> None:
    buyer = await make_user("buyer")
    headers = await api_token(buyer)
    assert await deliver(Alert("message", "message:1", {"org": "X", "excerpt": "hola"}, "/"), [buyer.id]) == [buyer.id]

    conversation = await client.get(f"/api/v1/conversations/{HUGE}", headers=headers)
    assert (conversation.status_code, conversation.json()["detail"]) == (404, "Not found.")

    page = await client.get("/api/v1/notifications?unread=true&page=4422422818686071887364096", headers=headers)
    assert page.status_code == 400
    assert [e["field"] for e in page.json()["errors"]] == ["page"]
    last = await client.get("/api/v1/notifications?page=10000", headers=headers)
    assert (last.status_code, last.json()["items"], last.json()["total"]) == (200, [], 1)

    marked = await client.post(
        "/api/v1/notifications/mark-read", json={"ids": [5943, 37806600630938731409685170094080]}, headers=headers
    )
    assert marked.status_code == 400
    assert marked.json()["errors"][0]["field"].startswith("ids")

    await sign_in(client, buyer)
    html = await client.get(f"/conversations/{HUGE}")
    assert html.status_code == 404
    centre = await client.get("/notifications?page=4422422818686071887364096")
    assert centre.status_code == 200
    assert "hola" not in centre.text  # the page past the last one: empty, not an error


async def test_page_numbers_in_other_digits_are_field_errors(client: AsyncTestClient) -> None:
    """'¹' passes str.isdigit() but not int(): the search answered 500 for ?page=¹."""
    search = await client.get("/api/v1/search/offers", params={"q": "pino", "page": "¹"})
    assert search.status_code == 400
    assert [e["field"] for e in search.json()["errors"]] == ["page"]
    listing = await client.get("/offers", params={"page": "¹"})
    assert listing.status_code == 200  # the list falls back to its first page
    page = await client.get("/search", params={"q": "pino", "page": "٣"})  # Arabic-Indic three
    assert page.status_code == 200  # the page shows the field's message inline
    assert "Enter a page number from 1 to" in page.text
