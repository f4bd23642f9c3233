"""Guards stated once per router: every handler in the group is guarded, and OPTIONS answers stay open."""

from __future__ import annotations

from tests.factories import api_token, certificate_data, make_user


async def test_anonymous_options_on_a_guarded_path_lists_its_methods(client) -> None:
    response = await client.options("/staff/users")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, OPTIONS"


async def test_anonymous_options_on_a_path_with_a_role_guard_on_top_of_the_router(client) -> None:
    response = await client.options("/api/v1/certificates")
    assert response.status_code == 204


async def test_router_guard_answers_anonymous_page_requests_with_the_login_redirect(client) -> None:
    response = await client.get("/staff/users")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/staff/users"


async def test_router_guard_and_handler_guard_both_apply(client) -> None:
    buyer = await api_token(await make_user("buyer"))
    assert (await client.get("/api/v1/certificates", headers=buyer)).status_code == 200
    assert (await client.post("/api/v1/certificates", json=certificate_data(), headers=buyer)).status_code == 403
