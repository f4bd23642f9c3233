"""The reader's language: the switch's cookie, then the account's saved language, then Accept-Language."""

from __future__ import annotations

import re

from app.accounts.tables import User
from tests.factories import make_user, post_form, sign_in


async def test_accept_language_picks_portuguese(client) -> None:
    response = await client.get("/login", headers={"Accept-Language": "pt-BR,pt;q=0.9"})
    assert response.status_code == 200
    assert '<html lang="pt-BR"' in response.text
    assert "Entrar" in response.text


async def test_language_switch_sets_cookie_and_wins_over_header(client) -> None:
    switched = await client.get("/lang/es_MX", params={"next": "/login"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    response = await client.get("/login", headers={"Accept-Language": "en"})
    assert '<html lang="es-MX"' in response.text
    assert "Iniciar sesión" in response.text


async def test_switch_ignores_offsite_next_and_unknown_language(client) -> None:
    response = await client.get("/lang/fr", params={"next": "https://evil.example/"})
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert "fm_lang" not in response.headers.get("set-cookie", "")


async def test_signed_in_user_saves_the_language_with_a_post(client) -> None:
    user = await make_user("buyer")
    await sign_in(client, user)
    saved = await post_form(client, "/lang/pt_BR", {"next": "/account"})
    assert saved.status_code == 303
    assert saved.headers["location"] == "/account"
    assert (await User.select(User.locale).where(User.id == user.id).first()) == {"locale": "pt_BR"}
    client.cookies.delete("fm_lang")
    response = await client.get("/account", headers={"Accept-Language": "en"})
    assert '<html lang="pt-BR"' in response.text


async def test_a_get_only_sets_the_visitor_cookie_never_the_saved_language(client) -> None:
    """A link (or an image, or another site) can make a browser GET /lang/...: that must not change the account."""
    user = await make_user("buyer")
    await User.update({User.locale: "es_MX"}).where(User.id == user.id)
    await sign_in(client, user)
    switched = await client.get("/lang/pt_BR", params={"next": "/account"})
    assert switched.status_code == 303
    assert "fm_lang=pt_BR" in switched.headers["set-cookie"]
    assert (await User.select(User.locale).where(User.id == user.id).first()) == {"locale": "es_MX"}
    page = await client.get("/account")
    assert '<html lang="pt-BR"' in page.text  # this browser reads Portuguese all the same


async def test_saving_the_language_needs_the_csrf_token(client) -> None:
    user = await make_user("producer")
    await User.update({User.locale: "es_MX"}).where(User.id == user.id)
    await sign_in(client, user)
    forged = await client.post("/lang/pt_BR", data={"next": "/account"})
    assert forged.status_code == 403
    assert (await User.select(User.locale).where(User.id == user.id).first()) == {"locale": "es_MX"}


async def test_a_visitor_can_post_the_switch_too(client) -> None:
    await client.get("/login")
    switched = await post_form(client, "/lang/pt_BR", {"next": "/login"})
    assert switched.status_code == 303
    assert switched.headers["location"] == "/login"
    assert '<html lang="pt-BR"' in (await client.get("/login")).text
    unknown = await post_form(client, "/lang/fr", {"next": "https://evil.example/"})
    assert (unknown.status_code, unknown.headers["location"]) == (303, "/")


async def test_the_account_page_saves_the_language_with_forms(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    page = await client.get("/account")
    assert page.status_code == 200
    for code in ("es_MX", "en", "pt_BR"):
        form = re.search(rf'<form method="post" action="/lang/{code}"[^>]*>(.*?)</form>', page.text, re.S)
        assert form is not None, code
        assert 'name="_csrf_token"' in form.group(1)
        assert 'name="next" value="/account"' in form.group(1)
        assert f'data-testid="account-lang-{code}"' in form.group(1)
    assert 'href="/lang/' not in page.text.split('id="language-title"')[1].split("</section>")[0]
