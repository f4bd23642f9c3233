"""Response headers on every answer: security headers (also on 404, 405 and error answers), no-store on private
answers, HSTS and Secure cookies behind HTTPS, Vary on language-negotiated answers, a favicon, and an API docs page
whose assets all come from our own origin (the CSP allows nothing else)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from app.web.middleware import CSP
from app.web.static_assets import static_url
from tests.factories import api_token, make_user, sign_in

SECURITY = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


def _security(response) -> dict[str, str | None]:  # type: ignore[no-untyped-def]
    return {name: response.headers.get(name) for name in SECURITY}


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/about", 200),
        ("GET", "/no-such-page", 404),
        ("POST", "/about", 405),
        ("GET", "/api/v1/no-such-thing", 404),
        ("GET", "/api/v1/offers/no-such-offer", 404),
        ("DELETE", "/api/v1/me", 405),
        ("GET", "/api/v1/me", 401),
        ("GET", "/account", 303),
        ("GET", "/favicon.ico", 200),
        ("GET", "/schema/swagger", 200),
    ],
)
async def test_every_answer_carries_the_security_headers(client, method: str, path: str, status: int) -> None:
    response = await client.request(method, path)
    assert response.status_code == status
    assert _security(response) == SECURITY
    assert "strict-transport-security" not in response.headers  # plain HTTP here: no HSTS


async def test_static_files_carry_them_too(client) -> None:
    response = await client.get(static_url("css/forestmatch.css"))
    assert response.status_code == 200
    assert _security(response) == SECURITY
    assert response.headers["cache-control"] == "max-age=31536000, public"
    assert "vary" not in response.headers or "Accept-Language" not in response.headers["vary"]


async def test_private_answers_are_never_stored(client) -> None:
    user = await make_user("producer", email="private@example.org")
    anonymous = await client.get("/offers")
    assert anonymous.status_code == 200
    assert "cache-control" not in anonymous.headers
    token = await api_token(user)
    by_token = await client.get("/api/v1/me", headers=token)
    assert (by_token.status_code, by_token.headers["cache-control"]) == (200, "no-store")
    await sign_in(client, user)
    for path in ("/account", "/api/v1/me", "/offers", "/dashboard"):
        response = await client.get(path)
        assert (response.status_code, response.headers["cache-control"]) == (200, "no-store"), path


async def test_language_negotiated_answers_vary_on_language_and_cookie(client) -> None:
    plain = {"Accept-Encoding": "identity"}
    page = await client.get("/about", headers={**plain, "Accept-Language": "pt-BR"})
    assert page.status_code == 200
    assert page.headers["vary"] == "Accept-Language, Cookie"
    assert '<html lang="pt-BR"' in page.text
    compressed = await client.get("/about", headers={"Accept-Encoding": "gzip"})
    assert compressed.headers["content-encoding"] == "gzip"
    assert compressed.headers["vary"] == "Accept-Encoding, Accept-Language, Cookie"
    missing = await client.get("/no-such-page", headers={**plain, "Accept-Language": "es-MX"})
    assert missing.status_code == 404
    assert missing.headers["vary"] == "Accept-Language, Cookie"
    assert "Página no encontrada" in missing.text  # the 404 page speaks the visitor's language too
    api = await client.get("/api/v1/no-such-thing", headers=plain)
    assert api.headers["vary"] == "Accept-Language, Cookie"


async def test_favicon(client) -> None:
    response = await client.get("/favicon.ico")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/x-icon"
    assert response.headers["cache-control"] == "max-age=86400, public"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/schema", "/schema/swagger"])
async def test_api_docs_load_nothing_from_elsewhere(client, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    html = page.text
    # No inline script or style (the CSP would block them): every script has a src, no <style>, no style="".
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert "<style" not in html and "style=" not in html
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sorted(assets) == sorted(
        [
            "/favicon.ico",
            static_url("vendor/swagger-ui-5.36.0/swagger-ui.css"),
            static_url("vendor/swagger-ui-5.36.0/swagger-ui-bundle.js"),
            static_url("js/api-docs.js"),
            "/schema/openapi.json",  # the plain schema, linked for readers without JavaScript
        ]
    )
    for asset in assets:
        assert (await client.get(asset)).status_code == 200, asset
    assert 'data-spec-url="/schema/openapi.json"' in html
    assert (await client.get("/schema/openapi.json")).status_code == 200


@pytest.mark.parametrize("path", ["/schema/redoc", "/schema/elements", "/schema/rapidoc"])
async def test_docs_viewers_that_need_a_cdn_are_gone(client, path: str) -> None:
    assert (await client.get(path)).status_code == 404


@pytest.fixture(name="https_client")
async def fx_https_client(clean_db: str, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[AsyncTestClient]:
    """The app as deployed behind HTTPS (FORESTMATCH_SECURE_COOKIES=true)."""
    from app.main import create_app
    from app.settings import get_settings

    monkeypatch.setenv("FORESTMATCH_SECURE_COOKIES", "true")
    get_settings.cache_clear()
    try:
        async with AsyncTestClient(app=create_app(), base_url="https://testserver.local") as client:
            client.follow_redirects = False
            yield client
    finally:
        monkeypatch.delenv("FORESTMATCH_SECURE_COOKIES")
        get_settings.cache_clear()


def _cookie_attributes(response, name: str) -> set[str]:  # type: ignore[no-untyped-def]
    cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith(name + "=")]
    assert len(cookies) == 1, cookies
    return {part.strip().lower() for part in cookies[0].split(";")[1:]}


async def test_behind_https_every_answer_has_hsts_and_every_cookie_is_secure(https_client) -> None:
    for path in ("/about", "/no-such-page"):
        response = await https_client.get(path)
        assert response.headers["strict-transport-security"] == "max-age=31536000"
    switched = await https_client.get("/lang/pt_BR", params={"next": "/about"})
    assert switched.status_code == 303
    assert _cookie_attributes(switched, "fm_lang") == {
        "httponly",
        "max-age=31536000",
        "path=/",
        "samesite=lax",
        "secure",
    }
    user = await make_user("buyer", email="https@example.org")
    await sign_in(https_client, user)
    page = await https_client.get("/account")
    assert page.status_code == 200
    assert "secure" in _cookie_attributes(page, "fm_session")
