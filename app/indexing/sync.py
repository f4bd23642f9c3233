"""Apply the search outbox to the index: in order, idempotently, with retries; and full rebuilds.

Rows are taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL under a transaction-scoped advisory lock, so with
several app workers (or a separate ``forestmatch worker``) each row is applied exactly once and batches are
applied one after the other: a later change to an offer can never be overwritten by an earlier batch.
Documents are rebuilt from the database at apply time, so applying a row twice gives the same index.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from piccolo.engine.postgres import PostgresEngine

from app.db import atomic, engine
from app.indexing.documents import OFFERS_INDEX, all_offer_documents, offer_documents
from app.indexing.tables import SearchOutbox
from app.offers.tables import Offer

log = logging.getLogger("forestmatch.sync")

BATCH = 500
MAX_BACKOFF_S = 300
_ADVISORY_KEY = 4_242_017  # any constant shared by all workers of a deployment

#: Called with the refs of sourcing requests whose stored matches must be recomputed (set by the matcher).
stale_request_hooks: list[Callable[[set[str], set[str]], Any]] = []


async def _take_batch(limit: int) -> list[dict[str, Any]] | None:
    """Lock and return the oldest available rows; None when another worker is draining right now."""
    now = dt.datetime.now(dt.UTC)
    if isinstance(engine(), PostgresEngine):
        got = await SearchOutbox.raw("SELECT pg_try_advisory_xact_lock({}) AS ok", _ADVISORY_KEY)
        if not got or not got[0]["ok"]:
            return None
        return await SearchOutbox.raw(
            "SELECT id, entity, ref, attempts FROM search_outbox WHERE available_at <= {} "
            "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
            now,
            limit,
        )
    return await (
        SearchOutbox.select(SearchOutbox.id, SearchOutbox.entity, SearchOutbox.ref, SearchOutbox.attempts)
        .where(SearchOutbox.available_at <= now)
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


async def drain_once(backend: Any, limit: int = BATCH) -> int:
    """Apply one batch of outbox rows; returns how many rows were applied (0: nothing to do or busy)."""
    rows: list[dict[str, Any]] | None = None
    try:
        async with atomic():
            rows = await _take_batch(limit)
            if not rows:
                return 0
            offer_refs = await _affected_offers(rows)
            documents, missing = await offer_documents(offer_refs)
            if documents:
                await backend.upsert(OFFERS_INDEX, documents)
            if missing:
                await backend.delete(OFFERS_INDEX, missing)
            request_refs = {r["ref"] for r in rows if r["entity"] == "request"}
            for hook in stale_request_hooks:
                await hook(request_refs, offer_refs)
            ids = [r["id"] for r in rows]
            await SearchOutbox.delete().where(SearchOutbox.id.is_in(ids))
        return len(rows)
    except Exception as exc:  # the search engine is down or rejected the batch: retry later, lose nothing
        if not rows:
            raise
        await _postpone(rows, exc)
        return 0


async def _postpone(rows: list[dict[str, Any]], exc: Exception) -> None:
    log.warning("search sync failed for %d change(s), will retry: %s", len(rows), exc)
    now = dt.datetime.now(dt.UTC)
    async with atomic():
        for row in rows:
            attempts = int(row["attempts"] or 0) + 1
            delay = min(MAX_BACKOFF_S, 2 ** min(attempts, 9))
            await SearchOutbox.update(
                {
                    SearchOutbox.attempts: attempts,
                    SearchOutbox.last_error: str(exc)[:1000],
                    SearchOutbox.available_at: now + dt.timedelta(seconds=delay),
                }
            ).where(SearchOutbox.id == row["id"])


async def drain(backend: Any, *, ignore_backoff: bool = False) -> int:
    """Apply everything pending now; returns the number of rows applied."""
    if ignore_backoff:
        await SearchOutbox.update({SearchOutbox.available_at: dt.datetime.now(dt.UTC)}).where(SearchOutbox.attempts > 0)
    total = 0
    while True:
        applied = await drain_once(backend)
        if applied == 0:
            return total
        total += applied


async def pending() -> int:
    return await SearchOutbox.count()


async def run_worker(
    backend: Any, stop: asyncio.Event, interval: float = 1.0, after_pass: Callable[[Any], Any] | None = None
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


async def reindex(backend: Any, progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the offers index from the database without downtime (new index, then swap).

    Changes the sync worker applies while the new index fills land in the old one and vanish at the swap, so
    everything that changed since the rebuild started is queued again afterwards.
    """
    from app.accounts.tables import Organization
    from app.certificates.tables import Certificate
    from app.indexing.services import record_changes

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
