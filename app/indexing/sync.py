"""Apply the search outbox to the index: in order, idempotently, with retries; and full rebuilds.

Writes never wait on search. A drainer first takes the sync lease (one short statement: one holder at a time
across every process, so batches are applied one after the other and a later change to an offer can never be
overwritten by an earlier batch), reads the pending rows without a transaction, applies them to the index (whose
writes wait at most a couple of seconds for its lock), and only then, in one short write transaction, runs the
hooks and deletes the rows it applied. No database transaction or lock is held while the search engine works, so a
slow, down or locked index leaves the site's writes alone; the rows stay queued and are retried.
Documents are rebuilt from the database at apply time, so applying a row twice gives the same index.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import secrets
import time
from collections.abc import Callable
from typing import Any

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.db import atomic
from app.indexing.documents import OFFERS_INDEX, all_offer_documents, offer_documents
from app.indexing.services import record_changes
from app.indexing.tables import SearchOutbox, SearchSyncLease
from app.offers.tables import Offer
from search_index.backend import SearchBackend
from search_index.embedded import IndexBusy

log = logging.getLogger("forestmatch.sync")

BATCH = 500
MAX_BACKOFF_S = 300
#: A locked index is retried this soon (no back-off: the lock is usually gone in moments).
BUSY_RETRY_S = 2
#: Longest a drainer may hold the lease for one batch; a drainer that died is replaced after this.
LEASE_S = 60.0
_LEASE_NAME = "search-outbox"

#: Called with the refs of sourcing requests whose stored matches must be recomputed (set by the matcher).
stale_request_hooks: list[Callable[[set[str], set[str]], Any]] = []


async def _take_lease() -> str | None:
    """The sync lease for this drainer (a fresh holder id), or None while another drainer holds it."""
    holder = secrets.token_hex(8)
    moment = time.time()
    got = await SearchSyncLease.raw(
        "INSERT INTO search_sync_lease (name, holder, expires_at) VALUES ({}, {}, {}) "
        "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
        "WHERE search_sync_lease.expires_at < {} RETURNING holder",
        _LEASE_NAME,
        holder,
        moment + LEASE_S,
        moment,
    )
    return holder if got and got[0]["holder"] == holder else None


async def _give_back_lease(holder: str) -> None:
    await SearchSyncLease.update({SearchSyncLease.expires_at: 0.0, SearchSyncLease.holder: ""}).where(
        (SearchSyncLease.name == _LEASE_NAME) & (SearchSyncLease.holder == holder)
    )


async def _pending_rows(limit: int) -> list[dict[str, Any]]:
    """The oldest rows that are due, in commit order."""
    return await (
        SearchOutbox.select(SearchOutbox.id, SearchOutbox.entity, SearchOutbox.ref, SearchOutbox.attempts)
        .where(SearchOutbox.available_at <= dt.datetime.now(dt.UTC))
        .order_by(SearchOutbox.id)
        .limit(limit)
    )


async def _affected_offers(rows: list[dict[str, Any]]) -> set[str]:
    """Offer refs whose documents depend on the changed records."""
    offers = {r["ref"] for r in rows if r["entity"] == "offer"}
    certs = [r["ref"] for r in rows if r["entity"] == "certificate"]
    orgs = [r["ref"] for r in rows if r["entity"] == "organization"]
    if certs:
        found = await Offer.select(Offer.ref).where(Offer.certificate.ref.is_in(certs))
        offers.update(r["ref"] for r in found)
    if orgs:
        found = await Offer.select(Offer.ref).where(Offer.organization.ref.is_in(orgs))
        offers.update(r["ref"] for r in found)
    return offers


async def drain_once(backend: SearchBackend, limit: int = BATCH) -> int:
    """Apply one batch of outbox rows; returns how many rows were applied (0: nothing to do, busy, or failed)."""
    holder = await _take_lease()
    if holder is None:
        return 0
    try:
        rows = await _pending_rows(limit)
        if not rows:
            return 0
        try:
            offer_refs = await _affected_offers(rows)
            documents, missing = await offer_documents(offer_refs)
            if documents:
                await backend.upsert(OFFERS_INDEX, documents)
            if missing:
                await backend.delete(OFFERS_INDEX, missing)
        except Exception as exc:  # the search engine is down, locked or rejected the batch: retry later, lose nothing
            await _postpone(rows, exc)
            return 0
        request_refs = {r["ref"] for r in rows if r["entity"] == "request"}
        async with atomic():  # short: the index work is done; the hooks and the bookkeeping commit together
            for hook in stale_request_hooks:
                await hook(request_refs, offer_refs)
            await SearchOutbox.delete().where(SearchOutbox.id.is_in([r["id"] for r in rows]))
        return len(rows)
    finally:
        await _give_back_lease(holder)


async def _postpone(rows: list[dict[str, Any]], exc: Exception) -> None:
    busy = isinstance(exc, IndexBusy)
    log.warning("search sync failed for %d change(s), will retry: %s", len(rows), exc)
    now = dt.datetime.now(dt.UTC)
    async with atomic():
        for row in rows:
            attempts = int(row["attempts"] or 0)
            if busy:  # someone else holds the index for a moment: not a failure of the engine, no back-off
                delay = BUSY_RETRY_S
            else:
                attempts += 1
                delay = min(MAX_BACKOFF_S, 2 ** min(attempts, 9))
            await SearchOutbox.update(
                {
                    SearchOutbox.attempts: attempts,
                    SearchOutbox.last_error: str(exc)[:1000],
                    SearchOutbox.available_at: now + dt.timedelta(seconds=delay),
                }
            ).where(SearchOutbox.id == row["id"])


async def drain(backend: SearchBackend, *, ignore_backoff: bool = False) -> int:
    """Apply everything pending now; returns the number of rows applied."""
    if ignore_backoff:
        moment = dt.datetime.now(dt.UTC)
        await SearchOutbox.update({SearchOutbox.available_at: moment}).where(SearchOutbox.available_at > moment)
    total = 0
    while True:
        applied = await drain_once(backend)
        if applied == 0:
            return total
        total += applied


async def pending() -> int:
    return await SearchOutbox.count()


async def run_worker(
    backend: SearchBackend, stop: asyncio.Event, interval: float = 1.0, after_pass: Callable[[Any], Any] | None = None
) -> None:
    """Drain the outbox until ``stop`` is set; a failing pass is logged and retried."""
    while not stop.is_set():
        try:
            await drain(backend)
            if after_pass is not None:
                await after_pass(backend)
        except Exception:  # keep the worker alive; the rows stay in the outbox
            log.exception("search sync pass failed")
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=interval)


async def reindex(backend: SearchBackend, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the offers index from the database without downtime (new index, then swap).

    Changes the sync worker applies while the new index fills land in the old one and vanish at the swap, so
    everything that changed since the rebuild started is queued again afterwards.
    """

    begin = dt.datetime.now(dt.UTC)
    started = begin - dt.timedelta(seconds=1)  # margin for clocks of several hosts
    total = await Offer.count()
    done = 0

    async def batches() -> Any:
        nonlocal done
        async for batch in all_offer_documents():
            done += len(batch)
            if progress:
                progress(done, total)
            yield batch

    # Changes recorded before the rebuild are part of it.
    await SearchOutbox.delete().where(SearchOutbox.created_at <= begin)
    count: int = await backend.rebuild(OFFERS_INDEX, batches())
    if progress and total == 0:
        progress(0, 0)
    async with atomic():
        for table, entity in ((Offer, "offer"), (Certificate, "certificate"), (Organization, "organization")):
            changed = await table.select(table.ref).where(table.updated_at >= started)
            await record_changes(entity, [r["ref"] for r in changed])
    return count
