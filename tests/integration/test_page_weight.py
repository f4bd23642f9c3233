"""Light pages for slow connections: compressed responses, cacheable versioned static files, first load < 60 KB."""

from __future__ import annotations

import gzip
import re

from app.web.static_assets import static_version

FIRST_LOAD_BUDGET = 60 * 1024


async def _compressed_size(client, url: str) -> int:
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200, url
    body = response.content
    # httpx decodes the body; measure what went over the wire by compressing it the same way when the server did.
    assert response.headers.get("content-encoding") == "gzip", url
    return len(gzip.compress(body, compresslevel=6))


async def test_first_load_of_home_is_under_budget(client) -> None:
    page = await client.get("/")
    assets = re.findall(r'(?:href|src)="(/static/[^"]+\.(?:css|js))"', page.text)
    assert len(assets) == 2  # one stylesheet, one script (htmx)
    total = await _compressed_size(client, "/")
    for asset in assets:
        total += await _compressed_size(client, asset)
    assert total < FIRST_LOAD_BUDGET


async def test_static_files_have_versioned_names_and_long_cache(client) -> None:
    page = await client.get("/offers")
    css = re.search(r'href="(/static/[^"]+\.css)"', page.text)
    assert css is not None
    assert css.group(1) == f"/static/{static_version()}/css/forestmatch.css"
    response = await client.get(css.group(1))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "max-age=31536000, public"


async def test_pages_send_security_headers_and_http_only_cookies(client) -> None:
    response = await client.get("/login")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "'unsafe-inline'" not in csp
    cookie = response.headers["set-cookie"]
    assert "fm_csrf=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
