"""The search subscriber of the event outbox: applies change events to the index, in order, idempotently, with
retries; and full rebuilds.

Writes never wait on search. ``app.events.consumer`` takes the subscriber's lease, reads the due rows without a
transaction, and calls ``apply`` (the index work: documents are rebuilt from the database at apply time, so applying a
row twice gives the same index; the index's writes wait at most a couple of seconds for its lock), then ``commit`` in
one short write transaction that also deletes the rows. No database transaction or lock is held while the search
engine works, so a slow, down or locked index leaves the site's writes alone; the rows stay queued and are retried.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.accounts.tables import Organization
from app.certificates.tables import Certificate
from app.db import atomic
from app.events import SEARCH, Busy, consume, consume_once, off_record, on_record, record_changes
from app.events import pending as pending_events
from app.events.tables import EventOutbox
from app.indexing.documents import OFFERS_INDEX, all_offer_documents, offer_documents
from app.offers.tables import Offer
from search_index.backend import SearchBackend
from search_index.embedded import IndexBusy

log = logging.getLogger("forestmatch.sync")

BATCH = 500
#: After an event is recorded in this process, the worker waits this long (for the commit) before its pass.
WAKE_DELAY_S = 0.05

#: Called with the refs of sourcing requests and offers the search subscriber applied, in its commit transaction:
#: match staleness and the saved-search queue subscribe here (``app.worker.register_subscribers``).
stale_request_hooks: list[Callable[[set[str], set[str]], Any]] = []


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


@dataclass
class SearchSubscriber:
    """Applies change events to the offers index of ``backend``; the hooks commit with the deletion of the rows."""

    backend: SearchBackend
    name: str = SEARCH
    #: False for changes a rebuild of the index already holds (``reindex(run_hooks=True)``): only the hooks run.
    write_index: bool = True
    _offer_refs: set[str] = field(default_factory=set)

    async def apply(self, rows: list[dict[str, Any]]) -> None:
        self._offer_refs = await _affected_offers(rows)
        if not self.write_index:
            return
        documents, missing = await offer_documents(self._offer_refs)
        try:
            if documents:
                await self.backend.upsert(OFFERS_INDEX, documents)
            if missing:
                await self.backend.delete(OFFERS_INDEX, missing)
        except IndexBusy as exc:  # another process writes the embedded index for a moment: retried in seconds
            raise Busy(str(exc)) from exc

    async def commit(self, rows: list[dict[str, Any]]) -> None:
        request_refs = {r["ref"] for r in rows if r["entity"] == "request"}
        for hook in stale_request_hooks:
            await hook(request_refs, self._offer_refs)


async def drain_once(backend: SearchBackend, limit: int = BATCH) -> int:
    """Apply one batch of change events to the index; how many were applied (0: nothing to do, busy, or failed)."""
    return await consume_once(SearchSubscriber(backend), limit)


async def drain(
    backend: SearchBackend,
    *,
    ignore_backoff: bool = False,
    limit: int = BATCH,
    progress: Callable[[int], Any] | None = None,
) -> int:
    """Apply every change event due now, ``limit`` at a time; returns the number applied (``progress`` gets the
    running total after each batch)."""
    return await consume(SearchSubscriber(backend), ignore_backoff=ignore_backoff, limit=limit, progress=progress)


async def pending() -> int:
    """Change events the index has not applied yet."""
    return await pending_events(SEARCH)


async def run_worker(
    backend: SearchBackend, stop: asyncio.Event, interval: float = 1.0, after_pass: Callable[[Any], Any] | None = None
) -> None:
    """Run the subscribers until ``stop`` is set, every ``interval`` seconds and soon after this process records an
    event (so a message's notification does not wait for the next tick); a failing pass is logged and retried."""
    wake = asyncio.Event()
    on_record(wake.set)
    try:
        while not stop.is_set():
            wake.clear()
            try:
                await drain(backend)
                if after_pass is not None:
                    await after_pass(backend)
            except Exception:  # keep the worker alive; the rows stay in the outbox
                log.exception("search sync pass failed")
            waiters = [asyncio.ensure_future(stop.wait()), asyncio.ensure_future(wake.wait())]
            await asyncio.wait(waiters, timeout=interval, return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            if wake.is_set() and not stop.is_set():
                await asyncio.sleep(WAKE_DELAY_S)  # the recording transaction commits meanwhile
    finally:
        off_record(wake.set)


async def reindex(
    backend: SearchBackend, progress: Callable[[int, int], None] | None = None, *, run_hooks: bool = False
) -> int:
    """Rebuild the offers index from the database without downtime (new index, then swap).

    Changes the sync worker applies while the new index fills land in the old one and vanish at the swap, so
    everything that changed since the rebuild started is queued again afterwards. The change events recorded before
    the rebuild are part of it: they are dropped, or with ``run_hooks`` consumed after the swap without touching the
    index, so that the subscriber's hooks (match staleness, saved-search alerts) still see them.
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
    if not run_hooks:
        await EventOutbox.delete().where((EventOutbox.subscriber == SEARCH) & (EventOutbox.created_at <= begin))
    count: int = await backend.rebuild(OFFERS_INDEX, batches())
    if progress and total == 0:
        progress(0, 0)
    async with atomic():
        for table, entity in ((Offer, "offer"), (Certificate, "certificate"), (Organization, "organization")):
            changed = await table.select(table.ref).where(table.updated_at >= started)
            await record_changes(entity, [r["ref"] for r in changed])
    if run_hooks:
        await consume(
            SearchSubscriber(backend, write_index=False), ignore_backoff=True, limit=HOOKS_BATCH, recorded_by=begin
        )
    return count


#: Change events waiting at least this many, and at least half as many as there are offers (what a bulk import
#: leaves), are caught up by rebuilding the index rather than patching it (``catch_up``).
REBUILD_AT = 20_000
#: Change events per transaction when only the hooks run over them (no index work per batch).
HOOKS_BATCH = 5_000


async def catch_up(
    backend: SearchBackend, *, limit: int = BATCH, progress: Callable[[int, int], None] | None = None
) -> int:
    """Apply every change event due now (``drain``, ignoring back-off), or, when they are as many as a bulk import
    leaves, rebuild the index from the database first and run the hooks over them (``reindex(run_hooks=True)``):
    a new generation is filled in table order and its secondary indexes are built once at the end, where patching
    the live one updates each of its 30 indexes row by row, in random places (the cost per document grows with the
    index). ``progress`` gets (done, total) of whichever runs; returns what was applied or rebuilt."""
    waiting = await pending()
    if waiting >= REBUILD_AT and waiting * 2 >= await Offer.count():
        return await reindex(backend, progress=progress, run_hooks=True) + await drain(backend, ignore_backoff=True)
    return await drain(
        backend,
        ignore_backoff=True,
        limit=limit,
        progress=(lambda done: progress(min(done, waiting), waiting)) if progress else None,
    )
