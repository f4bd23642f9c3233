"""The reader's language: the switch's cookie, then the account's saved language, then Accept-Language."""

from __future__ import annotations

from app.accounts.tables import User
from tests.factories import make_user, sign_in


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


async def test_signed_in_user_language_is_saved_and_used(client) -> None:
    user = await make_user("buyer")
    await sign_in(client, user)
    await client.get("/lang/pt_BR", params={"next": "/"})
    assert (await User.select(User.locale).where(User.id == user.id).first()) == {"locale": "pt_BR"}
    client.cookies.delete("fm_lang")
    response = await client.get("/account", headers={"Accept-Language": "en"})
    assert '<html lang="pt-BR"' in response.text
