"""What ``/readyz`` checks: the database answers, every committed migration has run on it, the search engine
answers. Each check is bounded in time and says what failed in a short line (no secrets, no tracebacks)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import lru_cache

from search_index.backend import SearchBackend

#: Seconds each check may take before it counts as failed (a probe must answer well within its own timeout).
CHECK_TIMEOUT_S = 2.0


@lru_cache(maxsize=1)
def committed_migrations() -> frozenset[tuple[str, str]]:
    """(app, migration id) of every migration shipped with this release (read from the migration folders once)."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager

    manager = BaseMigrationManager()
    found: set[tuple[str, str]] = set()
    for module in manager.get_app_modules():
        config = module.APP_CONFIG
        modules = manager.get_migration_modules(config.resolved_migrations_folder_path)
        found.update((config.app_name, migration_id) for migration_id in manager.get_migration_ids(modules))
    return frozenset(found)


async def check_database() -> str:
    from piccolo.apps.migrations.tables import Migration

    await Migration.raw("SELECT 1")  # through the app's engine (and its pool)
    return "ok"


async def check_migrations() -> str:
    from piccolo.apps.migrations.tables import Migration

    try:
        rows = await Migration.raw("SELECT app_name, name FROM migration")
    except Exception:
        return "no migration has run (run forestmatch migrate)"
    missing = committed_migrations() - {(r["app_name"], r["name"]) for r in rows}
    if missing:
        first = sorted(missing)[0]
        return f"{len(missing)} migration(s) not applied, e.g. {first[0]} {first[1]} (run forestmatch migrate)"
    return "ok"


async def check_search(backend: SearchBackend) -> str:
    return "ok" if await backend.health() else f"the {backend.name} search engine does not answer"


async def _bounded(check: Callable[[], Awaitable[str]]) -> str:
    try:
        return await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
    except TimeoutError:
        return f"no answer within {CHECK_TIMEOUT_S:g} s"
    except Exception as exc:  # a probe reports; it never fails with a 500
        return f"{type(exc).__name__}: {str(exc).splitlines()[0][:200] if str(exc) else 'failed'}"


async def readiness(backend: SearchBackend) -> dict[str, str]:
    """``{"database": ..., "migrations": ..., "search": ...}``, each "ok" or why not."""
    database = await _bounded(check_database)
    if database != "ok":
        search = await _bounded(lambda: check_search(backend))
        return {"database": database, "migrations": "not checked: no database", "search": search}
    migrations, search = await asyncio.gather(_bounded(check_migrations), _bounded(lambda: check_search(backend)))
    return {"database": database, "migrations": migrations, "search": search}
