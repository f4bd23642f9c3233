"""Composition of the background work: the process's search backend (Meilisearch, PostgreSQL or embedded, chosen by
settings and the database in use),
the subscribers of the event outbox, and the worker task that runs them (each app process, or `forestmatch worker`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from app.accounts.password_reset import process_requests as process_reset_requests
from app.bulletins.digest import weekly_step as program_digest_step
from app.db import database_url
from app.events import consume
from app.indexing.sync import run_worker, stale_request_hooks
from app.matching.services import mark_stale, recompute_stale
from app.notifications.alerts import record_offer_changes
from app.notifications.subscriber import AlertsSubscriber, MailSubscriber
from app.notifications.worker import after_sync_pass
from app.ops.metrics import CountingBackend
from app.partners.completeness import reminder_step as partner_reminder_step
from app.settings import get_settings
from app.traceability.subscriber import LotsSubscriber
from search_index.backend import SearchBackend

log = logging.getLogger("forestmatch.sync")


def register_subscribers() -> None:
    """Subscribe matching and the alerts to the changes the sync applies; registering again is a no-op.

    Called by ``create_app`` and by the CLI commands that run the sync without the app, so that importing this
    module changes nothing.
    """
    # Match records go stale when a request or an offer it could use changes; the worker recomputes them.
    if mark_stale not in stale_request_hooks:
        stale_request_hooks.append(mark_stale)
    # Offers the sync applied are queued (in its transaction) for the saved-search alerts.
    if record_offer_changes not in stale_request_hooks:
        stale_request_hooks.append(record_offer_changes)


async def consume_lots() -> int:
    """The lots subscriber takes the certificate and organisation changes due for it (lots derived again)."""
    return await consume(LotsSubscriber())


async def consume_notifications() -> int:
    """The alerts and mail subscribers take every event due for them (notifications, then the e-mails to queue)."""
    return await consume(AlertsSubscriber()) + await consume(MailSubscriber())


async def after_pass(backend: SearchBackend) -> None:
    """Work the sync worker does after each pass of the search subscriber: recompute a few stale match sets, turn
    queued password-reset requests into e-mails, run the lots, alerts and mail subscribers, then the periodic
    notification work (saved searches, the daily certificate check, a batch of e-mails)."""
    recomputed = 0
    try:
        recomputed = await recompute_stale(backend)
    finally:
        try:
            await process_reset_requests()
        except Exception:  # the requests stay queued for the next pass
            log.exception("password-reset requests failed; will retry on the next pass")
        try:
            await consume_lots()
        except Exception:  # the events stay queued for the next pass
            log.exception("lots subscriber failed; will retry on the next pass")
        try:
            await consume_notifications()
        except Exception:  # the events stay queued for the next pass
            log.exception("alerts or mail subscriber failed; will retry on the next pass")
        await after_sync_pass(backend, recomputed=recomputed)
        await program_digest_step()  # the weekly digest of program updates, on its weekday; never raises
        await partner_reminder_step()  # partners' updates due before a period closes, once a day; never raises


_backend: SearchBackend | None = None
#: The database the backend was chosen for (a process pointed at another database gets a backend for that one).
_backend_database = ""
_worker: tuple[asyncio.Task[None], asyncio.Event] | None = None


def get_backend() -> SearchBackend:
    """The search backend for this process, created on first use."""
    global _backend, _backend_database
    url = database_url()
    if _backend is None or url != _backend_database:
        # Imported on first use: the search engine's client (meilisearch, requests) loads only in a process that
        # searches.
        from search_index import create_backend

        settings = get_settings()
        # Its failures are counted for Prometheus (forestmatch_search_backend_errors_total).
        _backend = CountingBackend(
            create_backend(
                meili_url=settings.meili_url,
                meili_key=settings.meili_key,
                prefix=settings.meili_index_prefix,
                directory=settings.var_dir / "search",
                database_url=url,
                choice=settings.search_backend,
                cache_entries=settings.search_cache_entries,
            )
        )
        _backend_database = url
    return _backend


def get_backend_dependency() -> SearchBackend:
    """The process's search backend for handlers, provided as ``backend`` by ``create_app``'s dependencies."""
    return get_backend()


async def start_worker() -> None:
    """Start draining the outbox in this process (app startup), unless a separate worker is configured."""
    global _worker
    if not get_settings().sync_in_app or _worker is not None:
        return
    backend = get_backend()
    with contextlib.suppress(Exception):  # the engine may be down at startup; the worker retries
        await backend.ensure_index("offers")
    stop = asyncio.Event()
    _worker = (asyncio.create_task(run_worker(backend, stop, after_pass=after_pass)), stop)


async def stop_worker() -> None:
    global _worker, _backend
    if _worker is not None:
        task, stop = _worker
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, timeout=10)
        _worker = None
    if _backend is not None:
        with contextlib.suppress(Exception):
            await _backend.close()
        _backend = None
