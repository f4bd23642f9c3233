"""HTTP handlers for sourcing (pages and JSON API)."""

from __future__ import annotations

ROUTES: list = []
