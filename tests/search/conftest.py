"""The ``backend`` fixture: every contract test runs on the embedded backend, on the PostgreSQL backend (a database
of its own per session, marked ``postgres``; skipped with the reason when no server answers at 127.0.0.1:5432) and,
when FORESTMATCH_MEILI_URL points at a Meilisearch server, on Meilisearch too. Each test gets its own index names
(a unique prefix)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest

from search_index import SearchBackend, create_backend
from tests.conftest import PG_ADMIN_DSN, _pg_available

T = TypeVar("T")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to the end from synchronous code that may be called inside the tests' running loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def _admin(statement: str) -> None:
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(statement)
    finally:
        await admin.close()


@pytest.fixture(name="search_pg_url", scope="session")
def fx_search_pg_url() -> Iterator[str]:
    """A PostgreSQL database of its own for the search contract suite (dropped at the end of the session).
    Synchronous, so the backend fixture can ask for it only on its PostgreSQL runs."""
    reason = _run(_pg_available())
    if reason and os.environ.get("FORESTMATCH_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    name = f"forestmatch_search_{secrets.token_hex(4)}"
    _run(_admin(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    finally:
        _run(_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(
    name="backend", params=["embedded", pytest.param("postgresql", marks=pytest.mark.postgres), "meilisearch"]
)
async def fx_backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[SearchBackend]:
    """A backend with an empty, uniquely named ``offers`` index."""
    prefix = f"fmtest_{secrets.token_hex(4)}"
    if request.param == "postgresql":
        url = request.getfixturevalue("search_pg_url")
        backend = create_backend(prefix=prefix, directory=tmp_path, database_url=url)
    elif request.param == "meilisearch":
        url = os.environ.get("FORESTMATCH_MEILI_URL", "")
        if not url:
            pytest.skip("FORESTMATCH_MEILI_URL not set")
        backend = create_backend(
            meili_url=url, meili_key=os.environ.get("FORESTMATCH_MEILI_KEY", ""), prefix=prefix, directory=tmp_path
        )
    else:
        backend = create_backend(prefix=prefix, directory=tmp_path)
    assert backend.name == request.param
    await backend.ensure_index("offers")
    try:
        yield backend
    finally:
        await backend.drop_index("offers")  # type: ignore[attr-defined]
        await backend.close()
