"""Prometheus metrics through ``prometheus_client``: request latency by route, search backend errors (counted in
the process), and the outbox and mail queue (read from the database when scraped, so every worker reports the
same, whole-site figures).

Several app processes (``forestmatch serve --workers N``) each count their own requests: with
``PROMETHEUS_MULTIPROC_DIR`` set (the container's entrypoint sets and empties it before the workers start) the
counters live in files there and a scrape, answered by any one worker, adds up every worker's files
(``MultiProcessCollector``). Without it (one process) the default registry is read."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import REGISTRY, Collector

from app.events.catalog import SUBSCRIBERS
from app.events.tables import EventOutbox
from app.notifications import mail
from search_index.backend import SearchBackend
from search_index.query import SearchQuery, SearchResult

#: Upper bounds in seconds: pages answer in milliseconds, a slow search in a second or two.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUEST_DURATION = Histogram(
    "forestmatch_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template (not the raw path), method and status class.",
    ("route", "method", "status"),
    buckets=LATENCY_BUCKETS,
)

SEARCH_ERRORS = Counter(
    "forestmatch_search_backend_errors",
    "Search engine calls that failed (unreachable server, failed task, broken index), by backend and operation.",
    ("backend", "operation"),
)

#: Methods kept as labels; anything else a client sends is counted as "other" (a bounded label set).
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
#: The route label of a request no route matched (404s for made-up paths must not add a series each).
UNMATCHED = "[unmatched]"


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    """Count one answered request in the latency histogram."""
    REQUEST_DURATION.labels(
        route=route or UNMATCHED,
        method=method if method in METHODS else "other",
        status=f"{status // 100}xx",
    ).observe(seconds)


class CountingBackend:
    """A search backend that counts its failures in ``forestmatch_search_backend_errors_total``.

    Refused queries (``ValueError``: a filter the index does not allow) are the caller's mistake, and a busy
    embedded index is a moment's lock wait that the sync retries: neither is counted. A health check that answers
    False is."""

    def __init__(self, inner: SearchBackend) -> None:
        self.inner = inner
        self.name = inner.name

    def __getattr__(self, attribute: str) -> Any:  # anything else the embedded or Meilisearch backend offers
        return getattr(self.inner, attribute)

    def _failed(self, operation: str, exc: BaseException) -> None:
        from search_index.embedded import IndexBusy

        if not isinstance(exc, ValueError | IndexBusy):
            SEARCH_ERRORS.labels(backend=self.name, operation=operation).inc()

    async def ensure_index(self, index: str) -> None:
        try:
            await self.inner.ensure_index(index)
        except Exception as exc:
            self._failed("ensure_index", exc)
            raise

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        try:
            await self.inner.upsert(index, documents)
        except Exception as exc:
            self._failed("upsert", exc)
            raise

    async def delete(self, index: str, ids: list[str]) -> None:
        try:
            await self.inner.delete(index, ids)
        except Exception as exc:
            self._failed("delete", exc)
            raise

    async def search(self, index: str, query: SearchQuery) -> SearchResult:
        try:
            return await self.inner.search(index, query)
        except Exception as exc:
            self._failed("search", exc)
            raise

    async def rebuild(
        self, index: str, documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]]
    ) -> int:
        try:
            return await self.inner.rebuild(index, documents)
        except Exception as exc:
            self._failed("rebuild", exc)
            raise

    async def count(self, index: str) -> int:
        try:
            return await self.inner.count(index)
        except Exception as exc:
            self._failed("count", exc)
            raise

    async def health(self) -> bool:
        try:
            healthy = await self.inner.health()
        except Exception as exc:
            self._failed("health", exc)
            raise
        if not healthy:
            SEARCH_ERRORS.labels(backend=self.name, operation="health").inc()
        return healthy

    async def close(self) -> None:
        await self.inner.close()


class _Snapshot(Collector):
    """Gauges read from the database for one scrape."""

    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterable[GaugeMetricFamily]:
        return self.families


async def queue_gauges(now: dt.datetime | None = None) -> list[GaugeMetricFamily]:
    """The outbox (unapplied events and the age of the oldest, per subscriber) and the mail queue (per status)."""
    now = now or dt.datetime.now(dt.UTC)
    pending = GaugeMetricFamily(
        "forestmatch_outbox_pending_events",
        "Events recorded and not yet applied, by subscriber.",
        labels=["subscriber"],
    )
    age = GaugeMetricFamily(
        "forestmatch_outbox_oldest_event_age_seconds",
        "Age of the oldest event a subscriber has not applied yet (0 when none waits): the outbox lag.",
        labels=["subscriber"],
    )
    retrying = GaugeMetricFamily(
        "forestmatch_outbox_retrying_events",
        "Events whose application failed at least once and wait for a retry (a search engine or mail server down),"
        " by subscriber: the separate worker's failures, seen from the database.",
        labels=["subscriber"],
    )
    rows = await EventOutbox.raw(
        "SELECT subscriber, COUNT(*) AS n, SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS failing"
        " FROM event_outbox GROUP BY subscriber"
    )
    counts = {r["subscriber"]: int(r["n"]) for r in rows}
    failing = {r["subscriber"]: int(r["failing"] or 0) for r in rows}
    for subscriber in sorted(set(SUBSCRIBERS) | set(counts)):
        pending.add_metric([subscriber], counts.get(subscriber, 0))
        retrying.add_metric([subscriber], failing.get(subscriber, 0))
        oldest = None
        if counts.get(subscriber):
            oldest = (
                await EventOutbox.select(EventOutbox.created_at)
                .where(EventOutbox.subscriber == subscriber)
                .order_by(EventOutbox._meta.primary_key)
                .first()
            )
        seconds = 0.0
        if oldest is not None:
            created = oldest["created_at"]
            if created.tzinfo is None:
                created = created.replace(tzinfo=dt.UTC)
            seconds = max(0.0, (now - created).total_seconds())
        age.add_metric([subscriber], seconds)
    queue = GaugeMetricFamily(
        "forestmatch_mail_queue", "E-mails in the queue by status (pending, sending, failed).", labels=["status"]
    )
    by_status = await mail.counts()
    for status in ("pending", "sending", "failed"):
        queue.add_metric([status], by_status.get(status, 0))
    return [pending, age, retrying, queue]


def multiprocess_dir() -> str:
    """``PROMETHEUS_MULTIPROC_DIR`` when several processes write their counters to files there, else ""."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")


async def render() -> bytes:
    """The text exposition of every metric: this process's (or all processes') counters and the queue gauges."""
    snapshot = CollectorRegistry(auto_describe=True)
    snapshot.register(_Snapshot(await queue_gauges()))
    if multiprocess_dir():
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry) + generate_latest(snapshot)
    return generate_latest(REGISTRY) + generate_latest(snapshot)
