"""HTTP handlers for imports (pages and JSON API)."""

from __future__ import annotations

ROUTES: list = []
