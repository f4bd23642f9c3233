"""Signing out ends the session on the server: a session cookie copied before logout no longer signs anyone in.

The same holds when staff deactivate the account (every session of it ends, and stays ended if the account is
reactivated) and when the password changes (every other session ends; the one that changed it carries on).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from app.accounts import services
from app.accounts.tables import UserSession
from tests.factories import PASSWORD, make_user, post_form, sign_in

NEW_PASSWORD = "a much longer new secret"


@pytest.fixture(name="browser")
async def fx_browser(app: object, clean_db: str) -> AsyncIterator[AsyncTestClient]:
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:  # type: ignore[arg-type]
        client.follow_redirects = False
        yield client


async def _replay(app: object, session_cookie: str, path: str) -> tuple[int, str]:
    """Send only a copied session cookie, from a client that never signed in (a thief's)."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as thief:  # type: ignore[arg-type]
        thief.follow_redirects = False
        thief.cookies.set("fm_session", session_cookie)
        response = await thief.get(path)
        return response.status_code, response.headers.get("location", "")


async def test_a_cookie_copied_before_logout_no_longer_works(app: object, browser: AsyncTestClient) -> None:
    user = await make_user("producer", email="leaves-the-cafe@example.org")
    await sign_in(browser, user)
    copied = browser.cookies.get("fm_session")
    assert copied
    assert await _replay(app, copied, "/account") == (200, "")  # the copy works while the session lasts
    assert await UserSession.count().where(UserSession.user == user.id) == 1

    logged_out = await post_form(browser, "/logout", {})
    assert logged_out.status_code == 303
    assert await UserSession.count().where(UserSession.user == user.id) == 0
    assert await _replay(app, copied, "/account") == (303, "/login?next=/account")
    assert await _replay(app, copied, "/api/v1/me") == (401, "")


async def test_deactivation_ends_every_session_for_good(app: object, browser: AsyncTestClient, clean_db: str) -> None:
    user = await make_user("buyer", email="leaves-the-company@example.org")
    staff = await make_user("staff", email="staff-deactivates@example.org")
    await sign_in(browser, user)
    copied = browser.cookies.get("fm_session")
    assert copied
    await services.set_user_active(staff, user.id, False)
    assert await UserSession.count().where(UserSession.user == user.id) == 0
    assert (await browser.get("/account")).status_code == 303
    # Reactivated later: the old sessions do not come back to life.
    await services.set_user_active(staff, user.id, True)
    assert await _replay(app, copied, "/api/v1/me") == (401, "")


async def test_a_new_password_ends_the_other_sessions_and_keeps_this_one(app: object, clean_db: str) -> None:
    user = await make_user("producer", email="lost-phone@example.org")
    async with (
        AsyncTestClient(app=app, base_url="http://testserver.local") as laptop,  # type: ignore[arg-type]
        AsyncTestClient(app=app, base_url="http://testserver.local") as phone,  # type: ignore[arg-type]
    ):
        laptop.follow_redirects = phone.follow_redirects = False
        await sign_in(laptop, user)
        await sign_in(phone, user)
        phone_cookie = phone.cookies.get("fm_session")
        assert phone_cookie
        changed = await post_form(
            laptop, "/account/password", {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
        )
        assert changed.status_code == 303
        assert (await laptop.get("/account")).status_code == 200
        assert await UserSession.count().where(UserSession.user == user.id) == 1
    assert await _replay(app, phone_cookie, "/api/v1/me") == (401, "")


async def test_a_cookie_from_before_this_change_signs_nobody_in(app: object, clean_db: str) -> None:
    """Cookies of the old shape (user id and password stamp, no session on the server) are refused: such a cookie
    could not be ended by a logout, so its holder signs in again once."""
    import hashlib

    from litestar.middleware.session.client_side import ClientSideSessionBackend

    from app.accounts.tables import User
    from app.settings import get_settings
    from app.web.config import session_config

    user = await make_user("producer", email="old-cookie@example.org")
    row = await User.select(User.password_hash).where(User.id == user.id).first()
    assert row is not None
    stamp = hashlib.sha256(row["password_hash"].encode()).hexdigest()[:16]
    backend = ClientSideSessionBackend(config=session_config(get_settings()))
    old = backend.dump_data({"uid": user.id, "stamp": stamp})
    assert len(old) == 1
    assert await _replay(app, old[0].decode(), "/api/v1/me") == (401, "")


async def test_a_used_session_slides_forward_and_an_unused_one_runs_out(app: object, browser: AsyncTestClient) -> None:
    import datetime as dt

    from app.accounts.sessions import LIFETIME
    from app.clock import now

    user = await make_user("buyer", email="comes-back-daily@example.org")
    await sign_in(browser, user)
    soon = now() + dt.timedelta(hours=1)
    await UserSession.update({UserSession.expires_at: soon}).where(UserSession.user == user.id)
    assert (await browser.get("/account")).status_code == 200
    row = await UserSession.select(UserSession.expires_at).where(UserSession.user == user.id).first()
    assert row is not None
    assert row["expires_at"] > now() + LIFETIME - dt.timedelta(minutes=1)
    gone = now() - dt.timedelta(seconds=1)
    await UserSession.update({UserSession.expires_at: gone}).where(UserSession.user == user.id)
    assert (await browser.get("/account")).status_code == 303
