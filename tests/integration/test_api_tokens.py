"""API tokens authenticate integrations; revoked or unknown tokens are refused."""

from __future__ import annotations

from app.accounts import services as accounts
from tests.factories import api_token, make_user


async def test_token_authenticates_api_request(client) -> None:
    user = await make_user("buyer", email="buyer@example.org")
    response = await client.get("/api/v1/me", headers=await api_token(user))
    assert response.status_code == 200
    assert response.json() == {
        "email": "buyer@example.org",
        "name": "",
        "role": "buyer",
        "organization": user.organization_ref,
        "locale": "",
    }


async def test_unknown_token_is_refused(client) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer fm_not-a-token"})
    assert response.status_code == 401


async def test_revoked_token_is_refused(client) -> None:
    user = await make_user("producer")
    token = await accounts.create_api_token(user, "ci")
    tokens = await accounts.list_api_tokens(user)
    await accounts.revoke_api_token(user, tokens[0]["id"])
    response = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401


async def test_anonymous_api_request_is_refused(client) -> None:
    response = await client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["detail"] == "Sign in or send a valid API token."
