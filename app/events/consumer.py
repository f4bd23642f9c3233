"""Consuming the outbox: each subscriber takes its rows in commit order, applies them, and deletes them in the same
short transaction as its own writes, so an event is applied once; a failure leaves the rows queued and retried later.

A consumer first takes its subscriber's lease (one short statement: one holder per subscriber across every process,
so batches are applied one after the other), reads the due rows without a transaction, runs the subscriber's
``apply`` (work outside the database, such as the search engine; no database lock is held while it runs), and then,
in one write transaction, the subscriber's ``commit`` (its database writes) and the deletion of the rows.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any, Protocol

from app.db import atomic, rows_in
from app.events.tables import EventLease, EventOutbox

log = logging.getLogger("forestmatch.events")

BATCH = 500
MAX_BACKOFF_S = 300
#: A busy resource is retried this soon (no back-off: it is usually free again in moments).
BUSY_RETRY_S = 2
#: Longest a consumer may hold the lease for one batch; a consumer that died is replaced after this.
LEASE_S = 60.0

Row = dict[str, Any]


class Busy(Exception):
    """Raised by ``apply`` when a resource is locked for a moment: retried soon, not counted as a failure."""


class Subscriber(Protocol):
    """What consumes one subscriber's events (``app.events.catalog.SUBSCRIBERS``)."""

    name: str

    async def apply(self, rows: list[Row]) -> None:
        """Work outside the database; raising leaves the rows queued (``Busy``: retried in seconds)."""

    async def commit(self, rows: list[Row]) -> None:
        """Database writes, in the transaction that deletes the rows."""


async def take_lease(name: str) -> str | None:
    """The lease ``name`` for this consumer (a fresh holder id), or None while another consumer holds it."""
    holder = secrets.token_hex(8)
    moment = time.time()
    got = await EventLease.raw(
        "INSERT INTO event_lease (name, holder, expires_at) VALUES ({}, {}, {}) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
        "WHERE event_lease.expires_at < {} RETURNING holder",
        name,
        holder,
        moment + LEASE_S,
        moment,
    )
    return holder if got and got[0]["holder"] == holder else None


async def give_back_lease(name: str, holder: str) -> None:
    await EventLease.update({EventLease.expires_at: 0.0, EventLease.holder: ""}).where(
        (EventLease.name == name) & (EventLease.holder == holder)
    )


async def due_rows(subscriber: str, limit: int, recorded_by: dt.datetime | None = None) -> list[Row]:
    """The subscriber's oldest rows that are due, in commit order (only those recorded by ``recorded_by``, if given)."""
    where = (EventOutbox.subscriber == subscriber) & (EventOutbox.available_at <= dt.datetime.now(dt.UTC))
    if recorded_by is not None:
        where &= EventOutbox.created_at <= recorded_by
    return await (
        EventOutbox.select(
            EventOutbox.id,
            EventOutbox.name,
            EventOutbox.entity,
            EventOutbox.ref,
            EventOutbox.payload,
            EventOutbox.attempts,
        )
        .where(where)
        .order_by(EventOutbox.id)
        .limit(limit)
        .output(load_json=True)
    )


async def consume_once(subscriber: Subscriber, limit: int = BATCH, recorded_by: dt.datetime | None = None) -> int:
    """Apply one batch of the subscriber's rows (those recorded by ``recorded_by``, if given); how many were applied
    (0: nothing to do, busy, or failed)."""
    lease = f"events:{subscriber.name}"
    holder = await take_lease(lease)
    if holder is None:
        return 0
    try:
        rows = await due_rows(subscriber.name, limit, recorded_by)
        if not rows:
            return 0
        try:
            await subscriber.apply(rows)
            async with atomic():
                await subscriber.commit(rows)
                # One flat statement (a batch after a bulk import is thousands of rows: Piccolo's is_in converts and
                # quotes each id).
                await rows_in('DELETE FROM "event_outbox" WHERE id {in}', [r["id"] for r in rows])
        except Exception as exc:  # the engine is down, locked or refused the batch: retry later, lose nothing
            await _postpone(subscriber.name, rows, exc)
            return 0
        return len(rows)
    finally:
        await give_back_lease(lease, holder)


async def _postpone(subscriber: str, rows: list[Row], exc: Exception) -> None:
    busy = isinstance(exc, Busy)
    log.warning("%s: %d event(s) failed, will retry: %s", subscriber, len(rows), exc)
    now = dt.datetime.now(dt.UTC)
    async with atomic():
        for row in rows:
            attempts = int(row["attempts"] or 0)
            if busy:  # someone else holds the resource for a moment: not a failure, no back-off
                delay = BUSY_RETRY_S
            else:
                attempts += 1
                delay = min(MAX_BACKOFF_S, 2 ** min(attempts, 9))
            await EventOutbox.update(
                {
                    EventOutbox.attempts: attempts,
                    EventOutbox.last_error: str(exc)[:1000],
                    EventOutbox.available_at: now + dt.timedelta(seconds=delay),
                }
            ).where(EventOutbox.id == row["id"])


async def consume(
    subscriber: Subscriber,
    *,
    ignore_backoff: bool = False,
    limit: int = BATCH,
    progress: Callable[[int], Any] | None = None,
    recorded_by: dt.datetime | None = None,
) -> int:
    """Apply everything due for the subscriber now (only what was recorded by ``recorded_by``, if given); returns the
    number of rows applied (``progress`` is called with the running total after each batch)."""
    if ignore_backoff:
        moment = dt.datetime.now(dt.UTC)
        await EventOutbox.update({EventOutbox.available_at: moment}).where(
            (EventOutbox.subscriber == subscriber.name) & (EventOutbox.available_at > moment)
        )
    total = 0
    while True:
        applied = await consume_once(subscriber, limit, recorded_by)
        if applied == 0:
            return total
        total += applied
        if progress is not None:
            progress(total)


async def pending(subscriber: str | None = None) -> int:
    """Rows waiting (for one subscriber, or for all)."""
    if subscriber is None:
        return await EventOutbox.count()
    return await EventOutbox.count().where(EventOutbox.subscriber == subscriber)
