"""The search backend protocol and the factory that picks the Meilisearch, PostgreSQL or embedded implementation."""

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


#: Values of ``create_backend``'s ``choice`` (FORESTMATCH_SEARCH_BACKEND); empty picks by the other settings.
BACKEND_CHOICES = ("", "meilisearch", "postgresql", "embedded")


class BackendChoiceError(ValueError):
    """The configured search backend cannot work with the configured database (the message names the settings)."""


def is_postgres_url(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql://"))


def choose_backend(*, meili_url: str = "", database_url: str = "", choice: str = "") -> str:
    """Which backend the settings select: Meilisearch when a URL is set, else PostgreSQL when the database is
    PostgreSQL, else the embedded one; ``choice`` forces one. BackendChoiceError for a combination that cannot work
    (the embedded index is a file per host: over a shared PostgreSQL database, hosts would miss each other's
    changes)."""
    if choice not in BACKEND_CHOICES:
        raise BackendChoiceError(
            f"FORESTMATCH_SEARCH_BACKEND={choice!r}: use meilisearch, postgresql, embedded, or leave it unset."
        )
    name = choice or ("meilisearch" if meili_url else "postgresql" if is_postgres_url(database_url) else "embedded")
    if name == "meilisearch" and not meili_url:
        raise BackendChoiceError("FORESTMATCH_SEARCH_BACKEND=meilisearch needs FORESTMATCH_MEILI_URL.")
    if name == "postgresql" and not is_postgres_url(database_url):
        raise BackendChoiceError(
            "FORESTMATCH_SEARCH_BACKEND=postgresql needs a PostgreSQL FORESTMATCH_DATABASE_URL "
            "(postgresql://...); the database is SQLite."
        )
    if name == "embedded" and database_url and not database_url.startswith("sqlite:"):
        raise BackendChoiceError(
            "The embedded search backend needs a SQLite database, but FORESTMATCH_DATABASE_URL is not SQLite: each "
            "host would keep its own index and miss the others' changes. Leave FORESTMATCH_SEARCH_BACKEND unset "
            "(PostgreSQL search is chosen for a PostgreSQL database) or set FORESTMATCH_MEILI_URL."
        )
    return name


def create_backend(
    *,
    meili_url: str = "",
    meili_key: str = "",
    prefix: str = "forestmatch",
    directory: Path,
    database_url: str = "",
    choice: str = "",
    pool_max: int = 4,
    cache_entries: int | None = None,
) -> SearchBackend:
    """Meilisearch when ``meili_url`` is set (index names prefixed with ``prefix``), else the PostgreSQL backend when
    ``database_url`` is a PostgreSQL URL (tables ``search_<prefix>_<index>`` in that database, ``pool_max``
    connections per event loop), else the embedded backend (one SQLite file named after ``prefix`` in
    ``directory``; ``cache_entries``: how many queries' counts and pages it keeps per index version, its default when
    None). ``choice`` forces one (see ``choose_backend``, which refuses combinations that cannot work)."""
    name = choose_backend(meili_url=meili_url, database_url=database_url, choice=choice)
    if name == "meilisearch":
        from search_index.meili import MeiliBackend

        return MeiliBackend(meili_url, meili_key, prefix=prefix)
    if name == "postgresql":
        from search_index.postgres import PostgresBackend

        return PostgresBackend(database_url, prefix=prefix, pool_max=pool_max)
    from search_index.embedded import EmbeddedBackend

    if cache_entries is None:
        return EmbeddedBackend(directory, prefix=prefix)
    return EmbeddedBackend(directory, prefix=prefix, cache_entries=cache_entries)
