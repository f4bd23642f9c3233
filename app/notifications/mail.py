"""Sending the e-mail outbox: claim under a lease, deliver (SMTP, or the local maildir), mark sent; retry with
back-off when the server is down.

A worker that dies after claiming leaves its lease behind; once the lease runs out the next worker takes the mail
again. Delivery is idempotent where the transport allows it: the maildir file is named after the outbox row, so a
mail written before a crash is not written twice; over SMTP the Message-ID is fixed per notification, so the
rare copy sent twice (crash between the server's OK and the database commit) carries the same Message-ID.
On PostgreSQL, claims use ``FOR UPDATE SKIP LOCKED``: several workers never take the same mail.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import mailbox
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Protocol

from piccolo.engine.postgres import PostgresEngine

from app.clock import now
from app.db import atomic, engine
from app.notifications.tables import EmailOutbox
from app.settings import Settings, get_settings

log = logging.getLogger("forestmatch.mail")

LEASE = dt.timedelta(minutes=5)
BATCH = 20
MAX_BACKOFF_S = 3600


class PermanentFailure(Exception):
    """The server refused the mail for good (e.g. unknown recipient): retrying would not help."""


class Transport(Protocol):
    async def send(self, key: str, message: EmailMessage) -> None: ...


def delivery_key(row: dict[str, Any]) -> str:
    """A name fixed per outbox row (its id, plus a digest of its Message-ID and creation time, so a database
    restored or reset under an old maildir never collides with an earlier mail of the same id)."""
    digest = hashlib.sha256(f"{row['message_id']}|{row['created_at']}".encode()).hexdigest()[:12]
    return f"{row['id']}-{digest}"


def build_message(row: dict[str, Any], sender: str) -> EmailMessage:
    """The e-mail of an outbox row (plain text, UTF-8, the row's fixed Message-ID)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = row["to_address"]
    message["Subject"] = row["subject"]
    message["Message-ID"] = row["message_id"] or make_msgid()
    created = row["created_at"]
    if isinstance(created, str):
        created = dt.datetime.fromisoformat(created)
    message["Date"] = format_datetime(created if created.tzinfo else created.replace(tzinfo=dt.UTC))
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(row["body"])
    if row.get("locale"):  # after set_content, which drops every Content-* header
        message["Content-Language"] = row["locale"].replace("_", "-")
    return message


@dataclass
class MaildirTransport:
    """Writes each mail into a local Maildir (``<var>/maildir``), named after its outbox row."""

    path: Path

    def _deliver(self, key: str, message: EmailMessage) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.path, create=True)  # creates new/, cur/ and tmp/ once
        name = f"forestmatch-{key}"
        # Already delivered (a worker died before marking it sent): a mail reader may have moved it to cur/.
        for sub in ("new", "cur"):
            if any(f == name or f.startswith(name + ":") for f in os.listdir(self.path / sub)):
                return
        tmp = self.path / "tmp" / name
        with open(tmp, "wb") as handle:
            handle.write(bytes(mailbox.MaildirMessage(message)))
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, self.path / "new" / name)  # fails rather than overwrite if a racing copy got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)

    async def send(self, key: str, message: EmailMessage) -> None:
        await asyncio.to_thread(self._deliver, key, message)


@dataclass
class SmtpTransport:
    """Sends through an SMTP server (STARTTLS or SMTPS, optional login)."""

    host: str
    port: int
    user: str = ""
    password: str = ""
    starttls: bool = False
    use_ssl: bool = False
    timeout: float = 30.0

    def _deliver(self, message: EmailMessage) -> None:
        context = ssl.create_default_context()
        client: smtplib.SMTP
        if self.use_ssl:
            client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
        else:
            client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        try:
            if self.starttls and not self.use_ssl:
                client.starttls(context=context)
            if self.user:
                client.login(self.user, self.password)
            try:
                client.send_message(message)
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _msg in exc.recipients.values()]
                if codes and all(500 <= code < 600 for code in codes):
                    raise PermanentFailure(str(exc)) from exc
                raise
        finally:
            try:
                client.quit()
            except (smtplib.SMTPException, OSError):
                client.close()

    async def send(self, key: str, message: EmailMessage) -> None:
        await asyncio.to_thread(self._deliver, message)


def transport_from_settings(settings: Settings | None = None) -> Transport:
    """SMTP when ``FORESTMATCH_SMTP_HOST`` is set, else the local maildir under the var directory."""
    settings = settings or get_settings()
    if settings.smtp_host:
        return SmtpTransport(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            use_ssl=settings.smtp_ssl,
        )
    return MaildirTransport(settings.var_dir / "maildir")


_COLUMNS = "id, to_address, subject, body, locale, message_id, attempts, created_at"


async def claim(limit: int = BATCH, *, at: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Take due mails (pending and due, or claimed under an expired lease) and lease them to this worker."""
    moment = at or now()
    due = ((EmailOutbox.status == "pending") & (EmailOutbox.next_attempt_at <= moment)) | (
        (EmailOutbox.status == "sending") & (EmailOutbox.lease_until < moment)
    )
    if not await EmailOutbox.exists().where(due):
        return []  # the usual idle pass: one indexed read, no write transaction
    async with atomic():
        if isinstance(engine(), PostgresEngine):
            rows = await EmailOutbox.raw(
                f"SELECT {_COLUMNS} FROM email_outbox WHERE (status = 'pending' AND next_attempt_at <= {{}}) "
                "OR (status = 'sending' AND lease_until < {}) ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                moment,
                moment,
                limit,
            )
        else:  # the IMMEDIATE transaction holds SQLite's write lock: no other worker claims meanwhile
            rows = await (
                EmailOutbox.select(*(getattr(EmailOutbox, c.strip()) for c in _COLUMNS.split(",")))
                .where(due)
                .order_by(EmailOutbox.id)
                .limit(limit)
            )
        if rows:
            await EmailOutbox.update(
                {
                    EmailOutbox.status: "sending",
                    EmailOutbox.lease_until: moment + LEASE,
                    EmailOutbox.attempts: EmailOutbox.attempts + 1,
                }
            ).where(EmailOutbox.id.is_in([r["id"] for r in rows]))
    for row in rows:
        row["attempts"] = int(row["attempts"] or 0) + 1
    return rows


async def mark_sent(outbox_id: int) -> None:
    async with atomic():
        await EmailOutbox.update(
            {
                EmailOutbox.status: "sent",
                EmailOutbox.sent_at: now(),
                EmailOutbox.lease_until: None,
                EmailOutbox.last_error: "",
            }
        ).where(EmailOutbox.id == outbox_id)


def backoff(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, ... up to an hour between attempts."""
    return dt.timedelta(seconds=min(MAX_BACKOFF_S, 15 * 2 ** min(attempts, 12)))


async def mark_failed(outbox_id: int, attempts: int, error: str, *, permanent: bool = False) -> None:
    async with atomic():
        await EmailOutbox.update(
            {
                EmailOutbox.status: "failed" if permanent else "pending",
                EmailOutbox.next_attempt_at: now() + backoff(attempts),
                EmailOutbox.lease_until: None,
                EmailOutbox.last_error: error[:1000],
            }
        ).where(EmailOutbox.id == outbox_id)


@dataclass
class DrainResult:
    sent: int = 0
    retry: int = 0
    failed: int = 0


async def send_batch(transport: Transport | None = None, *, limit: int = BATCH) -> DrainResult:
    """Claim and send one batch; a failure postpones that mail (or, when refused for good, marks it failed)."""
    transport = transport or transport_from_settings()
    sender = get_settings().smtp_from
    result = DrainResult()
    for row in await claim(limit):
        try:
            message = build_message(row, sender)
        except (ValueError, TypeError) as exc:  # a row no e-mail can be made of: retrying would not help
            log.error("mail %s cannot be built: %s", row["id"], exc)
            await mark_failed(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}", permanent=True)
            result.failed += 1
            continue
        try:
            await transport.send(delivery_key(row), message)
        except PermanentFailure as exc:
            log.warning("mail %s refused for good: %s", row["id"], exc)
            await mark_failed(row["id"], row["attempts"], str(exc), permanent=True)
            result.failed += 1
            continue
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail %s not sent (attempt %s), will retry: %s", row["id"], row["attempts"], exc)
            await mark_failed(row["id"], row["attempts"], f"{type(exc).__name__}: {exc}")
            result.retry += 1
            continue
        await mark_sent(row["id"])
        result.sent += 1
    return result


async def drain(transport: Transport | None = None, *, ignore_backoff: bool = False) -> DrainResult:
    """Send everything due now (``ignore_backoff``: also mails waiting to be retried)."""
    if ignore_backoff:
        await EmailOutbox.update({EmailOutbox.next_attempt_at: now()}).where(EmailOutbox.status == "pending")
    transport = transport or transport_from_settings()
    total = DrainResult()
    while True:
        batch = await send_batch(transport)
        total.sent += batch.sent
        total.retry += batch.retry
        total.failed += batch.failed
        if batch.sent + batch.retry + batch.failed < BATCH or batch.retry:
            return total


async def counts() -> dict[str, int]:
    rows = await EmailOutbox.raw("SELECT status, COUNT(*) AS n FROM email_outbox GROUP BY status")
    return {r["status"]: int(r["n"]) for r in rows}
