"""Shared fixtures: a fresh database per engine (SQLite file and PostgreSQL), the app and its test client.

Integration tests that ask for ``db`` (directly or through ``client``) run once on SQLite and once on
PostgreSQL; the PostgreSQL run is skipped with a reason when no server answers at 127.0.0.1:5432.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

# Settings are read once: point them at a throwaway directory before the app is imported.
_VAR = Path(tempfile.mkdtemp(prefix="forestmatch-test-"))
os.environ["FORESTMATCH_VAR_DIR"] = str(_VAR)
os.environ["FORESTMATCH_DATABASE_URL"] = f"sqlite:///{_VAR / 'bootstrap.db'}"
os.environ.setdefault("FORESTMATCH_SECRET_KEY", "test-secret-" + "x" * 40)
os.environ["FORESTMATCH_DEFAULT_LOCALE"] = "en"
# Litestar's test client runs the app's lifespan on a portal loop of its own; a pool opened there cannot
# serve queries made from the test's loop, so tests use one connection per query.
os.environ["FORESTMATCH_DB_POOL_MAX"] = "0"
# Tests drain the search outbox explicitly, so counts and index contents are deterministic.
os.environ["FORESTMATCH_SYNC_IN_APP"] = "false"
os.environ.pop("FORESTMATCH_REDIS_URL", None)
# Password hashes at the least Argon2 cost the settings take (one pass over 1 MiB instead of three over 64 MiB:
# about 1 ms instead of 60-150 ms here). Tests create thousands of accounts and sign in as often; at the default cost
# hashing was most of an integration test's time. tests/integration/test_password_cost.py checks the default cost.
os.environ["FORESTMATCH_PASSWORD_TIME_COST"] = "1"
os.environ["FORESTMATCH_PASSWORD_MEMORY_KIB"] = "1024"

import asyncpg  # noqa: E402
from litestar.testing import AsyncTestClient  # noqa: E402
from piccolo.engine.postgres import PostgresEngine  # noqa: E402

from app.db import ForestSQLiteEngine, activate_engine, migrate  # noqa: E402
from tests import clock  # noqa: E402, F401  (first import: the run's date and instant are taken at session start)
from tests.db_tables import clear_tables  # noqa: E402

PG_ADMIN_DSN = os.environ.get("FORESTMATCH_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


async def _pg_available() -> str | None:
    try:
        conn = await asyncpg.connect(PG_ADMIN_DSN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_DSN}: {exc}"
    await conn.close()
    return None


@pytest.fixture(name="db", scope="session", params=["sqlite", "postgres"])
async def fx_db(request: pytest.FixtureRequest) -> AsyncIterator[str]:
    """A migrated, empty database on one engine; yields the engine name."""
    if request.param == "sqlite":
        path = _VAR / f"test-{secrets.token_hex(4)}.db"
        engine = ForestSQLiteEngine(path=str(path))
        os.environ["FORESTMATCH_TEST_ACTIVE_DB_URL"] = f"sqlite:///{path}"
        activate_engine(engine)
        await migrate()
        yield "sqlite"
        return
    reason = await _pg_available()
    if reason and os.environ.get("FORESTMATCH_REQUIRE_POSTGRES"):
        pytest.fail(reason)
    if reason:
        pytest.skip(reason)
    name = f"forestmatch_test_{secrets.token_hex(4)}"
    admin = await asyncpg.connect(PG_ADMIN_DSN)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    dsn = PG_ADMIN_DSN.rsplit("/", 1)[0] + "/" + name
    os.environ["FORESTMATCH_TEST_ACTIVE_DB_URL"] = dsn
    engine = PostgresEngine(config={"dsn": dsn})
    activate_engine(engine)
    try:
        await migrate()
        yield "postgres"
    finally:
        if engine.pool is not None:
            await engine.close_connection_pool()
        admin = await asyncpg.connect(PG_ADMIN_DSN)
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture(name="clean_db")
async def fx_clean_db(db: str) -> AsyncIterator[str]:
    """The database emptied before the test (schema and migration records kept), and this process's page cache."""
    from app.web import microcache

    await clear_tables(db)
    microcache.invalidate()
    yield db


@pytest.fixture(name="app", scope="session")
def fx_app() -> Iterator[object]:
    from app.main import create_app

    yield create_app()


@pytest.fixture(name="client")
async def fx_client(app: object, clean_db: str) -> AsyncIterator[AsyncTestClient]:
    """A test client over the real app and a clean database."""
    async with AsyncTestClient(app=app, base_url="http://testserver.local") as client:  # type: ignore[arg-type]
        client.follow_redirects = False  # tests assert the 303s themselves
        yield client


@pytest.fixture(name="db_url")
def fx_db_url(clean_db: str) -> str:
    """The URL of the active, clean test database, for running the CLI in a subprocess against it."""
    return os.environ["FORESTMATCH_TEST_ACTIVE_DB_URL"]
