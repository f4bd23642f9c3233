"""The search backend protocol and the factory that picks the embedded or the Meilisearch implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from search_index.query import SearchQuery, SearchResult


class SearchBackendError(RuntimeError):
    """The search engine failed a request (unreachable server, failed task)."""


@runtime_checkable
class SearchBackend(Protocol):
    """What the application needs from a search engine; every implementation passes tests/search."""

    name: str

    async def ensure_index(self, index: str) -> None:
        """Create the index if missing and apply its settings (from ``search_index/settings/<index>.json``)."""

    async def upsert(self, index: str, documents: list[dict[str, Any]]) -> None:
        """Add or replace documents; each has a string ``id`` (letters, digits, '-', '_')."""

    async def delete(self, index: str, ids: list[str]) -> None:
        """Delete documents by id; unknown ids are ignored."""

    async def search(self, index: str, query: SearchQuery) -> SearchResult:
        """Run a query; ValueError when it uses fields the index settings do not allow."""

    async def rebuild(
        self, index: str, documents: AsyncIterator[list[dict[str, Any]]] | Iterable[list[dict[str, Any]]]
    ) -> int:
        """Build a new index from these batches, then swap it in without downtime; returns the document count."""

    async def count(self, index: str) -> int:
        """Number of documents in the index (0 when it does not exist)."""

    async def health(self) -> bool:
        """True when the engine answers."""

    async def close(self) -> None:
        """Release connections."""


def create_backend(
    *,
    meili_url: str = "",
    meili_key: str = "",
    prefix: str = "forestmatch",
    directory: Path,
    cache_entries: int | None = None,
) -> SearchBackend:
    """Meilisearch when ``meili_url`` is set (index names prefixed with ``prefix``), else the embedded backend
    (one SQLite file named after ``prefix`` in ``directory``; ``cache_entries``: how many queries' counts and pages
    it keeps per index version, its default when None)."""
    if meili_url:
        from search_index.meili import MeiliBackend

        return MeiliBackend(meili_url, meili_key, prefix=prefix)
    from search_index.embedded import EmbeddedBackend

    if cache_entries is None:
        return EmbeddedBackend(directory, prefix=prefix)
    return EmbeddedBackend(directory, prefix=prefix, cache_entries=cache_entries)
