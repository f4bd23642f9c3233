"""A search backend of its own for one test, chosen as the app chooses it for the database in use: PostgreSQL search
when the test runs on PostgreSQL (the ``db`` fixture's second run), the embedded backend on SQLite."""

from __future__ import annotations

import secrets
from pathlib import Path

from app.db import database_url
from search_index import SearchBackend, create_backend


def own_backend(tmp_path: Path) -> SearchBackend:
    """A backend with index names no other test uses (a unique prefix; the embedded file under ``tmp_path``)."""
    return create_backend(directory=tmp_path / "search", database_url=database_url(), prefix=f"t{secrets.token_hex(4)}")
