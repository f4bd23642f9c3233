"""Forgotten password: a one-time, one-hour link by e-mail (through the mail queue), no account enumeration.

The request only queues the address typed (the same work for every address); the background worker's step
``process_requests`` makes the link and the e-mail for an active account."""

from __future__ import annotations

import datetime as dt
import mailbox
import re
from pathlib import Path

from app.accounts.password_reset import process_requests
from app.accounts.services import authenticate
from app.accounts.tables import PasswordReset, PasswordResetRequest, User
from app.clock import now
from app.notifications.mail import MaildirTransport, drain
from app.notifications.tables import EmailOutbox
from tests.factories import PASSWORD, make_user, post_form
from tests.notify_helpers import delivered as deliver_events

NEW_PASSWORD = "a much longer new secret"


def _link(body: str) -> str:
    match = re.search(r"http://[^/\s]+(/password/reset/[A-Za-z0-9_-]+)", body)
    assert match, body
    return match.group(1)


async def test_reset_by_mailed_link_then_sign_in(client, tmp_path: Path) -> None:
    user = await make_user("buyer", email="ana@example.org")
    await User.update({User.locale: "es_MX"}).where(User.id == user.id)
    await client.get("/password/forgot")
    response = await post_form(client, "/password/forgot", {"email": "  Ana@Example.org "})
    assert response.status_code == 200
    assert 'data-testid="notice-reset-sent"' in response.text
    assert await EmailOutbox.count() == 0  # nothing but the queued request on the request path
    assert await process_requests() == 1
    await deliver_events()  # the mail subscriber queues the recorded e-mail

    mails = await EmailOutbox.select(EmailOutbox.to_address, EmailOutbox.subject, EmailOutbox.locale)
    assert mails == [
        {"to_address": "ana@example.org", "subject": "Elige una nueva contraseña de ForestMatch", "locale": "es_MX"}
    ]
    # The queued mail goes out through the worker's transport like every notification.
    result = await drain(MaildirTransport(path=tmp_path / "maildir"))
    assert result.sent == 1
    delivered = list(mailbox.Maildir(tmp_path / "maildir", create=False))
    assert len(delivered) == 1
    link = _link(delivered[0].get_payload(decode=True).decode())

    page = await client.get(link)
    assert page.status_code == 200
    assert 'data-testid="reset-form"' in page.text
    mismatch = await post_form(client, link, {"password": NEW_PASSWORD, "password_again": "something else!!"})
    assert mismatch.status_code == 422
    assert "The two passwords are not the same." in mismatch.text
    short = await post_form(client, link, {"password": "short", "password_again": "short"})
    assert short.status_code == 422
    assert "Use at least 10 characters." in short.text

    done = await post_form(client, link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert done.status_code == 303
    assert done.headers["location"] == "/login?reset=done"
    assert await authenticate("ana@example.org", NEW_PASSWORD) is not None
    assert await authenticate("ana@example.org", PASSWORD) is None

    # The link works once.
    again = await client.get(link)
    assert again.status_code == 404
    assert 'data-testid="notice-link-expired"' in again.text
    reused = await post_form(
        client, link, {"password": "yet another password", "password_again": "yet another password"}
    )
    assert reused.status_code == 404
    assert await authenticate("ana@example.org", NEW_PASSWORD) is not None


async def test_unknown_address_gets_the_same_answer_and_no_mail(client) -> None:
    await make_user("producer", email="known@example.org")
    await client.get("/password/forgot")
    unknown = await post_form(client, "/password/forgot", {"email": "nobody@example.org"})
    assert unknown.status_code == 200
    assert 'data-testid="notice-reset-sent"' in unknown.text
    assert await process_requests() == 0
    assert await PasswordResetRequest.count() == 0
    assert await EmailOutbox.count() == 0
    assert await PasswordReset.count() == 0
    empty = await post_form(client, "/password/forgot", {"email": ""})
    assert empty.status_code == 422
    assert "Enter an e-mail address." in empty.text


async def test_expired_link_and_rate_limit(client) -> None:
    user = await make_user("producer", email="late@example.org")
    await client.get("/password/forgot")
    assert (await post_form(client, "/password/forgot", {"email": "late@example.org"})).status_code == 200
    assert await process_requests() == 1
    await deliver_events()  # the mail subscriber queues the recorded e-mail
    body = (await EmailOutbox.select(EmailOutbox.body).first())["body"]
    link = _link(body)
    await PasswordReset.update({PasswordReset.expires_at: now() - dt.timedelta(minutes=1)}).where(
        PasswordReset.user == user.id
    )
    expired = await post_form(client, link, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert expired.status_code == 404
    assert await authenticate("late@example.org", PASSWORD) is not None

    statuses = [
        (await post_form(client, "/password/forgot", {"email": "late@example.org"})).status_code for _ in range(6)
    ]
    # Login limit defaults to 5 attempts per window; the first request above already counted.
    assert statuses == [200, 200, 200, 200, 422, 422]
    assert await process_requests() == 4
    await deliver_events()
    assert await EmailOutbox.count() == 5


async def test_known_and_unknown_addresses_take_the_same_path(client) -> None:
    """The request path does the same work for an address with an account and one without: one queued row of the
    same shape, no link, no e-mail. Only the worker's step, off the request path, tells them apart."""
    await make_user("producer", email="member@example.org")
    await client.get("/password/forgot")
    for email in ("Member@example.org", "stranger@example.org"):
        response = await post_form(client, "/password/forgot", {"email": email})
        assert response.status_code == 200
        assert 'data-testid="notice-reset-sent"' in response.text
    queued = await PasswordResetRequest.select(PasswordResetRequest.email, PasswordResetRequest.locale).order_by(
        PasswordResetRequest.id
    )
    assert queued == [
        {"email": "member@example.org", "locale": "en"},
        {"email": "stranger@example.org", "locale": "en"},
    ]
    assert (await PasswordReset.count(), await EmailOutbox.count()) == (0, 0)
    assert await process_requests() == 1
    await deliver_events()  # the mail subscriber queues the recorded e-mail
    assert await PasswordResetRequest.count() == 0
    mails = await EmailOutbox.select(EmailOutbox.to_address, EmailOutbox.locale)
    assert mails == [{"to_address": "member@example.org", "locale": "en"}]


async def test_new_password_ends_other_sessions(app, clean_db) -> None:
    from litestar.testing import AsyncTestClient

    from tests.factories import sign_in

    user = await make_user("producer", email="two-phones@example.org")
    async with (
        AsyncTestClient(app=app, base_url="http://testserver.local") as phone,
        AsyncTestClient(app=app, base_url="http://testserver.local") as laptop,
    ):
        phone.follow_redirects = laptop.follow_redirects = False
        await sign_in(phone, user)
        await sign_in(laptop, user)
        assert (await laptop.get("/account")).status_code == 200
        changed = await post_form(
            phone,
            "/account/password",
            {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD},
        )
        assert changed.status_code == 303, changed.text
        assert (await phone.get("/account")).status_code == 200  # the session that changed it carries on
        stale = await laptop.get("/account")
        assert stale.status_code == 303  # the other session ended: back to sign in
        assert stale.headers["location"].startswith("/login")
