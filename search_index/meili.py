"""The Meilisearch backend (production): the official synchronous client, called from worker threads.

Settings come from ``search_index/settings/<index>.json`` and are applied before documents are added; every write
waits for its task and raises ``SearchBackendError`` when the task fails. Index uids are ``<prefix>_<index>``.
A rebuild fills ``<uid>__rebuild`` and swaps it with the live index (one rebuild per index at a time).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from functools import partial
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import meilisearch
from meilisearch.errors import MeilisearchApiError, MeilisearchError
from meilisearch.models.task import TaskInfo

from search_index.backend import SearchBackendError
from search_index.embedded_store import check_document
from search_index.index_settings import check_index_name, check_query, load_index_settings
from search_index.meili_translate import index_uid, parse_response, query_text, search_params
from search_index.query import SearchQuery, SearchResult

T = TypeVar("T")
WRITE_TIMEOUT_MS = 120_000
SETTINGS_TIMEOUT_MS = 600_000


def _code(exc: MeilisearchApiError) -> str:
    return str(exc.code or "")


class MeiliBackend:
    """Search in a Meilisearch server."""

    name = "meilisearch"

    def __init__(self, url: str, api_key: str = "", *, prefix: str = "forestmatch", timeout_s: int = 10) -> None:
        self.client = meilisearch.Client(url, api_key or None, timeout=timeout_s)
        self.prefix = prefix
        index_uid(prefix, "offers")  # validates the prefix
        self._ensured: set[str] = set()

    def uid(self, index: str) -> str:
        return index_uid(self.prefix, index)

    async def _run(self, func: Callable[..., T], *args: Any) -> T:
        try:
            return await anyio.to_thread.run_sync(partial(func, *args))
        except MeilisearchError as exc:
            raise SearchBackendError(f"Meilisearch: {exc}") from exc

    def _wait(self, info: TaskInfo, timeout_ms: int = WRITE_TIMEOUT_MS, ignore: tuple[str, ...] = ()) -> None:
        task = self.client.wait_for_task(info.task_uid, timeout_in_ms=timeout_ms, interval_in_ms=50)
        if task.status != "succeeded":
            code = (task.error or {}).get("code", "")
            if code not in ignore:
                raise SearchBackendError(f"Meilisearch task {task.uid} ({task.type}) {task.status}: {task.error}")

    def _create(self, uid: str, index: str) -> None:
        try:
            self.client.get_raw_index(uid)
        except MeilisearchApiError as exc:
            if _code(exc) != "index_not_found":
                raise
            self._wait(self.client.create_index(uid, {"primaryKey": "id"}), ignore=("index_already_exists",))
        settings = load_index_settings(index)
        self._wait(self.client.index(uid).update_settings(dict(settings.raw)), SETTINGS_TIMEOUT_MS)

    async def ensure_index(self, index: str) -> None:
        """Create the index if missing and apply the settings file (waits until Meilisearch has applied them)."""
        await self._run(self._create, self.uid(index), index)
        self._ensured.add(index)

    @staticmethod
    def _check_documents(documents: list[dict[str, Any]]) -> None:
        for doc in documents:
            check_document(doc)  # the same ValueError as the embedded backend, before anything is sent

    def _add(self, uid: str, documents: list[dict[str, Any]]) -> None:
        self._wait(self.client.index(uid).add_documents(documents, primary_key="id"))

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents (waits for the indexing task)."""
        if not documents:
            return
        self._check_documents(documents)
        if index not in self._ensured:
            await self.ensure_index(index)
        await self._run(self._add, self.uid(index), list(documents))

    def _delete(self, uid: str, ids: list[str]) -> None:
        # POST /indexes/{uid}/documents/delete-batch (the client's ids form of delete_documents is deprecated).
        info = TaskInfo(**self.client.http.post(f"{self.client.config.paths.index}/{uid}/documents/delete-batch", ids))
        self._wait(info, ignore=("index_not_found",))

    async def delete(self, index: str, ids: list[str]) -> None:
        """Delete documents by id; unknown ids are ignored."""
        if ids:
            await self._run(self._delete, self.uid(index), [str(i) for i in ids])

    def _search(self, uid: str, query: SearchQuery, params: dict[str, Any]) -> SearchResult:
        try:
            response = self.client.index(uid).search(query_text(query.text), params)
        except MeilisearchApiError as exc:
            if _code(exc) == "index_not_found":
                return SearchResult([], 0, query.page, query.per_page, {f: {} for f in query.facets})
            raise
        return parse_response(response, query)

    async def search(self, index: str, query: SearchQuery) -> SearchResult:
        """Run a query (ValueError for fields the settings do not allow, before any request)."""
        settings = load_index_settings(index)
        check_query(query, settings)
        return await self._run(self._search, self.uid(index), query, search_params(query, settings))

    def _drop(self, uid: str) -> None:
        self._wait(self.client.delete_index(uid), ignore=("index_not_found",))

    def _swap(self, live: str, fresh: str) -> int:
        self._wait(self.client.swap_indexes([{"indexes": [live, fresh]}]))
        count = self.client.index(live).get_stats().number_of_documents
        self._drop(fresh)  # now holds the previous documents
        return count

    async def rebuild(
        self, index: str, documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]]
    ) -> int:
        """Fill ``<uid>__rebuild`` (settings applied first), then swap it with the live index and drop the old one.

        Searches keep using the live index until the swap. Changes written to the index while a rebuild runs go to
        the old index and are not carried over: replay them afterwards."""
        live = self.uid(index)
        fresh = f"{live}__rebuild"
        if index not in self._ensured:
            await self.ensure_index(index)  # the swap needs a live index
        await self._run(self._drop, fresh)
        await self._run(self._create, fresh, index)
        try:
            if hasattr(documents, "__aiter__"):
                async for batch in documents:
                    self._check_documents(list(batch))
                    await self._run(self._add, fresh, list(batch))
            else:
                for batch in documents:  # type: ignore[union-attr]
                    self._check_documents(list(batch))
                    await self._run(self._add, fresh, list(batch))
            return await self._run(self._swap, live, fresh)
        except BaseException:
            with anyio.CancelScope(shield=True):
                try:
                    await self._run(self._drop, fresh)
                except SearchBackendError:
                    pass
            raise

    def _count(self, uid: str) -> int:
        try:
            return self.client.index(uid).get_stats().number_of_documents
        except MeilisearchApiError as exc:
            if _code(exc) == "index_not_found":
                return 0
            raise

    async def count(self, index: str) -> int:
        """Number of documents in the index (0 when it does not exist)."""
        check_index_name(index)
        return await self._run(self._count, self.uid(index))

    async def drop_index(self, index: str) -> None:
        """Delete the index (and a leftover rebuild index); not part of the protocol, for tests and operations."""
        for uid in (self.uid(index), f"{self.uid(index)}__rebuild"):
            await self._run(self._drop, uid)
        self._ensured.discard(index)

    async def health(self) -> bool:
        return await anyio.to_thread.run_sync(self.client.is_healthy)

    async def close(self) -> None:
        """Nothing to release: the client opens a request per call."""
