"""Sign-up, sign-in, account and organisation pages through the real forms."""

from __future__ import annotations

import re

import pytest

from app.accounts.tables import ApiToken, Organization, User
from tests.factories import PASSWORD, make_user, post_form, sign_in


@pytest.fixture(name="client")
async def fx_client(client):
    """The shared client, not following redirects: the 303 after each write is asserted."""
    client.follow_redirects = False
    yield client


SIGNUP = {
    "role": "buyer",
    "organization_name": "Maderas del Bajío",
    "country": "mx",
    "name": "Lucía Pérez",
    "email": "Lucia@Example.org",
    "password": "pino encino cedro",
}


async def test_sign_up_creates_organisation_and_user_and_signs_in(client) -> None:
    await client.get("/signup")
    response = await post_form(client, "/signup", SIGNUP)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/organization"
    user = await User.select(User.role, User.name, User.organization).where(User.email == "lucia@example.org").first()
    assert user is not None
    assert user["role"] == "buyer"
    assert user["name"] == "Lucía Pérez"
    org = await Organization.select().where(Organization.id == user["organization"]).first()
    assert org["kind"] == "buyer"
    assert org["name"] == "Maderas del Bajío"
    assert org["country"] == "MX"
    page = await client.get("/account")
    assert page.status_code == 200
    assert "lucia@example.org" in page.text


async def test_sign_up_with_taken_email_shows_message(client) -> None:
    await make_user("producer", email="lucia@example.org")
    await client.get("/signup")
    response = await post_form(client, "/signup", SIGNUP)
    assert response.status_code == 422
    assert "An account with this e-mail already exists. Sign in instead." in response.text
    assert 'value="Maderas del Bajío"' in response.text  # entered values are kept
    assert await User.count().where(User.email == "lucia@example.org") == 1
    assert await Organization.count().where(Organization.name == "Maderas del Bajío") == 0


async def test_wrong_password_is_refused_inline(client) -> None:
    user = await make_user("producer")
    await client.get("/login")
    response = await post_form(client, "/login", {"email": user.email, "password": "not the password"})
    assert response.status_code == 422
    assert "E-mail or password is not right." in response.text
    assert f'value="{user.email}"' in response.text
    assert (await client.get("/account")).status_code == 303


async def test_sixth_attempt_is_refused_even_with_right_password(client) -> None:
    user = await make_user("producer")
    await client.get("/login")
    for _ in range(5):
        response = await post_form(client, "/login", {"email": user.email, "password": "not the password"})
        assert response.status_code == 422
    response = await post_form(client, "/login", {"email": user.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "Too many failed attempts. Wait a few minutes and try again." in response.text
    assert (await client.get("/account")).status_code == 303


async def test_session_cookie_is_httponly_and_samesite_lax(client) -> None:
    user = await make_user("buyer")
    await client.get("/login")
    response = await post_form(client, "/login", {"email": user.email, "password": PASSWORD, "next": "/account"})
    assert response.status_code == 303
    assert response.headers["location"] == "/account"
    session_cookies = [c for c in response.headers.get_list("set-cookie") if c.startswith("fm_session")]
    assert len(session_cookies) == 1
    attributes = {part.strip().lower() for part in session_cookies[0].split(";")[1:]}
    assert "httponly" in attributes
    assert "samesite=lax" in attributes


async def test_login_without_csrf_token_is_forbidden(client) -> None:
    user = await make_user("buyer")
    await client.get("/login")
    response = await client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 403
    assert (await client.get("/account")).status_code == 303


async def test_next_outside_the_site_is_ignored(client) -> None:
    user = await make_user("buyer")
    await client.get("/login")
    response = await post_form(
        client, "/login", {"email": user.email, "password": PASSWORD, "next": "https://evil.example/"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/dashboard"


async def test_api_token_from_account_page_works_until_revoked(client) -> None:
    user = await make_user("producer", email="forest@example.org")
    await sign_in(client, user)
    response = await post_form(client, "/account/tokens", {"name": "stock system"})
    assert response.status_code == 200
    match = re.search(r'<code data-testid="new-token">(fm_[A-Za-z0-9_-]+)</code>', response.text)
    assert match is not None
    token = match.group(1)
    headers = {"Authorization": f"Bearer {token}"}
    me = await client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["email"] == "forest@example.org"

    account = await client.get("/account")
    assert token not in account.text  # shown once only
    assert "stock system" in account.text
    row = await ApiToken.select(ApiToken.id).where(ApiToken.user == user.id).first()
    revoke = await post_form(client, f"/account/tokens/{row['id']}/revoke", {})
    assert revoke.status_code == 303
    assert (await client.get("/api/v1/me", headers=headers)).status_code == 401


async def test_token_without_name_is_refused(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    response = await post_form(client, "/account/tokens", {"name": ""})
    assert response.status_code == 422
    assert 'data-testid="new-token"' not in response.text
    assert await ApiToken.count().where(ApiToken.user == user.id) == 0


async def test_change_password_with_wrong_current_password(client) -> None:
    user = await make_user("buyer")
    await sign_in(client, user)
    response = await post_form(
        client, "/account/password", {"current_password": "not the password", "new_password": "a brand new passphrase"}
    )
    assert response.status_code == 422
    assert "The current password is not right." in response.text
    ok = await post_form(
        client, "/account/password", {"current_password": PASSWORD, "new_password": "a brand new passphrase"}
    )
    assert ok.status_code == 303
    assert ok.headers["location"] == "/account?saved=password"
    assert "Your password was changed." in (await client.get("/account?saved=password")).text


async def test_organisation_profile_saves_and_shows_notice(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    form = {
        "name": "Ejido El Largo",
        "legal_form": "ejido",
        "country": "MX",
        "region": "mx-chh",
        "locality": "Madera",
        "lat": "29.19",
        "lon": "-108.14",
        "contact_email": "ventas@ellargo.example",
        "languages": "es, en",
        "description": "Pino y encino certificados.",
    }
    response = await post_form(client, "/my/organization", form)
    assert response.status_code == 303
    assert response.headers["location"] == "/my/organization?saved=1"
    page = await client.get("/my/organization?saved=1")
    assert "The profile was saved." in page.text
    assert 'value="es, en"' in page.text
    org = await Organization.select().where(Organization.id == user.organization_id).output(load_json=True).first()
    assert (org["name"], org["legal_form"], org["region"], org["lat"], org["lon"]) == (
        "Ejido El Largo",
        "ejido",
        "MX-CHH",
        29.19,
        -108.14,
    )
    assert org["languages"] == ["es", "en"]


async def test_organisation_region_outside_country_is_refused(client) -> None:
    user = await make_user("producer")
    await sign_in(client, user)
    response = await post_form(client, "/my/organization", {"name": "Ejido", "country": "MX", "region": "GT-17"})
    assert response.status_code == 422
    assert "Petén is in Guatemala, not in Mexico: choose a region of Mexico." in response.text
    assert '<option value="GT-17" selected>Petén</option>' in response.text  # the entered value is kept, named
