"""The e-mail outbox: local maildir, a real SMTP server (aiosmtpd), a server that is down, a worker killed after
sending, and several workers claiming at once."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import mailbox
import os
import socket
import subprocess
import sys
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from app.notifications import mail
from app.notifications.services import Alert, deliver
from app.notifications.tables import EmailOutbox
from tests.factories import make_user
from tests.notify_helpers import set_language

SENDER = "ForestMatch <noreply@forestmatch.local>"


class _Inbox:
    """aiosmtpd handler keeping what it received; refuses recipients listed in ``refuse``."""

    def __init__(self, refuse: tuple[str, ...] = ()) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=default_policy))
        return "250 Message accepted"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _smtp(port: int) -> mail.SmtpTransport:
    return mail.SmtpTransport(host="127.0.0.1", port=port, starttls=False, timeout=5)


async def _queue(n: int = 1, *, locale: str = "") -> list[Any]:
    """n users, each with one queued notification e-mail."""
    users = []
    for i in range(n):
        user = await make_user("buyer")
        if locale:
            await set_language(user, locale)
        alert = Alert("message", f"message:{i}", {"org": "Ejido El Largo", "excerpt": "¿Tienen 40 m³?"}, "/x")
        assert await deliver(alert, [user.id]) == [user.id]
        users.append(user)
    return users


def _files(maildir: Path) -> list[str]:
    return sorted(os.listdir(maildir / "new")) + sorted(os.listdir(maildir / "cur"))


async def _rows() -> list[dict[str, Any]]:
    return await EmailOutbox.select().order_by(EmailOutbox.id)


async def test_maildir_delivery_once_with_fixed_message_id(clean_db, tmp_path: Path) -> None:
    (user,) = await _queue(locale="pt_BR")
    transport = mail.MaildirTransport(tmp_path / "maildir")
    result = await mail.drain(transport)
    assert (result.sent, result.retry, result.failed) == (1, 0, 0)
    row = (await _rows())[0]
    assert row["status"] == "sent" and row["attempts"] == 1 and row["sent_at"] is not None
    box = mailbox.Maildir(tmp_path / "maildir", factory=None, create=False)
    messages = [email.message_from_bytes(bytes(m), policy=default_policy) for m in box]
    assert len(messages) == 1
    message = messages[0]
    assert message["Message-ID"] == row["message_id"]
    assert message["To"] == user.email
    assert message["Subject"] == "Nova mensagem de Ejido El Largo"
    assert message["Content-Language"] == "pt-BR"
    assert "¿Tienen 40 m³?" in message.get_content()
    # Nothing is due any more.
    assert (await mail.drain(transport)).sent == 0
    assert len(_files(tmp_path / "maildir")) == 1


def _run(db_url: str, var_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "FORESTMATCH_DATABASE_URL": db_url, "FORESTMATCH_VAR_DIR": str(var_dir)}
    env.pop("FORESTMATCH_SMTP_HOST", None)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=180, check=False)


# Claims and delivers like the worker, then dies before it can mark anything sent.
_CRASHING_WORKER = """
import asyncio, os, signal
from app.db import start_pool
from app.notifications import mail

async def main():
    await start_pool()
    transport = mail.transport_from_settings()
    for row in await mail.claim(10):
        await transport.send(mail.delivery_key(row), mail.build_message(row, "ForestMatch <noreply@forestmatch.local>"))
    os.kill(os.getpid(), signal.SIGKILL)

asyncio.run(main())
"""


async def test_worker_killed_after_sending_resends_without_duplicates(db_url: str, tmp_path: Path) -> None:
    await _queue(2)
    var_dir = tmp_path / "var"
    crashed = _run(db_url, var_dir, "-c", _CRASHING_WORKER)
    assert crashed.returncode == -9, crashed.stderr
    maildir = var_dir / "maildir"
    assert len(_files(maildir)) == 2
    assert [(r["status"], r["attempts"]) for r in await _rows()] == [("sending", 1), ("sending", 1)]

    # Restarted while the dead worker's lease still runs: nothing is taken twice.
    again = _run(db_url, var_dir, "-m", "app.cli", "mail")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "sent 0, postponed 0, refused 0; 2 waiting"

    # Once the lease has run out, the next run finishes the job; the maildir still holds one copy of each.
    await EmailOutbox.update({EmailOutbox.lease_until: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
        EmailOutbox.id > 0
    )
    again = _run(db_url, var_dir, "-m", "app.cli", "mail")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "sent 2, postponed 0, refused 0; 0 waiting"
    assert [(r["status"], r["attempts"]) for r in await _rows()] == [("sent", 2), ("sent", 2)]
    assert len(_files(maildir)) == 2
    assert sorted(os.listdir(maildir / "tmp")) == []


async def test_smtp_claim_left_behind_is_sent_once_after_the_lease(clean_db) -> None:
    await _queue(1)
    inbox = _Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        claimed = await mail.claim(10)  # a worker took it and died before sending
        assert len(claimed) == 1
        assert (await mail.drain(_smtp(port))).sent == 0
        await EmailOutbox.update({EmailOutbox.lease_until: dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)}).where(
            EmailOutbox.id > 0
        )
        assert (await mail.drain(_smtp(port))).sent == 1
        assert (await mail.drain(_smtp(port))).sent == 0
    finally:
        controller.stop()
    row = (await _rows())[0]
    assert [m["Message-ID"] for m in inbox.messages] == [row["message_id"]]
    assert row["status"] == "sent" and row["attempts"] == 2


async def test_smtp_server_down_keeps_the_mail_and_retries_later(clean_db) -> None:
    (user,) = await _queue(1)
    port = _free_port()  # nothing listens here yet
    result = await mail.drain(_smtp(port))
    assert (result.sent, result.retry) == (0, 1)
    row = (await _rows())[0]
    assert row["status"] == "pending" and row["attempts"] == 1 and row["lease_until"] is None
    assert row["last_error"].startswith("ConnectionRefusedError")
    next_at = row["next_attempt_at"]
    next_at = next_at if next_at.tzinfo else next_at.replace(tzinfo=dt.UTC)
    assert next_at > dt.datetime.now(dt.UTC)

    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        assert (await mail.drain(_smtp(port))).sent == 0  # not due yet: back-off
        result = await mail.drain(_smtp(port), ignore_backoff=True)
        assert result.sent == 1
    finally:
        controller.stop()
    assert [(m["To"], m["Message-ID"]) for m in inbox.messages] == [(user.email, row["message_id"])]
    assert [(r["status"], r["attempts"]) for r in await _rows()] == [("sent", 2)]


async def test_smtp_refused_recipient_is_marked_failed_not_retried(clean_db) -> None:
    users = await _queue(2)
    inbox = _Inbox(refuse=(users[0].email,))
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        result = await mail.drain(_smtp(port))
    finally:
        controller.stop()
    assert (result.sent, result.retry, result.failed) == (1, 0, 1)
    assert [(r["to_address"], r["status"]) for r in await _rows()] == [
        (users[0].email, "failed"),
        (users[1].email, "sent"),
    ]
    assert [m["To"] for m in inbox.messages] == [users[1].email]


async def test_concurrent_workers_never_claim_the_same_mail(clean_db) -> None:
    await _queue(8)
    first, second = await asyncio.gather(mail.claim(5), mail.claim(5))
    ids_a, ids_b = {r["id"] for r in first}, {r["id"] for r in second}
    assert ids_a.isdisjoint(ids_b)
    assert len(ids_a | ids_b) == 8
    assert await mail.claim(5) == []


@pytest.mark.parametrize("count", [3])
async def test_worker_pass_sends_queued_mail_into_the_local_maildir(clean_db, tmp_path: Path, count: int) -> None:
    from app.notifications.worker import after_sync_pass
    from app.settings import get_settings

    await _queue(count)
    rows = await _rows()
    await after_sync_pass(None)  # no search backend needed: saved-search check is skipped without changes
    maildir = get_settings().var_dir / "maildir"
    names = set(_files(maildir))
    assert {f"forestmatch-{mail.delivery_key(r)}" for r in rows} <= names
    assert [r["status"] for r in await _rows()] == ["sent"] * count


async def test_a_mail_that_cannot_be_built_fails_without_holding_up_the_others(clean_db, tmp_path: Path) -> None:
    await EmailOutbox(
        to_address="someone@example.org\nBcc: everyone@example.org",
        subject="Injected",
        body="x",
        message_id="<poison@forestmatch.local>",
    ).save()
    (user,) = await _queue(1)
    result = await mail.drain(mail.MaildirTransport(tmp_path / "maildir"))
    assert (result.sent, result.retry, result.failed) == (1, 0, 1)
    assert [(r["to_address"].split("\n")[0], r["status"]) for r in await _rows()] == [
        ("someone@example.org", "failed"),
        (user.email, "sent"),
    ]
    assert len(_files(tmp_path / "maildir")) == 1
