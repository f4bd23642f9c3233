"""Two app processes over one PostgreSQL database share sessions, CSRF and the sign-in rate limit.

Nothing lives in a process: a session started on one instance works on the other, and failed sign-ins
counted on one instance block the next try on the other.
"""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.factories import PASSWORD, make_user
from tests.server import AppServer


def _csrf(client: httpx.AsyncClient) -> str:
    token = client.cookies.get("fm_csrf")
    assert token
    return token


async def test_two_instances_share_sessions_csrf_and_rate_limit(db_url: str, tmp_path: Path) -> None:
    if not db_url.startswith("postgresql"):
        pytest.skip("the multi-worker deployment runs on PostgreSQL")
    user = await make_user("producer", email="two-workers@example.org")
    victim = await make_user("buyer", email="victim@example.org")
    env = {"FORESTMATCH_SECRET_KEY": "shared-secret-for-both-instances-0123456789"}
    with AppServer(db_url, tmp_path / "a", extra_env=env) as a, AppServer(db_url, tmp_path / "b", extra_env=env) as b:
        async with httpx.AsyncClient(timeout=10) as browser:
            await browser.get(f"{a.url}/login")
            signed = await browser.post(
                f"{a.url}/login", data={"email": user.email, "password": PASSWORD, "_csrf_token": _csrf(browser)}
            )
            assert signed.status_code == 303
            # The session cookie from A is honoured by B.
            account = await browser.get(f"{b.url}/account")
            assert account.status_code == 200
            assert "two-workers@example.org" in account.text
            # A CSRF token issued by A is accepted by B for a write.
            created = await browser.post(
                f"{b.url}/account/tokens", data={"name": "from-b", "_csrf_token": _csrf(browser)}
            )
            assert created.status_code == 200
            token = re.search(r'data-testid="new-token"[^>]*>\s*(fm_[A-Za-z0-9_\-]+)', created.text)
            assert token is not None
            me = await browser.get(f"{a.url}/api/v1/me", headers={"Authorization": f"Bearer {token.group(1)}"})
            assert me.status_code == 200

        # Five failures spread over both instances exhaust the shared limit for that e-mail.
        async with httpx.AsyncClient(timeout=10) as attacker:
            for server in (a, b, a, b, a):
                await attacker.get(f"{server.url}/login")
                failed = await attacker.post(
                    f"{server.url}/login",
                    data={"email": victim.email, "password": "wrong-pass-1", "_csrf_token": _csrf(attacker)},
                )
                assert failed.status_code == 422
            await attacker.get(f"{b.url}/login")
            blocked = await attacker.post(
                f"{b.url}/login", data={"email": victim.email, "password": PASSWORD, "_csrf_token": _csrf(attacker)}
            )
            assert blocked.status_code == 422
            assert "Too many failed attempts" in blocked.text


async def test_logout_on_one_instance_ends_the_session_on_the_other(db_url: str, tmp_path: Path) -> None:
    """A session cookie copied before logout is refused by every worker, not only the one that signed it out."""
    if not db_url.startswith("postgresql"):
        pytest.skip("the multi-worker deployment runs on PostgreSQL")
    user = await make_user("producer", email="signs-out@example.org")
    env = {"FORESTMATCH_SECRET_KEY": "shared-secret-for-both-instances-0123456789"}
    with AppServer(db_url, tmp_path / "a", extra_env=env) as a, AppServer(db_url, tmp_path / "b", extra_env=env) as b:
        async with httpx.AsyncClient(timeout=10) as browser:
            await browser.get(f"{a.url}/login")
            signed = await browser.post(
                f"{a.url}/login", data={"email": user.email, "password": PASSWORD, "_csrf_token": _csrf(browser)}
            )
            assert signed.status_code == 303
            copied = browser.cookies.get("fm_session")
            assert copied
            assert (await browser.get(f"{a.url}/api/v1/me")).status_code == 200
            logged_out = await browser.post(f"{b.url}/logout", data={"_csrf_token": _csrf(browser)})
            assert logged_out.status_code == 303
        async with httpx.AsyncClient(timeout=10) as thief:
            thief.cookies.set("fm_session", copied)
            for server in (a, b):
                me = await thief.get(f"{server.url}/api/v1/me")
                assert me.status_code == 401
                page = await thief.get(f"{server.url}/account")
                assert (page.status_code, page.headers["location"]) == (303, "/login?next=/account")
