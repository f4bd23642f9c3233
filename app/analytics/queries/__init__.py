"""The indicator queries, in SQL that runs on SQLite and PostgreSQL (dialect pieces in ``filters.Sql``)."""

from __future__ import annotations

from app.analytics.queries import supply, trade

__all__ = ["supply", "trade"]
